"""`python -m rectifier <stage>`: every workflow rule calls the package through here, so any stage
can be run, debugged and tested without Snakemake or DVC."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from . import exclusive
from .config import ConfigError, load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rectifier", description=__doc__)
    parser.add_argument("--params", type=Path,
                        default=os.environ.get("RECTIFIER_PARAMS", "params.yaml"),
                        help="params file (default: $RECTIFIER_PARAMS, which the workflow sets "
                        "when --configfile or --config change a knob, else params.yaml)")
    stages = parser.add_subparsers(dest="stage", required=True)

    prepare = stages.add_parser("prepare", help="download, verify and prepare a data set")
    prepare.add_argument("--dataset", required=True)

    pretrain = stages.add_parser("pretrain", help="pre-train a stack of denoising auto-encoders")
    pretrain.add_argument("--dataset", required=True)
    pretrain.add_argument("--activation", required=True)
    pretrain.add_argument("--seed", required=True, type=int)
    pretrain.add_argument("--lr", type=float, help="learning rate, one of pretrain.lr "
                          "(default: the only one)")
    pretrain.add_argument("--out", required=True, type=Path, help="the job's results folder")
    pretrain.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")

    train = stages.add_parser("train", help="train and measure one network")
    train.add_argument("--dataset", required=True)
    train.add_argument("--activation", required=True)
    train.add_argument("--pretraining", default="none")
    train.add_argument("--seed", required=True, type=int)
    train.add_argument("--out", required=True, type=Path, help="the job's results folder")
    train.add_argument("--stack", type=Path, help="pre-trained stack.pt to fine-tune from")
    train.add_argument("--lr", type=float, help="learning rate, one of train.lr (default: the "
                       "only one)")
    train.add_argument("--l1", type=float, help="L1 penalty, one of train.l1 (default: the "
                       "only one)")
    train.add_argument("--label-fraction", type=float, help="fraction of the training labels, "
                       "one of train.label_fraction (default: the only one)")
    train.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")

    choose = stages.add_parser("choose", help="choose one configuration's rate on validation")
    choose.add_argument("--kind", required=True, choices=("pretrain", "train"),
                        help="whose candidate rates: pre-training's or fine-tuning's")
    choose.add_argument("--out", required=True, type=Path, help="JSON file: the rate and why")
    choose.add_argument("metrics", nargs="+", type=Path, help="metrics.json of each candidate")

    tables = stages.add_parser("tables", help="build the tables from the runs' metrics")
    tables.add_argument("--out", required=True, type=Path, help="folder of CSV and Markdown")
    tables.add_argument("--summary", type=Path, help="summary for `dvc metrics show`")
    tables.add_argument("--plots", type=Path, help="folder of data for `dvc plots show`")
    tables.add_argument("runs", nargs="+", type=Path, help="metrics.json of each run")

    report = stages.add_parser("report", help="render the report")
    report.add_argument("--out", required=True, type=Path)
    report.add_argument("--tables", type=Path,
                        help="the tables stage's folder (default: build the tables here)")
    report.add_argument("--pretrained", nargs="*", type=Path, default=[],
                        help="metrics.json of each pre-training job")
    report.add_argument("runs", nargs="+", type=Path, help="metrics.json of each run")

    replay = stages.add_parser("race-replay", help="replay racing the candidate rates on a "
                               "published run's histories: the same choices, for how much?")
    replay.add_argument("folder", type=Path, help="reports/published/<name>")
    replay.add_argument("--lead", type=float, default=0.5,
                        help="points of validation error behind the best that stop a candidate")
    replay.add_argument("--first-epoch", type=int, default=5,
                        help="the first epoch at which a candidate may be stopped")

    stages.add_parser("plan", help="which verdicts the design can reach, and how often each "
                      "errs there, before any job runs")

    publish = stages.add_parser("publish", help="copy a run's finished jobs' small files into a "
                                "published folder, and render its tables and report from them")
    publish.add_argument("folder", type=Path, help="reports/published/<name>")
    publish.add_argument("--root", type=Path, default=Path("."),
                         help="the run's project folder; its jobs lie under the `outputs` "
                         "folder of the published params.yaml (default: .)")
    publish.add_argument("--render-only", action="store_true",
                         help="render from the folder's runs/ without copying anything")
    publish.add_argument("--reuse", type=Path, metavar="PUBLISHED",
                         help="copy in, instead of the jobs under --root, the finished jobs this "
                         "run shares with another published run (the same knobs; see "
                         "rectifier.reuse), then render")
    publish.add_argument("--pending", action="store_true",
                         help="print the training jobs not yet published, as Snakemake targets "
                         "(under --root, where the published choices are copied)")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        # publish and race-replay read a published folder's own params.yaml
        params = load(args.params) if args.stage not in ("publish", "race-replay") else None
        return STAGES[args.stage](params, args) or 0
    except ConfigError as err:
        print(f"rectifier: bad params: {err}", file=sys.stderr)
        return 2
    except (ValueError, RuntimeError, OSError) as err:   # bad data, divergence, downloads: one line
        print(f"rectifier {args.stage}: {type(err).__name__}: {err}", file=sys.stderr)
        return 1


def _prepare(params, args) -> None:
    from . import data
    print(data.prepare(params, args.dataset))


def _pretrain(params, args) -> None:
    from .data import prepared_path
    from .job import Job, run_pretraining
    _threads(args.threads)
    lr = _rate(args.lr, params.pretraining_rates, "pretrain.lr")
    job = Job(args.dataset, args.activation, "dae", args.seed, lr, stage="pretrain")
    with exclusive.held(args.out, job.name):
        run_pretraining(params, job, prepared_path(params, args.dataset), args.out)


def _train(params, args) -> None:
    from .data import prepared_path
    from .job import Job, run
    _threads(args.threads)
    lr = _rate(args.lr, params.learning_rates, "train.lr")
    l1 = _rate(args.l1, params.l1_values(args.activation), "train.l1", "--l1")
    fraction = _rate(args.label_fraction, params.label_fractions, "train.label_fraction",
                     "--label-fraction")
    job = Job(args.dataset, args.activation, args.pretraining, args.seed, lr, l1=l1,
              label_fraction=fraction)
    with exclusive.held(args.out, job.name):
        run(params, job, prepared_path(params, args.dataset), args.out, args.stack)


def _rate(value: float | None, values: tuple[float, ...], key: str, option: str = "--lr") -> float:
    """`option`'s value, which must be one of params' `values`; may be left out when there is
    one."""
    if (value is None and len(values) > 1) or (value is not None and value not in values):
        given = f"{option} missing" if value is None else f"{option} {value:g}"
        raise ValueError(f"{given}: give one of {key} [{', '.join(f'{x:g}' for x in values)}]")
    return values[0] if value is None else value


def _choose(params, args) -> None:
    from . import atomic, selection
    from .runs import collect, collect_pretraining
    if args.kind == "pretrain":
        table = selection.select_pretraining_lr(collect_pretraining(args.metrics))
    else:
        table = selection.select_lr(collect(args.metrics))
    atomic.write_json(args.out, selection.chosen(table))


def _threads(n: int | None) -> None:
    if n:
        import torch
        torch.set_num_threads(n)


def _tables(params, args) -> None:
    from . import tables
    from .runs import collect, load_histories
    runs = collect(args.runs)
    tables.write(tables.build(runs, params.margins), args.out,
                 args.summary)
    if args.plots:
        tables.write_plots(runs, load_histories(runs), args.plots)


def _report(params, args) -> None:
    from . import report
    from .tracking import Run
    written = report.render_from_metrics(params, args.runs, args.out,
                                         pretrain_metrics=args.pretrained, tables=args.tables)
    # One MLflow run holds what people read: the report, its figures and the tables.
    tables = sorted(args.tables.glob("*")) if args.tables else []
    run = Run.open(params.tracking, args.out, "report", {
        "runs": len(args.runs), "pretraining_jobs": len(args.pretrained)}, {"stage": "report"},
        f"The reproduction report over {len(args.runs)} training runs: report.html (self-"
        "contained), report.md, its figures and the tables as CSV and Markdown.")
    run.finish({}, [written["html"], written["markdown"], *written["figures"], *tables])


def _race_replay(_, args) -> None:
    from . import racing
    from .runs import collect, load_histories
    runs = collect(sorted((args.folder / "runs" / "results").glob("**/metrics.json")))
    table = racing.replay(runs, load_histories(runs), args.lead, args.first_epoch)
    if table.empty:
        print(f"{args.folder}: no configuration chose among candidate rates on one seed")
        return
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print(racing.summary(table, args.lead, args.first_epoch))


def _plan(params, args) -> None:
    from . import plan
    print(plan.describe(params))


def _publish(_, args) -> None:
    """The folder's own params.yaml (the config the run used) decides its margins, not ours."""
    from . import publish
    if not (args.folder / "params.yaml").exists():
        raise ValueError(f"{args.folder / 'params.yaml'}: missing; copy there the params file "
                         "the run used (under Snakemake: .snakemake/rectifier/params-*.yaml when "
                         "--configfile or --config changed a knob, else params.yaml)")
    params = load(args.folder / "params.yaml")
    if args.pending:
        print("\n".join(publish.pending(params, args.folder / "runs", args.root)))
        for path in publish.unprepared(params, args.root):
            print(f"{path}: not prepared yet, so no choice was copied; run `snakemake data` "
                  "with the run's config, then this again, or Snakemake pre-trains every "
                  "candidate stack again", file=sys.stderr)
        return
    if args.reuse:
        from .reuse import reuse
        copied, kept_out = reuse(args.folder, args.reuse)
        print(f"{len(copied)} file(s) copied from {args.reuse / 'runs'}")
        if kept_out:
            print("Not copied, stacks and jobs with pre-training: "
                  + "; ".join(map(str, kept_out)))
        publish.render(load(args.reuse / "params.yaml"), args.reuse)    # its manifest too
    elif not args.render_only:
        copied, kept = publish.publish(publish.outputs(params, args.root), args.folder / "runs")
        print(f"{len(copied)} file(s) new or changed under {args.folder / 'runs'}")
        broken = [k for k in kept if publish.damaged(k)]
        for path in broken:
            print(f"Not replaced: {publish.damaged(path)}")
        if len(kept) > len(broken):
            print(f"{len(kept) - len(broken)} job(s) published before and made again "
                  "differently, kept as published (remove one from runs/ to replace it): "
                  + "; ".join(str(k.parent.relative_to(args.folder / "runs")) for k in kept
                              if k not in broken))
    if publish.render(params, args.folder) is None:
        print(f"{args.folder}: no finished training job yet, so no tables or report")
    run = publish.base(args.folder)     # an ablation's jobs show in its run's report too
    if run is not None and (run / "params.yaml").exists():
        publish.render(load(run / "params.yaml"), run)


STAGES = {"prepare": _prepare, "pretrain": _pretrain, "train": _train, "choose": _choose,
          "tables": _tables, "report": _report, "plan": _plan, "publish": _publish,
          "race-replay": _race_replay}
