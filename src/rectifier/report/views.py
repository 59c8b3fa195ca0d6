"""The report's tables as displayed: each takes a table of rectifier.tables (or the runs) and
returns the columns a reader sees, numbers formatted once here."""
from __future__ import annotations

import platform
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from rectifier import paper
from rectifier.rounding import fixed, signed
from rectifier.runs import threads
from rectifier.tables import CI_COLUMNS
from rectifier.wording import PAPER_RATES, count, distinct, rates_tried, span

OPTIONAL_PROTOCOL = {"max_epochs": "max epochs", "patience": "early-stopping patience (epochs)",
                     "init": "initialisation", "eval_batch": "evaluation batch",
                     "engine": "SGD step (engine; same updates up to rounding)"}


def seconds(s: float) -> str:
    return f"{fixed(s, 1)} s" if s < 120 else f"{fixed(s, 0)} s ({fixed(s / 3600)} h)"


def pm(mean: float, sd: float, decimals: int = 2) -> str:
    return fixed(mean, decimals) if sd != sd else f"{fixed(mean, decimals)} ± {fixed(sd, decimals)}"


def paper_cell(value: float, provisional: bool, signed: bool = False) -> str:
    """The paper's figure as shown: 'none' where it has none, '(?)' where it is provisional."""
    if value != value:
        return "none"
    return fixed(value, 2, signed) + (" (?)" if provisional else "")


def table1(t1: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "data set": t1["dataset"], "activation": t1["activation"],
        "pre-training": t1["pretraining"], "n seeds": t1["n_seeds"],
        "ours: mean ± sd": [f"diverged ({d} of {n} seeds)" if d else pm(m, s) for m, s, d, n in
                            zip(t1["test_error_mean"], t1["test_error_sd"],
                                t1.get("n_diverged", 0 * t1["n_seeds"]), t1["n_seeds"])],
        "95% CI": ["" if lo != lo else f"[{fixed(lo)}, {fixed(hi)}]"
                   for lo, hi in zip(t1["ci95_low"], t1["ci95_high"])],
        "min–max": ["" if a != a else f"{fixed(a)}–{fixed(b)}"
                    for a, b in zip(t1["test_error_min"], t1["test_error_max"])],
        "paper": [paper_cell(v, p) for v, p in zip(t1["paper"], t1["paper_provisional"])],
        DIFFERENCE: [difference(d, *ci) for d, *ci in
                     zip(t1["difference"], *(t1[c] for c in CI_COLUMNS))],
        REACH: reach(t1),
        "verdict": t1["verdict"]})


REACH = "reproduced within ± / not beyond ±"


def reach(table: pd.DataFrame) -> list[str]:
    """The differences the verdict could call reproduced and not reproduced at its seeds,
    margin and pooled spread: "never" where the first cannot happen."""
    if "reproduced_within" not in table:       # tables written before the rule had them
        return [""] * len(table)
    return ["" if beyond != beyond else
            f"{'never' if within != within else fixed(within)} / {fixed(beyond)}"
            for within, beyond in zip(table["reproduced_within"], table["not_reproduced_beyond"])]


DIFFERENCE = "difference (90% CI; 95% CI)"


def difference(d: float, low90: float, high90: float, low95: float, high95: float) -> str:
    """A difference with the intervals the verdict rests on, where there are: the 90% one for
    reproduced, the 95% one for not reproduced."""
    if d != d:
        return ""
    return signed(d) + ("" if low90 != low90 else f" [{signed(low90)}, {signed(high90)}]; "
                        f"[{signed(low95)}, {signed(high95)}]")


NOT_RUN, NOT_CHOSEN = "not run yet", "no rate chosen yet"


def _missing(cell: tuple[str, str, str], ran: set) -> str:
    """Why a planned cell has no selected runs: none finished, or some finished but no rate
    could be chosen (every rate diverged, or no seed has run every rate yet)."""
    return NOT_CHOSEN if cell in ran else NOT_RUN


def not_run(cells: Iterable[tuple[str, str, str]], t1: pd.DataFrame,
            ran: Iterable[tuple[str, str, str]] = ()) -> pd.DataFrame:
    """Table 1's rows for the (data set, activation, pre-training) cells the run plans but has no
    selected job for: listed, not left out. `ran`: the cells with a finished job."""
    done, ran = set(zip(t1["dataset"], t1["activation"], t1["pretraining"])), set(ran)
    rows = []
    for d, a, p in cells:
        if (d, a, p) not in done:
            fig, why = paper.test_error(d, a, p), _missing((d, a, p), ran)
            rows.append({"data set": d, "activation": a, "pre-training": p, "n seeds": 0,
                         "ours: mean ± sd": why, "95% CI": "", "min–max": "",
                         "paper": paper_cell(fig.value, fig.provisional) if fig else "none",
                         DIFFERENCE: "", REACH: "", "verdict": why})
    return pd.DataFrame(rows)


