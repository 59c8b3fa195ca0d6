"""The reproduction report, in the shape of an ML Reproducibility Challenge report: the claim, the
paper's figure beside ours (mean ± sd over n seeds), the difference, a verdict, and everything a
reader needs to judge it (runs, splits, protocol, compute, versions, commits, deviations).

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

TITLE = "Reproduction: Deep Sparse Rectifier Neural Networks (Glorot, Bordes & Bengio, 2011)"
OPTIONAL_PROTOCOL = {"max_epochs": "max epochs", "patience": "early-stopping patience (epochs)",
                     "init": "initialisation", "eval_batch": "evaluation batch"}
STOPPED = {"early_stopping": "stopped early", "max_epochs": "ran to max epochs"}
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


def _distinct(values: Iterable) -> str:
    """Distinct values with their counts when they differ, e.g. "cuda (10), cpu (2)"."""
    def show(v):
        if v is None or v != v:
            return "not recorded"
        if isinstance(v, (bool, np.bool_)):
            return "yes" if v else "no"
        if isinstance(v, float) and v.is_integer():   # an int column widened by a missing value
            return str(int(v))
        return str(v)
    counts = Counter(show(v) for v in values)
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{v} ({n})" for v, n in counts.most_common())


def _span(values: pd.Series) -> str:
    low, high = values.min(), values.max()
    return str(low) if low == high else f"{low}–{high}"


def _seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 120 else f"{s:.0f} s ({s / 3600:.2f} h)"


def _load_tables(source, runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if source is None:
        return {"table1": tbl.table1(runs), "sparsity": tbl.sparsity(runs)}
    if isinstance(source, Mapping):
        return dict(source)
    folder = Path(source)
    return {name: pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""])
            for name in ("table1", "sparsity")}


def _pm(mean: float, sd: float) -> str:
    return f"{mean:.2f}" if sd != sd else f"{mean:.2f} ± {sd:.2f}"


def _table1_view(t1: pd.DataFrame) -> pd.DataFrame:
    def paper_cell(r):
        if r["paper"] != r["paper"]:
            return "none"
        return f"{r['paper']:.2f}" + (" (?)" if r["paper_provisional"] else "")
    return pd.DataFrame({
        "data set": t1["dataset"], "activation": t1["activation"],
        "pre-training": t1["pretraining"], "n seeds": t1["n_seeds"],
        "ours: mean ± sd": [_pm(m, s) for m, s in zip(t1["test_error_mean"], t1["test_error_sd"])],
        "95% CI": ["" if lo != lo else f"[{lo:.2f}, {hi:.2f}]"
                   for lo, hi in zip(t1["ci95_low"], t1["ci95_high"])],
        "min–max": [f"{a:.2f}–{b:.2f}"
                    for a, b in zip(t1["test_error_min"], t1["test_error_max"])],
        "paper": [paper_cell(r) for _, r in t1.iterrows()],
        "difference": ["" if d != d else f"{d:+.2f}" for d in t1["difference"]],
        "verdict": t1["verdict"]})


def _sparsity_view(sp: pd.DataFrame) -> pd.DataFrame:
    layers = sorted(int(c[1:-5]) for c in sp.columns if c.startswith("l") and c.endswith("_mean"))
    view = pd.DataFrame({"data set": sp["dataset"], "activation": sp["activation"],
                         "pre-training": sp["pretraining"], "n seeds": sp["n_seeds"],
                         "all layers": [_pm(m, s) for m, s in
                                        zip(sp["sparsity_mean"], sp["sparsity_sd"])]})
    for i in layers:
        view[f"layer {i}"] = ["" if m != m else _pm(m, s)
                              for m, s in zip(sp[f"l{i}_mean"], sp[f"l{i}_sd"])]
    view["dead units per layer"] = [
        " / ".join(f"{r[f'dead_l{i}']:.1f}" for i in layers if r[f"dead_l{i}"] == r[f"dead_l{i}"])
        for _, r in sp.iterrows()]
    view["paper (average)"] = ["" if p != p else f"{p:.1f}" for p in sp["paper"]]
    view["difference"] = ["" if d != d else f"{d:+.2f}" for d in sp["difference"]]
    return view


def _splits_view(runs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for dataset, g in runs.groupby("dataset", sort=False):
        published = paper.split(dataset)
        rows.append({
            "data set": dataset,
            "ours: train / valid / test": _distinct(
                f"{a:,} / {b:,} / {c:,}"
                for a, b, c in zip(g["n_train"], g["n_valid"], g["n_test"])),
            "paper": " / ".join(f"{n:,}" for n in published) if published else "not in the paper",
            "data sha256": _distinct(s[:12] if isinstance(s, str) else None
                                     for s in g["data_sha256"])})
    return pd.DataFrame(rows)


def _protocol_view(runs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for dataset, g in runs.groupby("dataset", sort=False):
        published = paper.hidden(dataset)
        rows.append(("hidden layers, " + dataset, _distinct(g["hidden"]),
                     "-".join(map(str, published)) if published else "not in the paper"))
    rows += [
        ("minibatch", _distinct(runs["minibatch"]), str(paper.MINIBATCH)),
        ("learning rate (constant)", _distinct(runs["lr"]),
         "constant, picked from " + ", ".join(map(str, paper.LEARNING_RATES)) + " on validation"),
        ("L1 penalty on hidden activations", _distinct(runs["l1"]), str(paper.L1)),
        ("sign trick (rectifier)",
         _distinct(runs.loc[runs["activation"] == "rectifier", "sign_trick"])
         or "no rectifier runs",
         "yes" if paper.SIGN_TRICK else "no"),
        ("pre-training", _distinct(runs["pretraining"]),
         f"denoising auto-encoders, masking noise {paper.DAE_MASKING}, or none"),
        ("stopping", _distinct(runs["stopped"]), "not stated"),
        ("epochs run", _span(runs["epochs_run"]), "not stated"),
        ("best epoch (by validation error)", _span(runs["best_epoch"]), "not stated"),
    ]
    for key, label in OPTIONAL_PROTOCOL.items():
        rows.append((label, _distinct(runs[key]) if key in runs else "not recorded in metrics.json",
                     "not stated" if key in ("max_epochs", "patience", "init") else ""))
    return pd.DataFrame(rows, columns=["item", "ours (from the runs)", "paper"])


def _compute_view(runs: pd.DataFrame) -> pd.DataFrame:
    wall = runs["wall_time_s"]
    device_names = [f"{d}: {n}" if isinstance(n, str) else d
                    for d, n in zip(runs["device"], runs["device_name"])]
    rows = [("device", _distinct(device_names)),
            ("total wall time", _seconds(wall.sum())),
            ("per run: mean / min / max", " / ".join(_seconds(x) for x in
                                                     (wall.mean(), wall.min(), wall.max())))]
    if runs["dataset"].nunique() > 1:
        rows += [(f"total wall time, {d}", _seconds(g["wall_time_s"].sum()))
                 for d, g in runs.groupby("dataset", sort=False)]
    if "tracking_status" in runs:
        rows.append(("MLflow tracking", _distinct(runs["tracking_status"])))
    return pd.DataFrame(rows, columns=["item", "value"])


def _software_view(runs: pd.DataFrame) -> pd.DataFrame:
    import matplotlib
    import numpy
    rows = [("torch (runs)", _distinct(runs["torch_version"])),
            ("python (runs)", _distinct(runs["python_version"])),
            ("platform (runs)", _distinct(runs["platform"])),
            ("git commit (runs)", _distinct(runs["git_commit"])),
            ("python (report)", platform.python_version()),
            ("pandas (report)", pd.__version__), ("numpy (report)", numpy.__version__),
            ("matplotlib (report)", matplotlib.__version__)]
    return pd.DataFrame(rows, columns=["item", "version"])


def detect_deviations(runs: pd.DataFrame, t1: pd.DataFrame) -> list[str]:
    """Differences from the paper's protocol that can be read off the runs themselves."""
    found = []
    datasets = list(dict.fromkeys(runs["dataset"]))
    for d in datasets:
        if not paper.in_paper(d):
            found.append(f"Data set {d} is not one of the paper's: it has no published figure, "
                         "so its rows compare activations with each other only.")
    missing = [d for d in paper.DATASETS if d not in datasets]
    if missing:
        why = [f"{d} ({paper.unavailable(d)})" for d in missing if paper.unavailable(d)]
        found.append("The paper's data sets not run here: " + ", ".join(missing)
                     + (f"; not available: {', '.join(why)}" if why else "") + ".")
    if "sigmoid" in set(runs["activation"]):
        found.append("Sigmoid networks are our extension: the paper only discusses them, so "
                     "their rows have no published figure.")
    if "dae" not in set(runs["pretraining"]):
        found.append("No network was pre-trained (denoising auto-encoders): the paper's "
                     "pre-training rows are not compared.")
    single = t1[t1["n_seeds"] < 2]
    if len(single):
        found.append(f"{len(single)} of {len(t1)} configurations have a single seed: no spread, "
                     "so no verdict for them.")
    seeds = sorted(set(t1["n_seeds"]))
    if len(seeds) > 1:
        found.append("Configurations have unequal numbers of seeds "
                     f"({', '.join(map(str, seeds))}).")
    stops = Counter(runs["stopped"])
    found.append("Stopping rule (not stated in the paper; ours): "
                 + ", ".join(f"{n} run(s) {STOPPED.get(s, s)}" for s, n in stops.items())
                 + f"; epochs run {_span(runs['epochs_run'])}.")
    if runs["lr"].nunique() == 1 and len(t1) > 1:
        found.append(f"One learning rate ({runs['lr'].iloc[0]}) for every configuration, not "
                     "picked per configuration on validation error from "
                     + ", ".join(map(str, paper.LEARNING_RATES)) + ".")
    if (runs["l1"] > 0).any():
        found.append("How the L1 penalty is normalised is not stated in the paper; ours: the "
                     "coefficient times the sum of |h| over every hidden unit of every layer, "
                     "averaged over the examples of the minibatch.")
    for key, published in (("minibatch", paper.MINIBATCH), ("l1", paper.L1)):
        other = sorted(set(runs[key]) - {published})
        if other:
            found.append(f"{key} {', '.join(map(str, other))} where the paper uses {published}.")
    rect = runs[runs["activation"] == "rectifier"]
    if paper.SIGN_TRICK and len(rect) and not rect["sign_trick"].all():
        found.append("Some rectifier networks ran without the sign trick the paper uses.")
    for d, g in runs.groupby("dataset", sort=False):
        published = paper.hidden(d)
        shape = "-".join(map(str, published)) if published else None
        if shape and set(g["hidden"]) != {shape}:
            found.append(f"{d}: hidden layers {_distinct(g['hidden'])}, paper {shape}.")
        split = paper.split(d)
        ours = set(zip(g["n_train"], g["n_valid"], g["n_test"]))
        if split and ours != {split}:
            found.append(f"{d}: split {' / '.join(f'{n:,}' for n in sorted(ours)[0])} "
                         f"(train / valid / test), paper {' / '.join(f'{n:,}' for n in split)}.")
    provisional = int((t1["paper_provisional"].astype(bool)).sum())
    if provisional:
        found.append(f"{provisional} of the paper's figures compared here are provisional (?): "
                     "not confirmed against the PDF.")
    commits = set(runs["git_commit"].dropna())
    if len(commits) > 1:
        found.append(f"The runs come from {len(commits)} different git commits.")
    missing = int(runs["git_commit"].isna().sum())
    if missing:
        found.append("No run recorded a git commit." if missing == len(runs)
                     else f"{missing} run(s) recorded no git commit.")
    dirty = int(runs["git_commit"].fillna("").str.endswith("-dirty").sum())
    if dirty:
        found.append(f"{dirty} run(s) came from a checkout with uncommitted changes (-dirty).")
    return found


