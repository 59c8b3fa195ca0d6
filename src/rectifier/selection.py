"""Which runs count: the configurations (data set, activation, pre-training) in the paper's order,
and for each the learning rate with the best validation error over its seeds, as the paper picks
(select_lr). The tables, the figures and the report show only those runs (selected_runs). The
pre-training rate is chosen the same way per activation, on the validation reconstruction cost
(select_pretraining_lr). Rates are compared on the seeds they all ran: every seed by default, the
first alone under selection.seeds `first` (the workflow then runs the other seeds at its choice).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rectifier import paper
from rectifier.names import ALL_LABELS, TABLE1_L1, family, sharpness

KEY = ["dataset", "activation", "pretraining"]

# Table order: the paper's activations and pre-training order; sigmoid (our extension) last.
ACTIVATION_ORDER = ("rectifier", "tanh", "softplus", "sigmoid")
PRETRAINING_ORDER = paper.PRETRAINING


# ---------------------------------------------------------------------------------- configurations

def _rank(value: str, order: tuple[str, ...]) -> int:
    return order.index(value) if value in order else len(order)


def configurations(runs: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Configurations in the paper's order: its data sets first (then ours as they appear),
    rectifier, tanh, softplus, sigmoid, and pre-training (dae) before none."""
    first_seen = {d: i for i, d in enumerate(dict.fromkeys(runs["dataset"]))}
    keys = {tuple(k) for k in runs[KEY].itertuples(index=False)}
    return sorted(keys, key=lambda k: (
        _rank(k[0], paper.DATASETS), first_seen[k[0]],
        _rank(family(k[1]), ACTIVATION_ORDER), sharpness(k[1]) or 0.0, k[1],
        _rank(k[2], PRETRAINING_ORDER), k[2]))


# A sweep point (the paper's Figures 3 and 4): the L1 penalty and the labels' fraction.
VARIANT = ["l1", "label_fraction"]


def _point_l1(runs: pd.DataFrame) -> pd.Series:
    """Each run's L1 as a sweep point: its own where its activation ran several (a sweep), else
    Table 1's. A reading may put the penalty on some activations only (the authors' library put
    it on the rectifier alone): an activation run at one L1 is at its Table 1 setting."""
    single = runs.groupby("activation")["l1"].transform("nunique") == 1
    return runs["l1"].where(~single, TABLE1_L1)


def variants(runs: pd.DataFrame) -> list[tuple[float, float]]:
    """The (l1, label fraction) points the runs hold, sorted."""
    return sorted(set(zip(map(float, _point_l1(runs)), map(float, runs["label_fraction"]))))


def at(runs: pd.DataFrame, point: tuple[float, float]) -> pd.DataFrame:
    return runs[(_point_l1(runs) == point[0]) & (runs["label_fraction"] == point[1])]


def table1_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs of Table 1's setting (L1 0.001, or an activation's one L1; every label), which the
    Table 1 sections judge;
    a sweep's other points are results of their own (tables.sweeps). A grid that never ran
    that setting has one point (or its first) stand in."""
    if runs.empty:
        return runs
    points = variants(runs)
    table1 = (TABLE1_L1, ALL_LABELS)
    return at(runs, table1 if table1 in points else points[0])


def groups(runs: pd.DataFrame):
    """(configuration, its runs by seed), in the paper's order (configurations())."""
    for key in configurations(runs):
        mask = (runs[KEY] == pd.Series(key, index=KEY)).all(axis=1)
        yield key, runs[mask].sort_values("seed")


def mean_sd(values: np.ndarray) -> tuple[float, float]:
    """Mean and sample sd (ddof=1); sd is NaN for a single seed, which has no spread, and
    where a value is infinite (a diverged run's validation error)."""
    if len(values) < 2 or not np.isfinite(values).all():
        return float(values.mean()), math.nan
    return float(values.mean()), float(values.std(ddof=1))


# -------------------------------------------------------------------------- learning-rate choice

def same(a: float, b: float) -> bool:
    """Equal up to rounding: the same errors summed in another order may differ in the last bit."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _choose(g: pd.DataFrame, criterion: str):
    """(rate, its jobs) larger rate first, the rates tied for the lowest mean `criterion` over
    the seeds that every rate ran (all of them under selection.seeds `all`, the first under
    `first`, where the other seeds ran the chosen rate only; none tied when every mean is
    infinite), each rate's mean compared, and those seeds as the tables show them."""
    by_lr = sorted(g.groupby("lr"), key=lambda item: -item[0])
    shared = set.intersection(*(set(h["seed"]) for _, h in by_lr))
    means = [h.loc[h["seed"].isin(shared), criterion].mean() if shared else math.inf
             for _, h in by_lr]
    best = min(means)
    tied = [lr for (lr, _), m in zip(by_lr, means) if math.isfinite(best) and same(m, best)]
    return by_lr, tied, means, " ".join(map(str, sorted(shared)))