def unavailable() -> pd.DataFrame:
    """Table 1's rows for the paper's data sets that cannot be had: kept, marked, not dropped."""
    rows = [{"data set": d, "activation": a, "pre-training": p, "n seeds": 0,
             "ours: mean ± sd": "not available", "95% CI": "", "min–max": "",
             "paper": paper_cell(fig.value, fig.provisional), DIFFERENCE: "", REACH: "",
             "verdict": f"not available ({paper.unavailable(d)})"}
            for (d, a, p), fig in paper.TABLE1.items() if paper.unavailable(d)]
    return pd.DataFrame(rows)


def reviews(t1: pd.DataFrame) -> pd.DataFrame:
    """Accuracy (%) per Amazon domain and its mean over the domains run, per configuration."""
    reviews = t1[[paper.review_domain(d) is not None for d in t1["dataset"]]]
    rows = []
    for (activation, pretraining), g in reviews.groupby(["activation", "pretraining"], sort=False):
        accuracy = 100 - g["test_error_mean"]
        rows.append({"activation": activation, "pre-training": pretraining,
                     **{paper.review_domain(d): fixed(a) for d, a in zip(g["dataset"], accuracy)},
                     "mean over domains": fixed(accuracy.mean()),
                     "paper (rectifier)": fixed(paper.AMAZON_ACCURACY),
                     "difference": signed(accuracy.mean() - paper.AMAZON_ACCURACY)})
    return pd.DataFrame(rows).fillna("")


def sparsity(sp: pd.DataFrame) -> pd.DataFrame:
    layers = sorted(int(c[1:-5]) for c in sp.columns if c.startswith("l") and c.endswith("_mean"))
    view = pd.DataFrame({"data set": sp["dataset"], "activation": sp["activation"],
                         "pre-training": sp["pretraining"], "n seeds": sp["n_seeds"],
                         "all layers": [pm(m, s) for m, s in
                                        zip(sp["sparsity_mean"], sp["sparsity_sd"])]})
    if "layer_average" in sp and not np.allclose(sp["layer_average"], sp["sparsity_mean"]):
        view["average of layers"] = [fixed(m, 1) for m in sp["layer_average"]]
    for i in layers:
        view[f"layer {i}"] = ["" if m != m else pm(m, s)
                              for m, s in zip(sp[f"l{i}_mean"], sp[f"l{i}_sd"])]
    view["dead units per layer"] = [
        " / ".join(fixed(r[f"dead_l{i}"], 1) for i in layers if r[f"dead_l{i}"] == r[f"dead_l{i}"])
        for _, r in sp.iterrows()]
    view["paper (average)"] = ["" if p != p else fixed(p, 1) for p in sp["paper"]]
    view[DIFFERENCE] = [difference(d, *ci) for d, *ci in
                        zip(sp["difference"], *(sp[c] for c in CI_COLUMNS))]
    view[REACH] = reach(sp)
    view["verdict"] = ["" if p != p else v for p, v in zip(sp["paper"], sp["verdict"])]
    return view


def labels(fractions) -> list[str]:
    """Fractions of the labels as percentages: 5%, 0.50%."""
    return [f"{f:.0%}" if f >= 0.01 else f"{f:.2%}" for f in fractions]


def sweeps(sw: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "data set": sw["dataset"], "activation": sw["activation"],
        "pre-training": sw["pretraining"], "L1": [f"{x:g}" for x in sw["l1"]],
        "labels": labels(sw["label_fraction"]),
        "labelled": [f"{n:,}" for n in sw["n_labelled"]], "lr": [f"{x:g}" for x in sw["lr"]],
        "n seeds": sw["n_seeds"],
        "test error %": [pm(m, s) for m, s in zip(sw["test_error_mean"], sw["test_error_sd"])],
        "95% CI": [f"[{fixed(lo)}, {fixed(hi)}]" if lo == lo and n > 1 else ""
                   for lo, hi, n in zip(sw["ci95_low"], sw["ci95_high"], sw["n_seeds"])],
        "exact sparsity %": [pm(m, s, 1) for m, s in zip(sw["sparsity_mean"],
                                                          sw["sparsity_sd"])]})


