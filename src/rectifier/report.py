"""The reproduction report, in the shape of an ML Reproducibility Challenge report: the claim, the
paper's figure beside ours (mean ± sd over n seeds), the difference, a verdict, and everything a
reader needs to judge it (learning rates tried and chosen, the effect of pre-training, the
pre-training jobs, runs, splits, protocol, compute, versions, commits, deviations).

Every number comes from the runs' files or from rectifier.paper; nothing is typed in here. The
same content is written as report.md (figures as PNG files beside it) and as report.html, a single
self-contained page with the figures embedded as base64 data URIs.
"""
from __future__ import annotations

import base64
import html
import platform
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from rectifier import atomic, figures, paper
from rectifier import tables as tbl
from rectifier.deviations import detect_deviations
from rectifier.runs import PRETRAIN_HISTORY_COLUMNS, collect, collect_pretraining, load_histories
from rectifier.selection import KEY, select_pretraining_lr, selected_runs, selected_stacks
from rectifier.verdicts import MIN_SEEDS
from rectifier.wording import PAPER_RATES, distinct, learning_rates, rates_tried, span

# The tables the report reads (from tables.build, or their CSVs written by the tables stage).
TABLES = ("table1", "sparsity", "learning_rates", "pretraining_effect", "comparisons")
TITLE = "Reproduction: Deep Sparse Rectifier Neural Networks (Glorot, Bordes & Bengio, 2011)"
OPTIONAL_PROTOCOL = {"max_epochs": "max epochs", "patience": "early-stopping patience (epochs)",
                     "init": "initialisation", "eval_batch": "evaluation batch",
                     "engine": "SGD step (engine; same updates up to rounding)"}
CSS = """body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f3f3f3}
td:nth-child(-n+3),th:nth-child(-n+3){text-align:left}img{max-width:100%}
figcaption{font-size:.9em;color:#555}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}"""


class _Doc:
    """Blocks rendered twice, to Markdown and to HTML, so the two never drift apart."""

    def __init__(self):
        self.md: list[str] = []
        self.html: list[str] = []

    def heading(self, level: int, text: str) -> None:
        self.md.append(f"{'#' * level} {text}")
        self.html.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def para(self, text: str) -> None:
        self.md.append(text)
        self.html.append(f"<p>{html.escape(text)}</p>")

    def items(self, lines: Iterable[str]) -> None:
        lines = list(lines)
        self.md.append("\n".join(f"- {line}" for line in lines))
        self.html.append("<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in lines) + "</ul>")

    def table(self, table: pd.DataFrame) -> None:
        self.md.append(tbl.markdown(table))
        self.html.append(tbl.format_table(table).to_html(index=False, border=0, escape=True))

    def figure(self, name: str, png: bytes, caption: str) -> None:
        self.md.append(f"![{caption}](figures/{name}.png)\n\n*{caption}*")
        data = base64.b64encode(png).decode("ascii")
        self.html.append(f'<figure><img alt="{html.escape(caption)}" '
                         f'src="data:image/png;base64,{data}"><figcaption>'
                         f"{html.escape(caption)}</figcaption></figure>")

    def page(self, title: str) -> tuple[str, str]:
        md = "\n\n".join(self.md) + "\n"
        body = "\n".join(self.html)
        page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n"
                f"<body>\n{body}\n</body></html>\n")
        return md, page


def _seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 120 else f"{s:.0f} s ({s / 3600:.2f} h)"


def _load_tables(source, runs: pd.DataFrame, margins) -> dict[str, pd.DataFrame]:
    if source is None:
        built = tbl.build(runs, margins)
        return {name: built[name] for name in TABLES}
    if isinstance(source, Mapping):
        return dict(source)
    folder = Path(source)
    return {name: pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""])
            for name in TABLES}


def _pm(mean: float, sd: float, decimals: int = 2) -> str:
    return f"{mean:.{decimals}f}" if sd != sd else f"{mean:.{decimals}f} ± {sd:.{decimals}f}"


def _paper_cell(value: float, provisional: bool, signed: bool = False) -> str:
    """The paper's figure as shown: 'none' where it has none, '(?)' where it is provisional."""
    if value != value:
        return "none"
    return f"{value:{'+' if signed else ''}.2f}" + (" (?)" if provisional else "")


