"""The reproduction report, in the shape of an ML Reproducibility Challenge report: a headline
of the paper's claims and cells with our verdicts, then the claim, the paper's figure beside ours
(mean ± sd over n seeds), the difference, a verdict, and everything a reader needs to judge it
(learning rates tried and chosen, the effect of pre-training, the pre-training jobs, runs,
splits, protocol, compute, versions, commits, deviations).

Every number comes from the runs' files or from rectifier.paper; nothing is typed in here. One
Markdown document (report.page) is written as report.md, figures as PNG files beside it, and as
report.html, a single self-contained page. The tables as shown are in report.views, the headline
in report.headline, the sentences that depend on the runs in report.text.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from rectifier import atomic, figures, operating, paper
from rectifier import tables as tbl
from rectifier.ablations import EFFECT_RULE
from rectifier.ablations import summary as ablation_summary
from rectifier.damaged import read_csv
from rectifier.deviations import detect_deviations
from rectifier.experiments import claims as experiment_claims
from rectifier.names import ALL_LABELS, PRETRAIN_HISTORY_COLUMNS, TABLE1_L1
from rectifier.report import experiments, findings, text, views
from rectifier.report.headline import HEADINGS, headline, unjudged
from rectifier.report.page import Document, anchor
from rectifier.rounding import fixed
from rectifier.runs import collect, collect_pretraining, load_histories
from rectifier.selection import (
    KEY,
    at,
    select_lr,
    select_pretraining_lr,
    selected_runs,
    selected_stacks,
    table1_runs,
    variants,
)
from rectifier.verdicts import SPARSITY_MARGIN, Margins
from rectifier.wording import count, distinct, learning_rates

# The tables the report reads (from tables.build, or their CSVs written by the tables stage).
TABLES = ("table1", "sparsity", "learning_rates", "pretraining_effect", "comparisons")
# What a table's CSV must hold for the report to read it (a damaged file is named, not a
# KeyError).
TABLE_COLUMNS = {name: ("dataset", "activation") for name in TABLES}
TABLE_COLUMNS["table1"] += ("pretraining", "test_error_mean", "verdict")
TABLE_COLUMNS["comparisons"] = ("dataset", "pretraining", "a", "b", "difference", "verdict")
TITLE = "Reproduction: Deep Sparse Rectifier Neural Networks (Glorot, Bordes & Bengio, 2011)"


def _load_tables(source, runs: pd.DataFrame, margins) -> dict[str, pd.DataFrame]:
    if source is None:
        built = tbl.build(runs, margins)
        return {name: built[name] for name in TABLES}
    if isinstance(source, Mapping):
        return dict(source)
    folder = Path(source)
    remake = "delete it and `snakemake` (or `python -m rectifier tables`) writes it again"
    return {name: read_csv(folder / f"{name}.csv", remake, TABLE_COLUMNS[name],
                           keep_default_na=False, na_values=[""]) for name in TABLES}


def render(runs: pd.DataFrame, histories: Mapping[str, pd.DataFrame],
           tables: Mapping[str, pd.DataFrame] | str | Path | None, out_dir: str | Path, *,
           deviations: Iterable[str] = (), title: str = TITLE, context: str = "",
           pretraining: pd.DataFrame | None = None,
           pretraining_histories: Mapping[str, pd.DataFrame] | None = None,
           margins: Margins | Mapping[str, float] = tbl.DEFAULT_MARGINS,
           ablations: pd.DataFrame | None = None,
           shared: Mapping[str, Iterable[str]] | None = None,
           planned: tuple[int, int] | None = None,
           planned_cells: Iterable[tuple[str, str, str]] = ()) -> dict:
    """Write out_dir/report.md, out_dir/report.html and out_dir/figures/*.png.

    `tables` is a dict with the TABLES, a folder holding their CSVs, or None to build them from
    `runs`; `deviations` are the caller's, listed before those detected from the runs.
    `pretraining` (runs.collect_pretraining) and its histories add the Pre-training section.
    `margins` (params.yaml's verdicts) judge the cells, the comparisons and the exact sparsity
    when the tables are built here.
    `shared` names, per other published run, the job folders that are its jobs too: the Compute
    section counts their core-hours apart.
    `ablations` (rectifier.ablations.table) adds the Ablations section. `planned` (Params.planned:
    training jobs, stacks) says how far the run has come; Table 1 lists the `planned_cells`
    (Params.cells) with no finished job as not run yet.
    Returns {"markdown": path, "html": path, "figures": [paths]}.
    """
    out_dir = Path(out_dir)
    # Table 1's sections judge its setting; a sweep's points have a section of their own.
    all_runs, runs = runs, table1_runs(runs)
    margins = Margins.of(margins)
    loaded = _load_tables(tables, all_runs, margins)
    t1, sp, lrs = loaded["table1"], loaded["sparsity"], loaded["learning_rates"]
    chosen = selected_runs(runs)            # what Table 1 reports: the figures show the same
    pngs = {"test_error": figures.test_error(chosen), "sparsity": figures.sparsity(chosen),
            "curves": figures.curves(chosen, dict(histories))}
    if pretraining is not None:
        pngs["reconstruction"] = figures.reconstruction(selected_stacks(pretraining),
                                                        dict(pretraining_histories or {}))

    doc = Document(title)
    if context:
        doc.para(context)
    doc.para(f"**Claim under test.** {paper.CLAIM} ({paper.CITATION})")
    doc.heading("Headline")
    claims = experiment_claims(all_runs, margins)
    top = headline(loaded, {**HEADINGS, **experiments.HEADINGS}, claims)
    if len(top):
        doc.para("Each of the paper's claims and cells that these runs bear on: ours beside "
                 "the paper's, and the verdict (Table 1's rule for its cells, each experiment's "
                 "in its section). Each row links to its section.")
        doc.table(top)
        if top["claim or cell"].str.contains("finding").any():
            doc.para(findings.RULE)
        if runs["lr"].nunique() == 1 and t1["paper"].notna().any():
            doc.para(f"Every configuration here ran one learning rate, {runs['lr'].iloc[0]:g}, "
                     "not the rate the paper chooses per configuration on validation error: "
                     "the Table 1 cells and findings above judge these runs as they stand, "
                     "not the paper's protocol.")
    else:
        doc.para(unjudged(runs))
    if ablations is not None and len(ablations):
        doc.para(f"**[Ablations](#{anchor(HEADINGS['ablations'])})** (one seed each, the effect "
                 f"by the rule there): {ablation_summary(ablations)}.")
    doc.contents()

    doc.heading("Runs")
    rates = f" × learning rates {learning_rates(runs['lr'])}" if runs["lr"].nunique() > 1 else ""
    tally = Counter(t1["verdict"])
    point = variants(runs)[0]
    doc.items([
        *([f"{count(len(all_runs), 'training run')} in all; {len(runs)} at L1 {penalties(runs)} "
           f"on {point[1]:.0%} of the labels, which the Table 1 sections judge, the others at the "
           "sweep's other points (see Sweeps). Protocol, compute, software and deviations count "
           "them all."] if len(all_runs) > len(runs) else []),
        f"{count(len(runs), 'training run')}: {count(len(t1), 'configuration')} (data set, "
        f"activation, pre-training){rates} × {text.design(runs)}.",
        "Data sets: " + ", ".join(dict.fromkeys(runs["dataset"])) + "; activations: "
        + ", ".join(dict.fromkeys(t1["activation"])) + "; pre-training: "
        + ", ".join(dict.fromkeys(t1["pretraining"])) + ".",
        *([f"{count(len(pretraining), 'pre-training job')} (stacks of denoising auto-encoders)."]
          if pretraining is not None else []),
        "Verdicts: " + ", ".join(f"{v}: {n}" for v, n in tally.items()) + ".",
        *([text.progress(len(all_runs), 0 if pretraining is None else len(pretraining), *planned)]
          if planned else [])])

    doc.heading(HEADINGS["table1"])
    doc.para("Ours as mean ± sd (ddof 1) over seeds with a 95% Student-t interval of the mean "
             "(its sd floored at one run's binomial standard error on the test set, since it "
             "speaks of the error rate itself; clipped to an error rate's range, 0 to 100); "
             "difference = our mean minus the paper's figure. "
             + text.verdict_text(t1["margin"], t1)
             + " A paper figure marked (?) could not be confirmed against the PDF and is "
             "provisional."
             + (" Each configuration at its selected learning rate (see Learning rate)."
                if runs["lr"].nunique() > 1 else ""))
    no_figure = [d for d in dict.fromkeys(runs["dataset"]) if not paper.in_paper(d)]
    if no_figure:
        doc.para(f"{', '.join(no_figure)}: no published figure; these rows compare activations "
                 "with each other only.")
    # The paper's rows that cannot be run belong in a report on the paper's data sets only.
    papers = any(paper.in_paper(d) for d in runs["dataset"])
    ran = set(zip(*(runs[k] for k in KEY)))             # cells with a finished job
    doc.table(pd.concat([views.table1(t1), views.not_run(planned_cells, t1, ran),
                         *([views.unavailable()] if papers else [])], ignore_index=True))
    if papers:
        doc.para("NISTP's rows stay with the paper's figures: the data set was never made "
                 "public. Nor were the OpenTable reviews of the paper's Table 2.")
    doc.figure("test_error", pngs["test_error"],
               "Test error per configuration: dots are seeds, black bars mean ± sd"
               + (", black diamonds the paper's figure (hollow: provisional)." if papers else
                  " (no published figure for these data sets)."))

    reviews = views.reviews(t1)
    if len(reviews):
        doc.heading("Amazon reviews: accuracy (%)")
        doc.para(f"Accuracy = 100 minus the mean test error over seeds, per domain, and its mean "
                 f"over the domains run. The paper gives one figure for the benchmark, "
                 f"{paper.AMAZON_ACCURACY}% for a rectifier network (against "
                 f"{paper.AMAZON_PREVIOUS_BEST}% for the previous best); our sources state "
                 "neither its depth nor whether it was pre-trained, so every configuration is "
                 "set beside it.")
        doc.table(reviews)

    comparisons = loaded["comparisons"]
    if len(comparisons):
        doc.heading(HEADINGS["comparisons"])
        doc.para("The rectifier's mean test error minus tanh's and softplus's, each at its "
                 "selected learning rate, beside the same difference in the paper's Table 1; "
                 "± is the sd of our difference of means (the pooled sd of Table 1), and ours "
                 "(90% CI) its interval, whose sign finding 1 reads. The verdict judges the "
                 "size: ours minus the paper's difference, with Table 1's rule, the paper's two "
                 "figures counted as two runs, and a comparison's margin (params.yaml's "
                 "verdicts.comparison_margin).")
        doc.table(views.comparisons(comparisons))

    doc.heading(HEADINGS["pretraining_effect"])
    effect = loaded["pretraining_effect"]
    waiting = views.effect_not_run(planned_cells, effect, ran)
    if len(effect) or len(waiting):
        doc.para("Mean test error with pre-training (denoising auto-encoders) minus without, "
                 "for each (data set, activation) run both ways, each at its selected learning "
                 "rate: negative means pre-training helped. ± is the sd of a difference of "
                 "means from Table 1's pooled sd, sd √(1/n_dae + 1/n_none). The paper's "
                 "difference is dae minus none in its Table 1; the verdict judges ours minus "
                 "the paper's as the comparisons are.")
        doc.table(pd.concat([views.pretraining_effect(effect), waiting],
                            ignore_index=True).fillna(""))
    else:
        doc.para("No (data set, activation) was run both with and without pre-training: there "
                 "is no effect of pre-training to measure.")

    if ablations is not None and len(ablations):
        _ablations_section(doc, ablations)

    doc.heading("Learning rate")
    for line in text.learning_rate_text(lrs):
        doc.para(line)
    doc.table(views.learning_rates(lrs))

    doc.heading(HEADINGS["sparsity"])
    doc.para("Exact sparsity: % of hidden activations on the test set that are exactly zero "
             "(mean ± sd over seeds); all layers = mean over hidden units, which weighs each "
             "layer by its width (where the widths differ, as NORB's 4000 and 2000, the plain "
             "average of the layers is shown too: the paper's 'average exact sparsity of the "
             "hidden layers' may mean either). Dead units: units zero "
             "on every test example (mean over seeds). The paper gives one average for rectifier "
             "networks (L1 0.001), set beside our rectifier rows and judged by Table 1's rule "
             "with the run-to-run sd pooled over the rectifier's rows and a margin of its own"
             + (f" ({', '.join(dict.fromkeys(f'{m:g}' for m in sp['margin'] if m == m))} points "
                "of sparsity, params.yaml's verdicts.sparsity_margin; where a run's params.yaml "
                f"sets none, {SPARSITY_MARGIN:g}, a margin chosen on 2026-12-07 after the MNIST "
                "protocol run's "
                "sparsity had been seen)" if "margin" in sp and sp["margin"].notna().any()
                else "") + ".")
    doc.table(views.sparsity(sp))
    published = [d for d in dict.fromkeys(runs["dataset"]) if paper.average_sparsity(d)]
    doc.figure("sparsity", pngs["sparsity"],
               "Exact sparsity per hidden layer (mean ± sd over seeds; hatched: pre-trained)"
               + ("; dashed: the paper's average for rectifier networks." if published else "."))

    doc.heading("Training curves")
    doc.figure("curves", pngs["curves"],
               "Validation error against epoch, one line per seed (dashed: pre-trained).")

    if pretraining is not None:
        _pretraining_section(doc, pretraining, pngs["reconstruction"])

    if len(variants(all_runs)) > 1:
        _sweeps_section(doc, all_runs, runs)
    experiments.sections(doc, all_runs, claims)

    doc.heading("Every run")
    doc.table(tbl.runs_table(all_runs))

    doc.heading("Data and splits")
    doc.table(views.splits(runs))
    doc.heading("Protocol")
    # Each sweep point chose its own rate: the protocol lists the choices of them all.
    doc.table(views.protocol(all_runs, pd.concat(
        [select_lr(at(all_runs, p)) for p in variants(all_runs)], ignore_index=True)))
    _operating_section(doc, t1, loaded["comparisons"], sp)
    doc.heading("Compute")
    doc.table(views.compute(all_runs, pretraining, shared))
    doc.heading("Software and code")
    doc.table(views.software(all_runs))

    doc.heading("Deviations from the paper")
    stated, detected = list(deviations), detect_deviations(all_runs, t1, pretraining)
    if stated:
        doc.para("Stated by the pipeline:")
        doc.items(stated)
    doc.para("Detected from the runs:")
    doc.items(detected)

    written = {"markdown": out_dir / "report.md", "html": out_dir / "report.html",
               "figures": [out_dir / "figures" / f"{name}.png" for name in doc.figures]}
    for path, png in zip(written["figures"], doc.figures.values()):
        atomic.write_with(path, lambda handle, png=png: handle.write(png))
    atomic.write_text(written["markdown"], doc.markdown())
    atomic.write_text(written["html"], doc.html())
    return written


def penalties(runs: pd.DataFrame) -> str:
    """The L1 penalties runs used: "0.001", or per activation where a reading set them so
    ("0.001 (rectifier), 0 (tanh, softplus)")."""
    by_l1 = runs.groupby("l1", sort=True)["activation"].unique()
    if len(by_l1) == 1:
        return f"{by_l1.index[0]:g}"
    return ", ".join(f"{l1:g} ({', '.join(acts)})" for l1, acts in by_l1.items())


def _sweeps_section(doc: Document, all_runs: pd.DataFrame, table1: pd.DataFrame) -> None:
    point = variants(table1)[0]
    doc.heading("Sweeps: the L1 penalty and the labels")
    chosen = ("at the one rate run" if all_runs["lr"].nunique() == 1
              else "its rate chosen on validation error at that point")
    doc.para(f"train.l1 and train.label_fraction list several values: each point is a result "
             f"of its own, {chosen}. The sections above "
             f"judge the runs at L1 {penalties(table1)} on {point[1]:.0%} of the labels"
             + (" (Table 1's setting)." if point == (TABLE1_L1, ALL_LABELS) else
                " (Table 1's setting, L1 0.001 on every label, was not run).")
             + " Test error and exact sparsity (mean ± sd over seeds) at every point; labelled: "
             "the training examples fine-tuning saw (a class-balanced subset drawn by the seed; "
             "pre-training saw them all).")
    doc.table(views.sweeps(tbl.sweeps(all_runs)))


def _operating_section(doc: Document, t1: pd.DataFrame, comparisons: pd.DataFrame,
                       sp: pd.DataFrame) -> None:
    """How often each verdict errs at this run's design, simulated (rectifier.operating)."""
    lead = {d: tuple(paper.test_error(d, "rectifier", "none").value
                     - paper.test_error(d, b, "none").value for b in ("tanh", "softplus"))
            for d in dict.fromkeys(t1["dataset"]) if paper.test_error(d, "rectifier", "none")}
    oc = operating.table(t1, comparisons, sp, lead)
    if oc.empty:
        return
    doc.para(f"The verdicts' operating characteristics at this run's design (its fewest seeds "
             f"a cell, the pooled sd measured, each margin), by simulation "
             f"({operating.DRAWS:,} draws each; rectifier.operating): how often each verdict "
             "comes out when our protocol's true mean equals the paper's protocol's, and when "
             "it differs by twice the margin. The rule is held to at least 50% reproduced and at "
             "most 5% not reproduced in the first case, at most 5% reproduced in the second.")
    doc.table(views.operating(oc))
    for _, r in oc[oc["verdict"] == "finding 1 (direction)"].iterrows():
        doc.para(f"Finding 1's direction rule on {r['dataset']} at {int(r['seeds'])} seeds: "
                 f"reproduced {fixed(100 * r['reproduced_at_0'], 1)}% of the time when the "
                 "paper's differences are our protocol's too (not reproduced "
                 f"{fixed(100 * r['not_reproduced_at_0'], 1)}%); when the rectifier has no lead "
                 f"at all, reproduced {fixed(100 * r['reproduced_at_2m'], 1)}% and not "
                 f"reproduced {fixed(100 * r['not_reproduced_at_2m'], 1)}%.")


def _ablations_section(doc: Document, table: pd.DataFrame) -> None:
    doc.heading(HEADINGS["ablations"])
    doc.para("What a choice the paper leaves open changes in a cell: each ablation is a run of "
             "its own, this run's config with the knobs under 'changed' set otherwise (read "
             "from the two params.yaml files), on the first seed at the cell's chosen rate, set "
             "beside this run's job of the same cell, rate and seed. " + EFFECT_RULE
             + " One seed each: an effect says where to look, not how large it is on average.")
    doc.table(views.ablations(table))


def _pretraining_section(doc: Document, pre: pd.DataFrame, png: bytes) -> None:
    chosen = selected_stacks(pre)
    candidates = sorted(set(pre["lr"]), reverse=True)
    doc.heading("Pre-training")
    doc.para(f"{count(len(chosen), 'stack')} of denoising auto-encoders at the chosen rate (one "
             "per data set, activation and seed; the pre-trained networks are fine-tuned from "
             "them), each trained greedily one hidden layer at a time on the training set: "
             f"recipe {distinct(chosen['recipe'])}, masking noise "
             f"{distinct(chosen['noise'])} (paper: {paper.DAE_MASKING}), "
             f"{distinct(chosen['epochs'])} epochs per layer, learning rate "
             f"{distinct(f'{x:g}' for x in chosen['lr'])} (constant), minibatch "
             f"{distinct(chosen['minibatch'])}, L1 {distinct(chosen['l1'])} on the codes.")
    if len(candidates) > 1:
        rates = select_pretraining_lr(pre)
        doc.para(f"The learning rate was chosen per activation from "
                 f"{', '.join(f'{x:g}' for x in candidates)} ({len(pre)} pre-training jobs) on "
                 "the first layer's reconstruction cost of the uncorrupted validation inputs, "
                 "mean over the seeds that ran every rate"
                 + (f" (the column '{views.SEEDS_COMPARED}': not every seed pre-trained "
                    "at every rate, and the mean ± sd is over every seed a rate ran)"
                    if views.seeds_compared(rates) is not None else "")
                 + ": the only layer whose target is the same for every rate (the layers above "
                 "reconstruct codes the rate shaped). A stack that diverged is never chosen.")
        doc.table(views.pretraining_rates(rates))
    doc.para("Reconstruction cost: the last epoch's training cost of each layer's auto-encoder "
             "(on corrupted inputs, summed over the values reconstructed, averaged over "
             "examples; mean ± sd over seeds). Code sparsity: % of each layer's codes exactly "
             "zero on the validation set (the test set is kept for the fine-tuned networks). "
             "Dead units: codes zero on every validation example (mean over seeds); the "
             "networks fine-tuned from the stacks count theirs on the test set (Exact "
             "sparsity).")
    pair = lambda f: list(zip(f["dataset"], f["activation"]))
    unchosen = pre[[p not in set(pair(chosen)) for p in pair(pre)]]   # every stack diverged
    if len(unchosen):
        doc.para("An activation none of whose stacks could be chosen, every one having "
                 "diverged, is listed with all its stacks.")
    doc.table(views.pretraining(tbl.pretraining_table(pd.concat([chosen, unchosen]))))
    doc.figure("reconstruction", png,
               "Reconstruction cost per epoch of each layer's auto-encoder at the chosen rate, "
               "mean over seeds, one line per activation.")


def render_from_metrics(params, metrics: Iterable[str | Path], out_dir: str | Path, *,
                        deviations: Iterable[str] = (),
                        pretrain_metrics: Iterable[str | Path] = (),
                        tables: str | Path | None = None,
                        ablations: pd.DataFrame | None = None, title: str = TITLE,
                        shared: Mapping[str, Iterable[str]] | None = None,
                        progress: bool = True) -> dict:
    """The CLI's report stage: read the runs' files (metrics.json, history.csv beside it), and
    the pre-training jobs' when given, and render, with the tables the tables stage wrote to
    `tables` (built here with params' margins when None). Every number shown comes from the
    jobs' files, which record the settings they ran with. `progress` says how many of the jobs
    params plans have finished (not for an ablation, whose jobs are the cells' chosen rates)."""
    runs = collect(list(metrics))
    pretrain_metrics = list(pretrain_metrics)
    pre = collect_pretraining(pretrain_metrics) if pretrain_metrics else None
    whose = lambda n, noun: f"1 {noun}'s" if n == 1 else f"{n} {noun}s'"
    context = (f"Built from {whose(len(runs), 'run')} metrics.json and history.csv files"
               + (f" and {whose(len(pre), 'pre-training job')}" if pre is not None else "")
               + " (files are the truth; MLflow is not queried).")
    return render(runs, load_histories(runs), tables, out_dir, deviations=deviations,
                  context=context, pretraining=pre,
                  pretraining_histories=(load_histories(pre, PRETRAIN_HISTORY_COLUMNS)
                                         if pre is not None else None),
                  margins=params.margins if params else tbl.DEFAULT_MARGINS,
                  ablations=ablations,
                  title=title, shared=shared,
                  planned=params.planned() if params and progress else None,
                  planned_cells=params.cells() if params and progress else ())
