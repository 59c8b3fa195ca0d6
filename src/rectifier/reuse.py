"""Jobs one published run shares with another: Figure 3's L1 0.001 points, Figure 4's points on
every label and its stacks, the smoothness experiment's softplus and rectifier are Table 1's
protocol jobs when their knobs agree. Copying their small files saves recomputing them; it is
only sound where each copied job is the job the run would have run, which reuse() checks from
the two params.yaml files rather than trusting a hand-picked list.

A job is the same job when every knob outside the job's own coordinates (data set, activation,
pre-training, rate, seed, L1 and labelled fraction, which its folder names) agrees. Which code
trained it is not checked here: the copied metrics.json keep their commit, and a run's RUN.md
says why the two commits train alike.
"""
from __future__ import annotations

import hashlib
import json
from itertools import product
from pathlib import Path
from typing import NamedTuple

import yaml

from . import ablations, atomic
from .config import Params, load
from .damaged import read_choice
from .names import job_id, pretraining_job_id, variant
from .publish import SMALL, base, copy_into

# Which of a published run's jobs are another's too (copied one way or the other), in both
# runs' folders: {run: {job folder under runs/: sha256 of its metrics.json}}. Their compute is
# that run's too (the report's Compute section says how much).
MANIFEST = "reused.json"
# The job's coordinates, and where its outputs go: they may differ between the two runs.
# pretrain.l1 may be given per activation: it is compared for each activation's stacks alone.
COORDINATES = ("train.l1", "train.label_fraction", "pretrain.lr", "pretrain.l1")
# How data is fetched and how cells are judged: no job's numbers.
IRRELEVANT = ("data.retries", "data.timeout_s", "verdicts")
# Blocks of knobs that concern one data set (the Amazon domains share theirs).
PER_DATASET = ("data.idx.", "model.hidden_per_dataset.", "data.")
NOT_A_DATASET = ("root", "mirrors", "retries", "timeout_s", "checksums", "idx")


class Reused(NamedTuple):
    copied: list[Path]                  # the files copied
    pretraining_differs: tuple          # pre-training knobs that kept its jobs out (Changes)


def reuse(folder: str | Path, source: str | Path) -> Reused:
    """Copy into folder/runs the small files of every job of the published run `folder` that the
    published run `source` finished with the same knobs. Only jobs the run itself runs: every
    candidate rate on the seeds that choose, the chosen rate on the others (once its choice is
    here). A training job with pre-training is copied only when both runs fine-tune it from the
    stack of the same pre-training rate, and a choice (rate.json) only when both runs choose it
    among the same candidates on the same seeds. Pre-training knobs that differ keep the stacks
    and the jobs with pre-training out (pretrain.l1 given per activation: that activation's);
    any other knob that differs, for the run's data sets, refuses the whole copy, naming it."""
    folder, source = Path(folder), Path(source)
    params, theirs = load(folder / "params.yaml"), load(source / "params.yaml")
    differ = [c for c in ablations.changes(
        yaml.safe_load((source / "params.yaml").read_text()),
        yaml.safe_load((folder / "params.yaml").read_text()))
        if not c.knob.startswith(COORDINATES + IRRELEVANT)
        and _concerns(c.knob, params.datasets)]
    pretraining = tuple(c for c in differ if c.knob.startswith("pretrain."))
    if len(differ) > len(pretraining):
        raise ValueError(f"{source.name}'s jobs are not {folder.name}'s: "
                         + "; ".join(str(c) for c in differ if c not in pretraining))
    ours, src = folder / "runs", source / "runs"
    same_choosers = params.candidate_seeds() == theirs.candidate_seeds()
    copied, shared = [], []
    kept_out = dict.fromkeys(pretraining)
    for d, a in product(params.datasets, params.activations):
        mine, their_l1 = params.pretrain_l1(a), theirs.pretrain_l1(a)
        differs = bool(pretraining) or mine != their_l1   # this activation's stacks differ
        if mine != their_l1:
            kept_out[ablations.Change(f"pretrain.l1 ({a})", their_l1, mine)] = None
        if "dae" in params.pretraining and not differs:
            choice = Path("pretrained", d, a, "rate.json")
            if same_choosers and params.pretraining_rates == theirs.pretraining_rates:
                copied += _file(src, ours, choice)
            for s in params.seeds:
                for lr in _rates(params, params.pretraining_rates, s, ours / choice):
                    copied += _job(src, ours, Path("pretrained", pretraining_job_id(d, a, lr, s)),
                                   shared)
        stack_rate = _stack_rate(params, ours, d, a)
        for p, (l1, f) in product(params.pretraining, params.sweep_points(a)):
            if p == "dae" and (differs or stack_rate is None
                               or stack_rate != _stack_rate(theirs, src, d, a)):
                continue
            choice = Path("results", d, a, p, variant(l1, f), "rate.json")
            if same_choosers and params.learning_rates == theirs.learning_rates:
                copied += _file(src, ours, choice)
            for s in params.seeds:
                for lr in _rates(params, params.learning_rates, s, ours / choice):
                    copied += _job(src, ours, Path("results", job_id(d, a, p, lr, s, l1, f)),
                                   shared)
    _record(folder, source, shared)
    return Reused(copied, tuple(kept_out) if "dae" in params.pretraining else ())


