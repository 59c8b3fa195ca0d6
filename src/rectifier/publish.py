"""A published run: the small files of every finished job, committed, so that a run spanning many
sessions and machines loses no finished job, and its tables and report render from them alone.

reports/published/<name>/ holds params.yaml (the merged config the run used), runs/ (a mirror
of the run's results/ and pretrained/ with each finished job's metrics.json and history.csv and
each choice's rate.json; never a checkpoint or a stack), and what render() makes from them: the
tables, the report and its figures. Its ablations (rectifier.ablations) are published folders of
their own under ablations/<name>/, set beside its jobs in its report.
"""
from __future__ import annotations

import json
import os
from itertools import product
from pathlib import Path

from . import ablations, atomic, report, selection, tables
from .config import Params
from .damaged import DamagedFile, read_choice, read_json
from .data.build import prepared_path
from .names import job_id, pretraining_job_id, variant
from .runs import collect, collect_pretraining

SMALL = ("metrics.json", "history.csv")     # a finished job's; its metrics.json is written last
FOLDERS = ("results", "pretrained")


def publish(root: str | Path, runs: str | Path) -> tuple[list[Path], list[Path]]:
    """Copy into `runs` the small files of every job finished under root/results and
    root/pretrained, and every rate.json; return the files that were new or changed, and the
    published jobs (their metrics.json) that root holds otherwise and that stay as published:
    a finished job's record is never replaced, as when a new machine makes a chosen stack again
    for want of its stack.pt (remove a job from runs/ to publish it again), nor a damaged one
    (restore it from git)."""
    root, runs, copied, kept = Path(root), Path(runs), [], []
    for folder in FOLDERS:
        for metrics in sorted((root / folder).glob("**/metrics.json")):
            if not finished(metrics):
                continue
            published = runs / metrics.relative_to(root)
            if published.exists() and damaged(published):     # restore it, do not overwrite
                kept.append(published)
                continue
            if finished(published):
                if any(not (published.parent / n).exists() or (published.parent / n).read_bytes()
                       != (metrics.parent / n).read_bytes() for n in SMALL):
                    kept.append(published)
                continue
            copied += [f for f in (copy_into(metrics.parent / n, root, runs) for n in SMALL)
                       if f]
        copied += [f for f in map(lambda p: copy_into(p, root, runs),
                                  sorted((root / folder).glob("**/rate.json"))) if f]
    return copied, kept


def damaged(metrics: Path) -> str:
    """Why a published metrics.json is no JSON record at all ("" when it is one); one that
    differs otherwise is kept as published, and the tables name what it lacks."""
    try:
        read_json(metrics)
    except DamagedFile as err:
        return str(err)
    return ""


def finished(metrics: Path) -> bool:
    """A job writes its metrics.json twice, the second time with its MLflow record (`tracking`):
    it has finished only then, and a copy of the first write is no record to keep."""
    try:
        return "tracking" in json.loads(metrics.read_text())
    except (OSError, ValueError):
        return False


def copy_into(source: Path, base: Path, dest: Path) -> Path | None:
    """source, a file under `base`, to the same place under `dest`; the target if it changed."""
    target = dest / source.relative_to(base)
    blob = source.read_bytes()
    if target.exists() and target.read_bytes() == blob:
        return None
    atomic.write_bytes(target, blob)
    return target


def render(params: Params, folder: str | Path) -> dict | None:
    """The tables (folder/tables) and the report (folder/report.md, report.html, figures/) of a
    published run, from its runs/ and its ablations' alone; None while it has no finished
    training job (its stacks alone make no table)."""
    folder = Path(folder)
    metrics = sorted((folder / "runs" / "results").glob("**/metrics.json"))
    if not metrics:
        return None
    runs = collect(metrics)
    tables.write(tables.build(runs, params.margins), folder / "tables",
                 folder / "metrics.json")
    stacks = sorted((folder / "runs" / "pretrained").glob("**/metrics.json"))
    ablated, run = ablations.load(folder), base(folder)
    compared = runs
    theirs = sorted((run / "runs" / "results").glob("**/metrics.json")) if run else []
    if theirs and (run / "params.yaml").exists():   # an ablation's report: beside its run's jobs
        ablated = ablations.load(run, only=folder.resolve().name)
        compared = collect(theirs)
    stated = [f"These jobs are an ablation of the published run {run.name} (its ablations/"
              f"{folder.resolve().name}): each differs from that run's job of the same cell, rate "
              "and seed in the knobs its report's Ablations section lists, where they are set "
              "beside each other. Their verdicts against the paper's Table 1 are not the "
              "run's."] if run else []
    from .reuse import shared_jobs  # reuse copies with this module's helpers
    shared = {other: [folder / "runs" / job for job in jobs]
              for other, jobs in shared_jobs(folder).items()}
    return report.render_from_metrics(
        params, metrics, folder, pretrain_metrics=stacks, tables=folder / "tables", shared=shared,
        progress=run is None,
        deviations=stated, ablations=ablations.table(compared, ablated) if ablated else None,
        # each published report its own title: its folder's name leads
        title=f"Ablation {folder.resolve().name} of {run.name}: {report.TITLE}" if run
        else f"{folder.resolve().name}: {report.TITLE}")