def learning_rates(lrs: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "data set": lrs["dataset"], "activation": lrs["activation"],
        "pre-training": lrs["pretraining"], "learning rate": [f"{x:g}" for x in lrs["lr"]],
        "n seeds": lrs["n_seeds"],
        "valid error: mean ± sd": [f"diverged ({d} of {n} seeds)" if d else pm(m, s)
                                   for m, s, d, n in zip(lrs["valid_error_mean"],
                                                         lrs["valid_error_sd"],
                                                         lrs.get("diverged", 0 * lrs["lr"]),
                                                         lrs["n_seeds"])],
        **compared(lrs, "valid_error_compared", "valid error"),
        "test error: mean": ["" if m != m else fixed(m) for m in lrs["test_error_mean"]],
        **(compared(lrs, "test_error_compared", "test error")
           if "test_error_compared" in lrs else {}),
        "selected": _selected(lrs)})


SEEDS_COMPARED = "seeds that ran every rate"


def seeds_compared(table: pd.DataFrame) -> pd.Series | None:
    """Per rate, the seeds its choice compared (selection._choose) as a list of strings, where
    some configuration compared fewer seeds than a rate ran (selection.seeds `first`, or a run
    still in progress); else None. Read back from a CSV, "1" is an int or a float and none an
    empty cell (NaN)."""
    if "compared_seeds" not in table:               # tables written before the column
        return None

    def seeds(value) -> list[str]:
        if isinstance(value, float):
            return [] if value != value else [str(int(value))]
        return str(value).split()
    found = table["compared_seeds"].map(seeds)
    return found if (found.map(len) != table["n_seeds"]).any() else None


def compared(table: pd.DataFrame, column: str, label: str, digits: int = 2) -> dict:
    """The column of the values a choice compared, "1.66 (seed 1)", where they are not the
    mean ± sd column's (seeds_compared); else no column."""
    seeds = seeds_compared(table)
    if seeds is None:
        return {}
    shown = lambda v, s: ("none: no seed ran every rate" if not s else
                          ("diverged" if v == float("inf") or v != v else fixed(v, digits))
                          + (f" (seed {s[0]})" if len(s) == 1 else f" (seeds {', '.join(s)})"))
    return {f"{label}, {SEEDS_COMPARED}": [shown(v, s) for v, s in zip(table[column], seeds)]}


def _selected(lrs: pd.DataFrame) -> list[str]:
    """yes / no (tie), or "only rate" where a configuration ran one rate: nothing was chosen."""
    rates = lrs.groupby(["dataset", "activation", "pretraining"])["lr"].transform("nunique")
    return ["only rate" if n == 1 else ("yes" if s else "no") + (" (tie)" if t else "")
            for n, s, t in zip(rates, lrs["selected"], lrs["tied"])]


def pretraining_effect(effect: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "data set": effect["dataset"], "activation": effect["activation"],
        "n seeds (dae / none)": [f"{a} / {b}" for a, b in
                                 zip(effect["n_seeds_dae"], effect["n_seeds_none"])],
        "with pre-training": [fixed(x) for x in effect["test_error_dae"]],
        "without": [fixed(x) for x in effect["test_error_none"]],
        "difference ± sd": [signed(d) if s != s else f"{signed(d)} ± {fixed(s)}"
                            for d, s in zip(effect["difference"], effect["difference_sd"])],
        "paper's difference": [paper_cell(v, p, signed=True) for v, p in
                               zip(effect["paper_difference"], effect["paper_provisional"])],
        **comparison_columns(effect)})


def effect_not_run(cells: Iterable[tuple[str, str, str]], effect: pd.DataFrame,
                   ran: Iterable[tuple[str, str, str]] = ()) -> pd.DataFrame:
    """The effect of pre-training's rows for the (data set, activation) the run plans both ways
    but has no selected jobs for both ways: listed, not left out. `ran` as not_run's."""
    cells, ran = list(cells), set(ran)
    done = set(zip(effect["dataset"], effect["activation"]))
    rows = []
    for d, a in dict.fromkeys((d, a) for d, a, _ in cells):
        if (d, a, "dae") in cells and (d, a, "none") in cells and (d, a) not in done:
            dae, none = paper.test_error(d, a, "dae"), paper.test_error(d, a, "none")
            why = [_missing((d, a, p), ran) for p in ("dae", "none")]
            why = NOT_RUN if NOT_RUN in why else NOT_CHOSEN
            rows.append({"data set": d, "activation": a, "n seeds (dae / none)": "",
                         "with pre-training": why, "without": "",
                         "difference ± sd": "",
                         "paper's difference": paper_cell(dae.value - none.value, dae.provisional
                                                          or none.provisional, signed=True)
                         if dae and none else "none",
                         "verdict": why})
    return pd.DataFrame(rows)