def select_lr(runs: pd.DataFrame) -> pd.DataFrame:
    """Per configuration and learning rate (larger first): seeds, validation error (mean ± sd),
    mean test error, and `selected`: the rate with the lowest mean validation error over its
    seeds (those every rate ran: _choose), as the paper picks; a tie goes to the larger rate, and
    `tied` marks the rates that tied for the best. `diverged` counts the seeds whose run
    diverged: their validation error is infinite, so such a rate is never selected, and a
    configuration whose every rate diverged has none selected."""
    rows = []
    for key, g in groups(runs):
        by_lr, tied, compared, seeds = _choose(g, "valid_error_pct")
        on = set(map(int, seeds.split()))
        for (lr, h), m in zip(by_lr, compared):
            valid_mean, valid_sd = mean_sd(h["valid_error_pct"].to_numpy(float))
            # the test error on the seeds the choice compared, to read beside their validation
            test_compared = float(h.loc[h["seed"].isin(on), "test_error_pct"].mean())
            rows.append({**dict(zip(KEY, key)), "lr": float(lr), "n_seeds": len(h),
                         "valid_error_mean": valid_mean, "valid_error_sd": valid_sd,
                         "valid_error_compared": m, "compared_seeds": seeds,
                         "test_error_mean": float(h["test_error_pct"].mean()),
                         "test_error_compared": test_compared,
                         "diverged": int(h["valid_error_pct"].eq(math.inf).sum()),
                         "selected": bool(tied) and lr == max(tied),
                         "tied": len(tied) > 1 and lr in tied})
    return pd.DataFrame(rows, columns=KEY + ["lr", "n_seeds", "valid_error_mean",
                                             "valid_error_sd", "valid_error_compared",
                                             "compared_seeds", "test_error_mean",
                                             "test_error_compared", "diverged",
                                             "selected", "tied"])


def select_pretraining_lr(pre: pd.DataFrame) -> pd.DataFrame:
    """Per (data set, activation) and pre-training rate (larger first): seeds, the first
    layer's validation reconstruction cost (mean ± sd), `diverged` (stacks), and `selected`: the
    lowest mean over the seeds (those every rate ran), a tie to the larger rate. The first
    layer's cost, because only its target (the inputs) is the same for every candidate rate: the
    layers above reconstruct codes that the rate itself shaped."""
    rows = []
    for key, g in groups(pre):
        by_lr, tied, compared, seeds = _choose(g, "valid_recon_loss_l1")
        for (lr, h), m in zip(by_lr, compared):
            mean, sd = mean_sd(h["valid_recon_loss_l1"].to_numpy(float))
            rows.append({"dataset": key[0], "activation": key[1], "lr": float(lr),
                         "n_seeds": len(h), "valid_recon_l1_mean": mean, "valid_recon_l1_sd": sd,
                         "valid_recon_l1_compared": m, "compared_seeds": seeds,
                         "diverged": int(h["valid_recon_loss_l1"].eq(math.inf).sum()),
                         "selected": bool(tied) and lr == max(tied)})
    return pd.DataFrame(rows, columns=["dataset", "activation", "lr", "n_seeds",
                                       "valid_recon_l1_mean", "valid_recon_l1_sd",
                                       "valid_recon_l1_compared", "compared_seeds", "diverged",
                                       "selected"])


def chosen(table: pd.DataFrame) -> dict:
    """One configuration's choice from select_lr or select_pretraining_lr, as the workflow
    records it: {"lr": the rate, "candidates": the table's rows}. Refuses a table of several
    configurations, and one whose every candidate diverged (nothing to go on with)."""
    keys = table.drop_duplicates(["dataset", "activation"] + (
        ["pretraining"] if "pretraining" in table else []))
    if len(keys) != 1:
        raise ValueError(f"choose one configuration's rate at a time, not {len(keys)}")
    picked = table[table["selected"]]
    if picked.empty:
        raise ValueError(f"every candidate rate {sorted(table['lr'])} diverged: no rate to go on "
                         "with; try smaller ones")
    finite = lambda v: v if not isinstance(v, float) or math.isfinite(v) else None   # JSON
    rows = [{k: finite(v) for k, v in row.items()} for row in table.to_dict("records")]
    return {"lr": float(picked["lr"].iloc[0]), "candidates": rows}


def mark_selected(runs: pd.DataFrame) -> pd.DataFrame:
    """`runs` with a boolean column `selected`: true for the runs of each configuration's
    chosen learning rate (select_lr)."""
    table = select_lr(runs)
    chosen = set(table.loc[table["selected"], KEY + ["lr"]].itertuples(index=False, name=None))
    return runs.assign(selected=[k in chosen for k in
                                 runs[KEY + ["lr"]].itertuples(index=False, name=None)])


def selected_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Only the runs of each configuration's chosen learning rate: what the paper reports.
    Chosen afresh from `runs`, so a subset of runs never carries a stale choice."""
    marked = mark_selected(runs)
    return marked[marked["selected"]]


def selected_stacks(pre: pd.DataFrame) -> pd.DataFrame:
    """Only the pre-training jobs of each activation's chosen rate (select_pretraining_lr)."""
    table = select_pretraining_lr(pre)
    chosen = set(table.loc[table["selected"], ["dataset", "activation", "lr"]]
                 .itertuples(index=False, name=None))
    return pre[[k in chosen for k in pre[["dataset", "activation", "lr"]]
                .itertuples(index=False, name=None)]]