def _table1_view(t1: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "data set": t1["dataset"], "activation": t1["activation"],
        "pre-training": t1["pretraining"], "n seeds": t1["n_seeds"],
        "ours: mean ± sd": [_pm(m, s) for m, s in zip(t1["test_error_mean"], t1["test_error_sd"])],
        "95% CI": ["" if lo != lo else f"[{lo:.2f}, {hi:.2f}]"
                   for lo, hi in zip(t1["ci95_low"], t1["ci95_high"])],
        "min–max": [f"{a:.2f}–{b:.2f}"
                    for a, b in zip(t1["test_error_min"], t1["test_error_max"])],
        "paper": [_paper_cell(v, p) for v, p in zip(t1["paper"], t1["paper_provisional"])],
        "difference (90% CI)": [_difference(d, lo, hi) for d, lo, hi in
                                zip(t1["difference"], t1["diff_ci90_low"], t1["diff_ci90_high"])],
        "verdict": t1["verdict"]})


def _difference(d: float, low: float, high: float) -> str:
    """A difference with the 90% interval the verdict rests on, where there is one."""
    if d != d:
        return ""
    return f"{d:+.2f}" + ("" if low != low else f" [{low:+.2f}, {high:+.2f}]")


def _verdict_text(margins: pd.Series) -> str:
    shown = ", ".join(dict.fromkeys(f"{m:g}" for m in margins if m == m))
    return ("Verdict: an equivalence test with a margin fixed in params.yaml before the run"
            + (f" (here {shown} points)" if shown else "") + ": reproduced when the 90% "
            "interval of the difference lies "
            "within ± the margin; not reproduced when the 95% interval lies wholly outside it; "
            f"inconclusive otherwise, and with fewer than {MIN_SEEDS} seeds. The interval is "
            "Student-t on "
            "our seeds, the paper's figure taken as fixed, and our per-seed sd floored at the "
            "binomial standard error of one test error on the test set's size.")


def _unavailable_view() -> pd.DataFrame:
    """Table 1's rows for the paper's data sets that cannot be had: kept, marked, not dropped."""
    rows = [{"data set": d, "activation": a, "pre-training": p, "n seeds": 0,
             "ours: mean ± sd": "not available", "95% CI": "", "min–max": "",
             "paper": _paper_cell(fig.value, fig.provisional), "difference (90% CI)": "",
             "verdict": f"not available ({paper.unavailable(d)})"}
            for (d, a, p), fig in paper.TABLE1.items() if paper.unavailable(d)]
    return pd.DataFrame(rows)


def _reviews_view(t1: pd.DataFrame) -> pd.DataFrame:
    """Accuracy (%) per Amazon domain and its mean over the domains run, per configuration."""
    reviews = t1[[paper.review_domain(d) is not None for d in t1["dataset"]]]
    rows = []
    for (activation, pretraining), g in reviews.groupby(["activation", "pretraining"], sort=False):
        accuracy = 100 - g["test_error_mean"]
        rows.append({"activation": activation, "pre-training": pretraining,
                     **{paper.review_domain(d): f"{a:.2f}" for d, a in zip(g["dataset"], accuracy)},
                     "mean over domains": f"{accuracy.mean():.2f}",
                     "paper (rectifier)": f"{paper.AMAZON_ACCURACY:.2f}",
                     "difference": f"{accuracy.mean() - paper.AMAZON_ACCURACY:+.2f}"})
    return pd.DataFrame(rows).fillna("")


def _sparsity_view(sp: pd.DataFrame) -> pd.DataFrame:
    layers = sorted(int(c[1:-5]) for c in sp.columns if c.startswith("l") and c.endswith("_mean"))
    view = pd.DataFrame({"data set": sp["dataset"], "activation": sp["activation"],
                         "pre-training": sp["pretraining"], "n seeds": sp["n_seeds"],
                         "all layers": [_pm(m, s) for m, s in
                                        zip(sp["sparsity_mean"], sp["sparsity_sd"])]})
    if "layer_average" in sp and not np.allclose(sp["layer_average"], sp["sparsity_mean"]):
        view["average of layers"] = [f"{m:.1f}" for m in sp["layer_average"]]
    for i in layers:
        view[f"layer {i}"] = ["" if m != m else _pm(m, s)
                              for m, s in zip(sp[f"l{i}_mean"], sp[f"l{i}_sd"])]
    view["dead units per layer"] = [
        " / ".join(f"{r[f'dead_l{i}']:.1f}" for i in layers if r[f"dead_l{i}"] == r[f"dead_l{i}"])
        for _, r in sp.iterrows()]
    view["paper (average)"] = ["" if p != p else f"{p:.1f}" for p in sp["paper"]]
    view["difference"] = ["" if d != d else f"{d:+.2f}" for d in sp["difference"]]
    return view