def comparison_columns(table: pd.DataFrame) -> dict:
    """Ours minus the paper's difference, its 90% and 95% intervals, and the verdict."""
    return {f"ours − paper's {DIFFERENCE[len('difference '):]}": [
                difference(d - p, *ci) for d, p, *ci in
                zip(table["difference"], table["paper_difference"],
                    *(table[c] for c in CI_COLUMNS))],
            REACH: reach(table), "verdict": table["verdict"]}


def comparisons(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "data set": table["dataset"], "pre-training": table["pretraining"],
        "comparison": [f"{a} − {b}" for a, b in zip(table["a"], table["b"])],
        "n seeds": [f"{a} / {b}" for a, b in zip(table["n_seeds_a"], table["n_seeds_b"])],
        "ours ± sd": [signed(d) if s != s else f"{signed(d)} ± {fixed(s)}"
                      for d, s in zip(table["difference"], table["difference_sd"])],
        # Finding 1 reads the sign of this interval: our own difference's, no paper figure in it.
        "ours (90% CI)": ["" if lo != lo else f"[{signed(lo)}, {signed(hi)}]" for lo, hi in
                          zip(table["ours_ci90_low"], table["ours_ci90_high"])],
        "paper": [paper_cell(v, p, signed=True) for v, p in
                  zip(table["paper_difference"], table["paper_provisional"])],
        **comparison_columns(table)})


def pretraining(pt: pd.DataFrame) -> pd.DataFrame:
    layers = sorted(int(c[7:-5]) for c in pt.columns if c.startswith("recon_l") and
                    c.endswith("_mean"))
    view = pd.DataFrame({"data set": pt["dataset"], "activation": pt["activation"],
                         "n seeds": pt["n_seeds"]})
    for i in layers:
        view[f"reconstruction cost, layer {i}"] = [
            "" if m != m else pm(m, s, 3) for m, s in zip(pt[f"recon_l{i}_mean"],
                                                           pt[f"recon_l{i}_sd"])]
    for i in layers:
        view[f"code sparsity %, layer {i}"] = ["" if m != m else fixed(m, 1)
                                               for m in pt[f"sparsity_l{i}_mean"]]
    diverged = [m != m for m in pt["sparsity_mean"]]     # every seed's stack: no codes measured
    view["code sparsity %, all layers"] = ["diverged" if d else fixed(m, 1)
                                           for d, m in zip(diverged, pt["sparsity_mean"])]
    view["dead units per layer"] = [
        "" if d else " / ".join(fixed(v, 0) if v == v else "" for v in values)
        for d, *values in zip(diverged, *(pt[f"dead_l{i}_mean"] for i in layers))]
    view["wall time per job"] = [seconds(s) for s in pt["wall_time_mean"]]
    return view


def splits(runs: pd.DataFrame) -> pd.DataFrame:
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


def protocol(runs: pd.DataFrame, lrs: pd.DataFrame) -> pd.DataFrame:
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


def compute(runs: pd.DataFrame, pre: pd.DataFrame | None,
            shared: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """Where and how long the jobs ran: each job's wall-clock time summed (runs.collect counts
    every process of a resumed job; the run's elapsed time is not recorded) and core-hours; of
    them, those of the jobs `shared` names (folders) as another published run's, by run."""
    wall = runs["wall_time_s"]
    device_names = [f"{d}: {n}" if isinstance(n, str) else d
                    for d, n in zip(runs["device"], runs["device_name"])]
    rows = [("device", distinct(device_names)),
            ("summed job time (wall clock)", seconds(wall.sum())),
            ("per run: mean / min / max", " / ".join(seconds(x) for x in
                                                     (wall.mean(), wall.min(), wall.max())))]
    if runs["dataset"].nunique() > 1:
        rows += [(f"summed job time, {d}", seconds(wall[g.index].sum()))
                 for d, g in runs.groupby("dataset", sort=False)]
    core_s = (wall * threads(runs)).sum()
    if pre is not None:
        pre_wall = pre["wall_time_s"]
        rows.append(("pre-training: jobs, summed job time", f"{len(pre)}, {seconds(pre_wall.sum())}"))
        core_s += (pre_wall * threads(pre)).sum()
    rows.append(("compute used", f"{fixed(core_s / 3600)} core-hours (each job's wall-clock time × "
                 "its torch threads; time a job sat paused or slowed by other work on its machine "
                 "counts too, so this bounds the compute from above)"))
    jobs = pd.concat([runs, pre]) if pre is not None else runs
    folders = [Path(d).resolve() for d in jobs["run_dir"]]
    for run, shares in (shared or {}).items():
        mine = {Path(f).resolve() for f in shares}
        held = [f in mine for f in folders]
        if any(held):
            core_h = (jobs["wall_time_s"] * threads(jobs))[held].sum() / 3600
            rows.append((f"of which shared with {run}", f"{count(sum(held), 'job')}, "
                         f"{fixed(core_h)} core-hours: the same jobs as that published run's, so "
                         "adding the two runs' compute counts them twice"))
    if "tracking_status" in runs:
        rows.append(("MLflow tracking", distinct(runs["tracking_status"])))
    return pd.DataFrame(rows, columns=["item", "value"])


def software(runs: pd.DataFrame) -> pd.DataFrame:
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


def pretraining_rates(rates: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "data set": rates["dataset"], "activation": rates["activation"],
        "learning rate": [f"{x:g}" for x in rates["lr"]], "n seeds": rates["n_seeds"],
        "validation reconstruction, layer 1": [
            "diverged" if m == float("inf") else pm(m, s, 3)
            for m, s in zip(rates["valid_recon_l1_mean"], rates["valid_recon_l1_sd"])],
        **compared(rates, "valid_recon_l1_compared", "layer 1", 3),
        "diverged": rates["diverged"],
        "chosen": ["yes" if x else "" for x in rates["selected"]]})