def base(folder: str | Path) -> Path | None:
    """The published run an ablation's folder (<run>/ablations/<name>) belongs to, else None."""
    folder = Path(folder)
    parent = folder.resolve().parent
    return parent.parent if parent.name == "ablations" else None


def pending(params: Params, runs: str | Path, root: str | Path) -> list[str]:
    """What is left of a published run, as `snakemake <targets>` takes it on any machine: the
    metrics.json of each training job of `params` not published in `runs`, relative to the run's
    project folder `root` (under its `outputs` folder). Published jobs are not targets, so
    Snakemake does not redo them for want of the checkpoints and stacks that were never
    committed. The choices (rate.json) are copied into the outputs folder from `runs`, or made
    as the workflow's checkpoints make them once every candidate is published; the seeds that
    wait on a choice not yet made are left out until it is. A choice of a run with pre-training
    must be newer than the prepared data and than its candidates' files, or Snakemake makes it
    again (and pre-trains every candidate stack it lacks): none is copied before the data is
    prepared, and one older than them is touched, as after a chosen stack is made again."""
    runs, out = Path(runs), outputs(params, root)
    choosers, targets = params.candidate_seeds(), []
    prepared = _prepared(params, root)
    ready = all(p.exists() for p in prepared)
    data_time = 0.0 if not ready else max((p.stat().st_mtime for p in prepared), default=0.0)
    for d in params.datasets:
        for a in params.activations:
            if "dae" in params.pretraining and len(params.pretraining_rates) > 1:
                _choice(runs, out, Path("pretrained", d, a), "pretrain", [
                    Path("pretrained", pretraining_job_id(d, a, x, s), "metrics.json")
                    for x in params.pretraining_rates for s in choosers], ready, data_time)
            for p, (l1, f) in product(params.pretraining, params.sweep_points(a)):
                for s in params.seeds:
                    rates = list(params.learning_rates)
                    if s not in choosers and len(rates) > 1:
                        chosen = _choice(runs, out, Path("results", d, a, p, variant(l1, f)),
                                         "train", [
                            Path("results", job_id(d, a, p, x, c, l1, f), "metrics.json")
                            for x in params.learning_rates for c in choosers], ready, data_time)
                        rates = [chosen] if chosen is not None else []
                    targets += [Path("results", job_id(d, a, p, x, s, l1, f), "metrics.json")
                                for x in rates]
    return [(Path(params.raw.get("outputs", ".")) / t).as_posix() for t in targets if not (runs / t).exists()]


def unprepared(params: Params, root: str | Path) -> list[Path]:
    """The prepared data a run with pre-training lacks under its project folder `root`."""
    return [p for p in _prepared(params, root) if not p.exists()]


def _prepared(params: Params, root: str | Path) -> list[Path]:
    """The prepared data whose age a run's choices must pass: none without pre-training."""
    if "dae" not in params.pretraining:
        return []
    return [Path(root, prepared_path(params, d)) for d in params.datasets]


def outputs(params: Params, root: str | Path) -> Path:
    """Where a run's jobs lie: its `outputs` folder (an experiment's) under the project `root`."""
    return Path(root, params.raw.get("outputs", "."))


def _choice(runs: Path, root: Path, folder: Path, kind: str, candidates: list[Path],
            copy: bool, data_time: float) -> float | None:
    """The rate chosen in `folder` (its rate.json, published, and copied into root when `copy`,
    made newer than `data_time`), made from the published candidates if need be; None while
    some candidate is not published."""
    published = runs / folder / "rate.json"
    if not published.exists():
        if not all((runs / c).exists() for c in candidates):
            return None
        paths = [runs / c for c in candidates]
        table = (selection.select_pretraining_lr(collect_pretraining(paths)) if kind == "pretrain"
                 else selection.select_lr(collect(paths)))
        atomic.write_json(published, selection.chosen(table))
    rate = read_choice(published)           # a damaged choice is never copied on
    if copy:
        copy_into(published, runs, root)
        target = root / folder / "rate.json"
        # Older than an input, the choice is made again: than the data, or than a candidate's
        # files made again here (a chosen stack pre-trained again on a new machine).
        made = [(root / c).stat().st_mtime for c in candidates if (root / c).exists()]
        if target.stat().st_mtime <= max([data_time, *made]):
            os.utime(target)
    return rate