def _lr_view(lrs: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "data set": lrs["dataset"], "activation": lrs["activation"],
        "pre-training": lrs["pretraining"], "learning rate": [f"{x:g}" for x in lrs["lr"]],
        "n seeds": lrs["n_seeds"],
        "valid error: mean ± sd": [f"diverged ({d} of {n} seeds)" if d else _pm(m, s)
                                   for m, s, d, n in zip(lrs["valid_error_mean"],
                                                         lrs["valid_error_sd"],
                                                         lrs.get("diverged", 0 * lrs["lr"]),
                                                         lrs["n_seeds"])],
        "test error: mean": ["" if m != m else f"{m:.2f}" for m in lrs["test_error_mean"]],
        "selected": [("yes" if s else "no") + (" (tie)" if t else "")
                     for s, t in zip(lrs["selected"], lrs["tied"])]})


def _lr_text(lrs: pd.DataFrame) -> list[str]:
    """What was tried and how the rate was chosen, from the learning_rates table."""
    if lrs["lr"].nunique() == 1:
        return [f"Only one learning rate was run ({lrs['lr'].iloc[0]:g}): it was not selected "
                "on validation error, where the paper picks each configuration's rate from "
                f"{PAPER_RATES}."]
    text = ["Per configuration (data set, activation, pre-training), the learning rate with the "
            "lowest mean validation error over its seeds is selected, as the paper does; a tie "
            "goes to the larger rate. Table 1, the sparsity table, the effect of pre-training "
            "and the figures use the selected runs only; every run is listed under Every run."]
    tried = rates_tried(lrs)
    if set(tried) == {PAPER_RATES}:
        text.append(f"The rates tried are the paper's: {PAPER_RATES}.")
    else:
        text.append(f"The rates tried differ from the paper's ({PAPER_RATES}): "
                    f"{distinct(tried)} per configuration.")
    ties = [f"{'/'.join(k)} ({learning_rates(g['lr'])} tied; "
            f"{g.loc[g['selected'], 'lr'].iloc[0]:g} taken)"
            for k, g in lrs[lrs["tied"]].groupby(KEY, sort=False)]
    if ties:
        text.append("Ties: " + "; ".join(ties) + ".")
    return text


def _effect_view(effect: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "data set": effect["dataset"], "activation": effect["activation"],
        "n seeds (dae / none)": [f"{a} / {b}" for a, b in
                                 zip(effect["n_seeds_dae"], effect["n_seeds_none"])],
        "with pre-training": [f"{x:.2f}" for x in effect["test_error_dae"]],
        "without": [f"{x:.2f}" for x in effect["test_error_none"]],
        "difference ± sd": [f"{d:+.2f}" if s != s else f"{d:+.2f} ± {s:.2f}"
                            for d, s in zip(effect["difference"], effect["difference_sd"])],
        "paper's difference": [_paper_cell(v, p, signed=True) for v, p in
                               zip(effect["paper_difference"], effect["paper_provisional"])],
        **_comparison_columns(effect)})


def _comparison_columns(table: pd.DataFrame) -> dict:
    """Ours minus the paper's difference, its 90% interval, and the verdict."""
    return {"ours − paper's (90% CI)": [
                _difference(d - p, lo, hi) for d, p, lo, hi in
                zip(table["difference"], table["paper_difference"], table["diff_ci90_low"],
                    table["diff_ci90_high"])],
            "verdict": table["verdict"]}