def ablations(table: pd.DataFrame) -> pd.DataFrame:
    """rectifier.ablations.table as shown: each number of the cell's job → the ablated job's."""
    number = lambda v, fmt: fmt(v) if np.isfinite(v) else "diverged"
    arrow = lambda a, b, fmt=fixed, base=True: (
        (number(a, fmt) + " → " if base else "") + number(b, fmt))
    rate = lambda lr, chosen, n: f"{lr:g}" + (
        " (not in this run)" if not n else " (the cell's choice)" if lr == chosen else
        f" (the cell chose {chosen:g})" if chosen == chosen else " (the cell has no choice)")
    has = table["has_base"]
    return pd.DataFrame({
        "ablation": table["ablation"], "changed": table["change"],
        "cell": [", ".join(filter(None, r)) for r in zip(
            table["dataset"], table["activation"], table["pretraining"], table["point"])],
        "seed": table["seed"],
        "rate": [rate(*r) for r in zip(table["lr"], table["chosen_lr"], table["cell_runs"])],
        "test error: cell → ablated": [arrow(a, b, base=h) for a, b, h in
                                       zip(table["test_error_base"], table["test_error"], has)],
        "difference (noise sd)": ["" if d != d else signed(d) + ("" if n != n else f" ({fixed(n)})")
                                  for d, n in zip(table["difference"], table["noise_sd"])],
        "effect": table["effect"],
        "ours − paper": ["" if p != p else arrow(a, b, signed, h) for a, b, p, h in
                         zip(table["gap_base"], table["gap"], table["paper"], has)],
        "valid error": [arrow(a, b, base=h) for a, b, h in
                        zip(table["valid_error_base"], table["valid_error"], has)],
        "exact sparsity": [arrow(a, b, lambda v: f"{fixed(v, 1)}%", h) for a, b, h in
                           zip(table["sparsity_base"], table["sparsity"], has)],
        "best epoch": [arrow(a, b, lambda v: fixed(v, 0), h) for a, b, h in
                       zip(table["best_epoch_base"], table["best_epoch"], has)],
        "stopped": table["stopped"]})


def operating(table: pd.DataFrame) -> pd.DataFrame:
    """Each kind of verdict's simulated rates at the run's design (rectifier.operating.table),
    finding 1's direction rule left to the text."""
    rows = table[table["verdict"] != "finding 1 (direction)"]
    pct = lambda xs: [f"{fixed(100 * x, 1)}%" for x in xs]
    return pd.DataFrame({
        "data set": rows["dataset"], "verdict": rows["verdict"], "seeds a cell": rows["seeds"],
        "pooled sd (dof)": [f"{fixed(s, 2)} ({d})" for s, d in
                            zip(rows["noise_sd"], rows["noise_dof"])],
        "margin": [fixed(m, 2) for m in rows["margin"]],
        "true difference 0: reproduced": pct(rows["reproduced_at_0"]),
        "not reproduced": pct(rows["not_reproduced_at_0"]),
        "true difference 2 × margin: reproduced": pct(rows["reproduced_at_2m"]),
        "not reproduced ": pct(rows["not_reproduced_at_2m"])})