def render(runs: pd.DataFrame, histories: Mapping[str, pd.DataFrame],
           tables: Mapping[str, pd.DataFrame] | str | Path | None, out_dir: str | Path, *,
           deviations: Iterable[str] = (), title: str = TITLE, context: str = "") -> dict:
    """Write out_dir/report.md, out_dir/report.html and out_dir/figures/*.png.

    `tables` is a dict with table1 and sparsity, a folder holding their CSVs, or None to build
    them from `runs`; `deviations` are the caller's, listed before those detected from the runs.
    Returns {"markdown": path, "html": path, "figures": [paths]}.
    """
    out_dir = Path(out_dir)
    loaded = _load_tables(tables, runs)
    t1, sp = loaded["table1"], loaded["sparsity"]
    pngs = {"test_error": figures.test_error(runs), "sparsity": figures.sparsity(runs),
            "curves": figures.curves(runs, dict(histories))}

    doc = _Doc()
    doc.heading(1, title)
    if context:
        doc.para(context)
    doc.heading(2, "Claim under test")
    doc.para(f"{paper.CLAIM} ({paper.CITATION})")

    doc.heading(2, "Runs")
    seeds = sorted(set(runs["seed"]))
    tally = Counter(t1["verdict"])
    doc.items([
        f"{len(runs)} training runs: {len(t1)} configurations (data set, activation, "
        f"pre-training) × seeds {', '.join(map(str, seeds))}.",
        "Data sets: " + ", ".join(dict.fromkeys(runs["dataset"])) + "; activations: "
        + ", ".join(dict.fromkeys(t1["activation"])) + "; pre-training: "
        + ", ".join(dict.fromkeys(t1["pretraining"])) + ".",
        "Verdicts: " + ", ".join(f"{v}: {n}" for v, n in tally.items()) + "."])

    doc.heading(2, "Table 1: test error (%)")
    doc.para("Ours as mean ± sd (ddof 1) over seeds with a 95% Student-t interval of the mean; "
             "difference = our mean minus the paper's figure. Verdict: reproduced when the "
             "paper's figure lies within our seeds' [min, max] or within mean ± 2 sd. A paper "
             "figure marked (?) could not be confirmed against the PDF and is provisional.")
    no_figure = [d for d in dict.fromkeys(runs["dataset"]) if not paper.in_paper(d)]
    if no_figure:
        doc.para(f"{', '.join(no_figure)}: no published figure; these rows compare activations "
                 "with each other only.")
    doc.table(_table1_view(t1))
    doc.figure("test_error", pngs["test_error"],
               "Test error per activation: dots are seeds, black bars mean ± sd, red diamonds "
               "the paper's figure (hollow: provisional).")

    doc.heading(2, "Exact sparsity")
    doc.para("Exact sparsity: % of hidden activations on the test set that are exactly zero "
             "(mean ± sd over seeds); all layers = mean over hidden units. Dead units: units zero "
             "on every test example (mean over seeds). The paper gives one average for rectifier "
             "networks (L1 0.001), set beside our rectifier rows.")
    doc.table(_sparsity_view(sp))
    doc.figure("sparsity", pngs["sparsity"],
               "Exact sparsity per hidden layer (mean ± sd over seeds); dashed: the paper's "
               "average for rectifier networks.")

    doc.heading(2, "Training curves")
    doc.figure("curves", pngs["curves"],
               "Validation error against epoch, one line per seed (dashed: pre-trained).")

    doc.heading(2, "Every run")
    doc.table(tbl.runs_table(runs))

    doc.heading(2, "Data and splits")
    doc.table(_splits_view(runs))
    doc.heading(2, "Protocol")
    doc.table(_protocol_view(runs))
    doc.heading(2, "Compute")
    doc.table(_compute_view(runs))
    doc.heading(2, "Software and code")
    doc.table(_software_view(runs))

    doc.heading(2, "Deviations from the paper")
    stated, detected = list(deviations), detect_deviations(runs, t1)
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


def render_from_metrics(params, metrics: Iterable[str | Path], out_dir: str | Path, *,
                        deviations: Iterable[str] = ()) -> dict:
    """The CLI's report stage: read the runs' files (metrics.json, history.csv beside it) and
    render. `params` is accepted for the stage's uniform signature; every number shown comes
    from the runs' files, which record the settings they ran with."""
    runs = tbl.collect(list(metrics))
    context = (f"Built from {len(runs)} runs' metrics.json and history.csv files "
               "(files are the truth; MLflow is not queried).")
    return render(runs, tbl.load_histories(runs), None, out_dir, deviations=deviations,
                  context=context)