def _comparisons_view(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "data set": table["dataset"], "pre-training": table["pretraining"],
        "comparison": [f"{a} − {b}" for a, b in zip(table["a"], table["b"])],
        "n seeds": [f"{a} / {b}" for a, b in zip(table["n_seeds_a"], table["n_seeds_b"])],
        "ours ± sd": [f"{d:+.2f}" if s != s else f"{d:+.2f} ± {s:.2f}"
                      for d, s in zip(table["difference"], table["difference_sd"])],
        "paper": [_paper_cell(v, p, signed=True) for v, p in
                  zip(table["paper_difference"], table["paper_provisional"])],
        **_comparison_columns(table)})


def _pretraining_view(pt: pd.DataFrame) -> pd.DataFrame:
    layers = sorted(int(c[7:-5]) for c in pt.columns if c.startswith("recon_l") and
                    c.endswith("_mean"))
    view = pd.DataFrame({"data set": pt["dataset"], "activation": pt["activation"],
                         "n seeds": pt["n_seeds"]})
    for i in layers:
        view[f"reconstruction cost, layer {i}"] = [
            "" if m != m else _pm(m, s, 3) for m, s in zip(pt[f"recon_l{i}_mean"],
                                                           pt[f"recon_l{i}_sd"])]
    for i in layers:
        view[f"code sparsity %, layer {i}"] = ["" if m != m else f"{m:.1f}"
                                               for m in pt[f"sparsity_l{i}_mean"]]
    view["code sparsity %, all layers"] = [f"{m:.1f}" for m in pt["sparsity_mean"]]
    view["wall time per job"] = [_seconds(s) for s in pt["wall_time_mean"]]
    return view