def shared_jobs(folder: str | Path) -> dict[str, list[str]]:
    """The jobs of a published run that are another published run's too (MANIFEST), by that
    run: job folders relative to runs/, only those whose metrics.json is still the one recorded
    (a job published again since, from a run of its own, is no longer shared)."""
    folder = Path(folder)
    path = folder / MANIFEST
    manifest = json.loads(path.read_text()) if path.exists() else {}
    return {run: [job for job, sha in sorted(jobs.items())
                  if _sha(folder / "runs" / job / "metrics.json") == sha]
            for run, jobs in manifest.items()}


def _record(folder: Path, source: Path, jobs: list[str]) -> None:
    """Write in both runs' manifests the jobs they now hold byte for byte alike, replacing what
    either said of the other."""
    shas = {job: _sha(folder / "runs" / job / "metrics.json") for job in jobs}
    for mine, other in ((folder, source), (source, folder)):
        path = mine / MANIFEST
        manifest = json.loads(path.read_text()) if path.exists() else {}
        manifest.pop(_name(other), None)
        if shas:
            manifest[_name(other)] = dict(sorted(shas.items()))
        if manifest or path.exists():     # runs in name order: a new copy moves no other line
            atomic.write_json(path, dict(sorted(manifest.items())))


def _name(folder: Path) -> str:
    """A published run's name: its folder's, <run>/ablations/<name> for an ablation."""
    run = base(folder)
    return f"{run.name}/ablations/{folder.resolve().name}" if run else folder.resolve().name


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def _concerns(knob: str, datasets) -> bool:
    """Whether a knob can change the jobs of these data sets: one of another set's does not."""
    for prefix in PER_DATASET:
        if knob.startswith(prefix):
            name = knob[len(prefix):].split(".")[0]
            if prefix == "data." and name in NOT_A_DATASET:
                return True
            return any(d == name or d.startswith(name + "_") for d in datasets)
    return True


def _rates(params: Params, candidates, seed: int, choice: Path) -> list[float]:
    """The rates a run runs on a seed: every candidate on a seed that chooses, else the choice
    (none while it is not made)."""
    if seed in params.candidate_seeds() or len(candidates) == 1:
        return list(candidates)
    return [read_choice(choice)] if choice.exists() else []


def _stack_rate(params: Params, runs: Path, dataset: str, activation: str) -> float | None:
    """The pre-training rate a run fine-tunes from: its only one, or its published choice."""
    if len(params.pretraining_rates) == 1:
        return float(params.pretraining_rates[0])
    chosen = runs / "pretrained" / dataset / activation / "rate.json"
    return read_choice(chosen) if chosen.exists() else None


def _job(source: Path, dest: Path, job: Path, shared: list[str]) -> list[Path]:
    """A finished job's small files (its metrics.json is written last), unless already here;
    `shared` gets the job when this run's files are the source's."""
    theirs = source / job / "metrics.json"
    if not theirs.exists():
        return []
    copied = [] if (dest / job / "metrics.json").exists() else [
        f for f in (copy_into(source / job / name, source, dest) for name in SMALL) if f]
    if (dest / job / "metrics.json").read_bytes() == theirs.read_bytes():
        shared.append(job.as_posix())
    return copied


def _file(source: Path, dest: Path, path: Path) -> list[Path]:
    if not (source / path).exists() or (dest / path).exists():
        return []
    return [f for f in [copy_into(source / path, source, dest)] if f]