def _splits_view(runs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for dataset, g in runs.groupby("dataset", sort=False):
        published = paper.split(dataset)
        rows.append({
            "data set": dataset,
            "ours: train / valid / test": distinct(
                f"{a:,} / {b:,} / {c:,}"
                for a, b, c in zip(g["n_train"], g["n_valid"], g["n_test"])),
            "paper": " / ".join(f"{n:,}" for n in published) if published else "not in the paper",
            "data sha256": distinct(s[:12] if isinstance(s, str) else None
                                    for s in g["data_sha256"])})
    return pd.DataFrame(rows)


def _protocol_view(runs: pd.DataFrame, lrs: pd.DataFrame) -> pd.DataFrame:
    if runs["lr"].nunique() == 1:
        rate = distinct(runs["lr"])
    else:
        rate = (f"picked from {distinct(rates_tried(lrs))} on validation error; selected: "
                + distinct(f"{x:g}" for x in lrs.loc[lrs["selected"], "lr"]))
    rows = []
    for dataset, g in runs.groupby("dataset", sort=False):
        published = paper.hidden(dataset)
        rows.append(("hidden layers, " + dataset, distinct(g["hidden"]),
                     "-".join(map(str, published)) if published else "not in the paper"))
    rows += [
        ("minibatch", distinct(runs["minibatch"]), str(paper.MINIBATCH)),
        ("learning rate (constant)", rate,
         f"constant, picked from {PAPER_RATES} on validation"),
        ("L1 penalty on hidden activations", distinct(runs["l1"]), str(paper.L1)),
        ("sign trick (rectifier)",
         distinct(runs.loc[runs["activation"] == "rectifier", "sign_trick"])
         or "no rectifier runs",
         "yes" if paper.SIGN_TRICK else "no"),
        ("pre-training", distinct(runs["pretraining"]),
         f"denoising auto-encoders, masking noise {paper.DAE_MASKING}, or none"),
        ("stopping", distinct(runs["stopped"]), "not stated"),
        ("epochs run", span(runs["epochs_run"]), "not stated"),
        ("best epoch (by validation error)", span(runs["best_epoch"]), "not stated"),
    ]
    for key, label in OPTIONAL_PROTOCOL.items():
        rows.append((label, distinct(runs[key]) if key in runs else "not recorded in metrics.json",
                     "not stated" if key in ("max_epochs", "patience", "init") else ""))
    return pd.DataFrame(rows, columns=["item", "ours (from the runs)", "paper"])


def _compute_view(runs: pd.DataFrame, pre: pd.DataFrame | None) -> pd.DataFrame:
    wall = runs["wall_time_s"]
    device_names = [f"{d}: {n}" if isinstance(n, str) else d
                    for d, n in zip(runs["device"], runs["device_name"])]
    rows = [("device", distinct(device_names)),
            ("total wall time", _seconds(wall.sum())),
            ("per run: mean / min / max", " / ".join(_seconds(x) for x in
                                                     (wall.mean(), wall.min(), wall.max())))]
    if runs["dataset"].nunique() > 1:
        rows += [(f"total wall time, {d}", _seconds(g["wall_time_s"].sum()))
                 for d, g in runs.groupby("dataset", sort=False)]
    if pre is not None:
        rows.append(("pre-training: jobs, total wall time",
                     f"{len(pre)}, {_seconds(pre['wall_time_s'].sum())}"))
    if "tracking_status" in runs:
        rows.append(("MLflow tracking", distinct(runs["tracking_status"])))
    return pd.DataFrame(rows, columns=["item", "value"])


def _software_view(runs: pd.DataFrame) -> pd.DataFrame:
    import matplotlib
    import numpy
    rows = [("torch (runs)", distinct(runs["torch_version"])),
            ("python (runs)", distinct(runs["python_version"])),
            ("platform (runs)", distinct(runs["platform"])),
            ("git commit (runs)", distinct(runs["git_commit"])),
            ("python (report)", platform.python_version()),
            ("pandas (report)", pd.__version__), ("numpy (report)", numpy.__version__),
            ("matplotlib (report)", matplotlib.__version__)]
    return pd.DataFrame(rows, columns=["item", "version"])


def render(runs: pd.DataFrame, histories: Mapping[str, pd.DataFrame],
           tables: Mapping[str, pd.DataFrame] | str | Path | None, out_dir: str | Path, *,
           deviations: Iterable[str] = (), title: str = TITLE, context: str = "",
           pretraining: pd.DataFrame | None = None,
           pretraining_histories: Mapping[str, pd.DataFrame] | None = None,
           margins: Mapping[str, float] = tbl.DEFAULT_MARGINS) -> dict:
    """Write out_dir/report.md, out_dir/report.html and out_dir/figures/*.png.

    `tables` is a dict with the TABLES, a folder holding their CSVs, or None to build them from
    `runs`; `deviations` are the caller's, listed before those detected from the runs.
    `pretraining` (runs.collect_pretraining) and its histories add the Pre-training section.
    `margins` (params.yaml's verdicts.margin) judge the cells when the tables are built here.
    Returns {"markdown": path, "html": path, "figures": [paths]}.
    """
    out_dir = Path(out_dir)
    loaded = _load_tables(tables, runs, margins)
    t1, sp, lrs = loaded["table1"], loaded["sparsity"], loaded["learning_rates"]
    chosen = selected_runs(runs)            # what Table 1 reports: the figures show the same
    pngs = {"test_error": figures.test_error(chosen), "sparsity": figures.sparsity(chosen),
            "curves": figures.curves(chosen, dict(histories))}
    if pretraining is not None:
        pngs["reconstruction"] = figures.reconstruction(selected_stacks(pretraining),
                                                        dict(pretraining_histories or {}))

    doc = _Doc()
    doc.heading(1, title)
    if context:
        doc.para(context)
    doc.heading(2, "Claim under test")
    doc.para(f"{paper.CLAIM} ({paper.CITATION})")

    doc.heading(2, "Runs")
    seeds = sorted(set(runs["seed"]))
    rates = f" × learning rates {learning_rates(runs['lr'])}" if runs["lr"].nunique() > 1 else ""
    tally = Counter(t1["verdict"])
    doc.items([
        f"{len(runs)} training runs: {len(t1)} configurations (data set, activation, "
        f"pre-training){rates} × seeds {', '.join(map(str, seeds))}.",
        "Data sets: " + ", ".join(dict.fromkeys(runs["dataset"])) + "; activations: "
        + ", ".join(dict.fromkeys(t1["activation"])) + "; pre-training: "
        + ", ".join(dict.fromkeys(t1["pretraining"])) + ".",
        *([f"{len(pretraining)} pre-training jobs (stacks of denoising auto-encoders)."]
          if pretraining is not None else []),
        "Verdicts: " + ", ".join(f"{v}: {n}" for v, n in tally.items()) + "."])

    doc.heading(2, "Table 1: test error (%)")
    doc.para("Ours as mean ± sd (ddof 1) over seeds with a 95% Student-t interval of the mean; "
             "difference = our mean minus the paper's figure. " + _verdict_text(t1["margin"])
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
    doc.table(pd.concat([_table1_view(t1), *([_unavailable_view()] if papers else [])],
                        ignore_index=True))
    if papers:
        doc.para("NISTP's rows stay with the paper's figures: the data set was never made "
                 "public. Nor were the OpenTable reviews of the paper's Table 2.")
    doc.figure("test_error", pngs["test_error"],
               "Test error per activation: dots are seeds, black bars mean ± sd, red diamonds "
               "the paper's figure (hollow: provisional).")

    reviews = _reviews_view(t1)
    if len(reviews):
        doc.heading(2, "Amazon reviews: accuracy (%)")
        doc.para(f"Accuracy = 100 minus the mean test error over seeds, per domain, and its mean "
                 f"over the domains run. The paper gives one figure for the benchmark, "
                 f"{paper.AMAZON_ACCURACY}% for a rectifier network (against "
                 f"{paper.AMAZON_PREVIOUS_BEST}% for the previous best); our sources state "
                 "neither its depth nor whether it was pre-trained, so every configuration is "
                 "set beside it.")
        doc.table(reviews)

    comparisons = loaded["comparisons"]
    if len(comparisons):
        doc.heading(2, "The paper's comparisons of activations")
        doc.para("The rectifier's mean test error minus tanh's and softplus's, each at its "
                 "selected learning rate, beside the same difference in the paper's Table 1; "
                 "± is the sd of a difference of means, each side's sd floored as in Table 1. "
                 "The verdict judges ours minus the "
                 "paper's difference with the rule of Table 1 (Welch interval).")
        doc.table(_comparisons_view(comparisons))

    doc.heading(2, "Effect of pre-training")
    effect = loaded["pretraining_effect"]
    if len(effect):
        doc.para("Mean test error with pre-training (denoising auto-encoders) minus without, "
                 "for each (data set, activation) run both ways, each at its selected learning "
                 "rate: negative means pre-training helped. ± is the sd of a difference of "
                 "means, sqrt(sd_dae²/n_dae + sd_none²/n_none) with each sd floored as in "
                 "Table 1, left out when either side has a single seed. The paper's difference "
                 "is dae minus none in its Table 1; the verdict judges ours minus the paper's "
                 "with the rule of Table 1.")
        doc.table(_effect_view(effect))
    else:
        doc.para("No (data set, activation) was run both with and without pre-training: there "
                 "is no effect of pre-training to measure.")

    doc.heading(2, "Learning rate")
    for text in _lr_text(lrs):
        doc.para(text)
    doc.table(_lr_view(lrs))

    doc.heading(2, "Exact sparsity")
    doc.para("Exact sparsity: % of hidden activations on the test set that are exactly zero "
             "(mean ± sd over seeds); all layers = mean over hidden units, which weighs each "
             "layer by its width (where the widths differ, as NORB's 4000 and 2000, the plain "
             "average of the layers is shown too: the paper's 'average exact sparsity of the "
             "hidden layers' may mean either). Dead units: units zero "
             "on every test example (mean over seeds). The paper gives one average for rectifier "
             "networks (L1 0.001), set beside our rectifier rows.")
    doc.table(_sparsity_view(sp))
    doc.figure("sparsity", pngs["sparsity"],
               "Exact sparsity per hidden layer (mean ± sd over seeds); dashed: the paper's "
               "average for rectifier networks.")

    doc.heading(2, "Training curves")
    doc.figure("curves", pngs["curves"],
               "Validation error against epoch, one line per seed (dashed: pre-trained).")

    if pretraining is not None:
        _pretraining_section(doc, pretraining, pngs["reconstruction"])

    doc.heading(2, "Every run")
    doc.table(tbl.runs_table(runs))

    doc.heading(2, "Data and splits")
    doc.table(_splits_view(runs))
    doc.heading(2, "Protocol")
    doc.table(_protocol_view(runs, lrs))
    doc.heading(2, "Compute")
    doc.table(_compute_view(runs, pretraining))
    doc.heading(2, "Software and code")
    doc.table(_software_view(runs))

    doc.heading(2, "Deviations from the paper")
    stated, detected = list(deviations), detect_deviations(runs, t1, pretraining)
    if stated:
        doc.para("Stated by the pipeline:")
        doc.items(stated)
    doc.para("Detected from the runs:")
    doc.items(detected)

    md, page = doc.page(title)
    written = {"markdown": out_dir / "report.md", "html": out_dir / "report.html",
               "figures": [out_dir / "figures" / f"{name}.png" for name in pngs]}
    for path, png in zip(written["figures"], pngs.values()):
        atomic.write_with(path, lambda handle: handle.write(png))
    atomic.write_text(written["markdown"], md)
    atomic.write_text(written["html"], page)
    return written


def _pretraining_section(doc: _Doc, pre: pd.DataFrame, png: bytes) -> None:
    chosen = selected_stacks(pre)
    candidates = sorted(set(pre["lr"]), reverse=True)
    doc.heading(2, "Pre-training")
    doc.para(f"{len(chosen)} stacks of denoising auto-encoders fine-tuned from, one per (data "
             "set, activation, seed), trained greedily one hidden layer at a time on the "
             f"training set: recipe {distinct(chosen['recipe'])}, masking noise "
             f"{distinct(chosen['noise'])} (paper: {paper.DAE_MASKING}), "
             f"{distinct(chosen['epochs'])} epochs per layer, learning rate "
             f"{distinct(f'{x:g}' for x in chosen['lr'])} (constant), minibatch "
             f"{distinct(chosen['minibatch'])}, L1 {distinct(chosen['l1'])} on the codes.")
    if len(candidates) > 1:
        doc.para(f"The learning rate was chosen per activation from "
                 f"{', '.join(f'{x:g}' for x in candidates)} ({len(pre)} pre-training jobs) on "
                 "the first layer's reconstruction cost of the uncorrupted validation inputs, "
                 "mean over the seeds that ran every rate: the only layer whose target is the "
                 "same for every rate (the layers above reconstruct codes the rate shaped). A "
                 "stack that diverged is never chosen.")
        doc.table(_pretraining_rates_view(select_pretraining_lr(pre)))
    doc.para("Reconstruction cost: the last epoch's training cost of each layer's auto-encoder "
             "(on corrupted inputs, summed over the values reconstructed, averaged over "
             "examples; mean ± sd over seeds). Code sparsity: % of each layer's codes exactly "
             "zero on the validation set (the test set is kept for the fine-tuned networks).")
    doc.table(_pretraining_view(tbl.pretraining_table(chosen)))
    doc.figure("reconstruction", png,
               "Reconstruction cost per epoch of each layer's auto-encoder at the chosen rate, "
               "mean over seeds, one line per activation.")


def _pretraining_rates_view(rates: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "data set": rates["dataset"], "activation": rates["activation"],
        "learning rate": [f"{x:g}" for x in rates["lr"]], "n seeds": rates["n_seeds"],
        "validation reconstruction, layer 1": [
            "diverged" if m == float("inf") else _pm(m, s, 3)
            for m, s in zip(rates["valid_recon_l1_mean"], rates["valid_recon_l1_sd"])],
        "diverged": rates["diverged"],
        "chosen": ["yes" if x else "" for x in rates["selected"]]})


def render_from_metrics(params, metrics: Iterable[str | Path], out_dir: str | Path, *,
                        deviations: Iterable[str] = (),
                        pretrain_metrics: Iterable[str | Path] = (),
                        tables: str | Path | None = None) -> dict:
    """The CLI's report stage: read the runs' files (metrics.json, history.csv beside it), and
    the pre-training jobs' when given, and render, with the tables the tables stage wrote to
    `tables` (built here with params' margins when None). Every number shown comes from the
    jobs' files, which record the settings they ran with."""
    runs = collect(list(metrics))
    pretrain_metrics = list(pretrain_metrics)
    pre = collect_pretraining(pretrain_metrics) if pretrain_metrics else None
    context = (f"Built from {len(runs)} runs' metrics.json and history.csv files"
               + (f" and {len(pre)} pre-training jobs'" if pre is not None else "")
               + " (files are the truth; MLflow is not queried).")
    return render(runs, load_histories(runs), tables, out_dir, deviations=deviations,
                  context=context, pretraining=pre,
                  pretraining_histories=(load_histories(pre, PRETRAIN_HISTORY_COLUMNS)
                                         if pre is not None else None),
                  margins=params.margins if params else tbl.DEFAULT_MARGINS)
