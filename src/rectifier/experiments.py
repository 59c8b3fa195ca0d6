"""The paper's other experiments, read off the runs: the sparsity sweep (Figure 3), fewer labels
(Figure 4) and the smoothness of the non-linearity. Each gives the points its figure draws and a
one-sentence verdict on the paper's statement, judged with the data set's margin
(verdicts.margin in params.yaml) as the smallest difference that counts."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from rectifier import paper
from rectifier.names import family, sharpness
from rectifier.selection import at, mean_sd, selected_runs, table1_runs, variants

KNEE = paper.SPARSITY_KNEE_PCT


def _points(runs: pd.DataFrame) -> pd.DataFrame:
    """Every point of a sweep at its chosen rate: one row per network (seed)."""
    return pd.concat([selected_runs(at(runs, p)) for p in variants(runs)], ignore_index=True)


# ----------------------------------------------------------------------------- Figure 3

def sparsity_sweep(runs: pd.DataFrame) -> pd.DataFrame:
    """The randomly initialised rectifier networks of an L1 sweep (several train.l1, every
    label, no pre-training), one row each: l1, exact sparsity, test error."""
    if runs.empty:
        return runs
    swept = runs[(runs["activation"] == "rectifier") & (runs["label_fraction"] == 1.0)
                 & (runs["pretraining"] == "none")]
    if swept["l1"].nunique() < 2:
        return swept.iloc[0:0]
    return _points(swept)


def sparsity_verdict(networks: pd.DataFrame, margin: float) -> str:
    """Does the test error stay flat until about 85% exact sparsity? Points are the mean per
    L1 value; flat = every mean below the knee within `margin` of the best of them."""
    by_l1 = networks.groupby("l1").agg(error=("test_error_pct", "mean"),
                                       sparsity=("sparsity_pct_mean", "mean"))
    below, above = by_l1[by_l1["sparsity"] < KNEE], by_l1[by_l1["sparsity"] >= KNEE]
    if len(below) < 2:
        return (f"Cannot judge: fewer than two L1 values leave the networks under "
                f"{KNEE:.0f}% exact sparsity.")
    spread = below["error"].max() - below["error"].min()
    worst = below["error"].idxmax()
    flat = spread <= margin
    beyond = ""
    if len(above):
        rise = above["error"].min() - below["error"].min()
        beyond = f" Beyond it, the best mean test error is {rise:+.2f} points from the best under it."
    else:
        beyond = f" No L1 value reached {KNEE:.0f}%: the rise beyond it is not tested."
    return ((f"Consistent: under {KNEE:.0f}% sparsity the mean test error varies by "
             f"{spread:.2f} points across {len(below)} L1 values, within the margin of "
             f"{margin:g}." if flat else
             f"Not consistent: under {KNEE:.0f}% sparsity the mean test error already varies by "
             f"{spread:.2f} points (worst at L1 {worst:g}, "
             f"{below.loc[worst, 'sparsity']:.1f}% sparse), beyond the margin of {margin:g}.")
            + beyond)


# ----------------------------------------------------------------------------- Figure 4

def label_curves(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd of the test error per (data set, activation, pre-training, fraction) of a
    labels sweep (several train.label_fraction) at Table 1's L1."""
    if runs.empty or runs["label_fraction"].nunique() < 2:
        return pd.DataFrame()
    l1 = float(table1_runs(runs)["l1"].iloc[0])
    rows = []
    for key, g in _points(runs[runs["l1"] == l1]).groupby(
            ["dataset", "activation", "pretraining", "label_fraction"]):
        mean, sd = mean_sd(g["test_error_pct"].to_numpy(float))
        rows.append(dict(zip(["dataset", "activation", "pretraining", "label_fraction"], key),
                         n_seeds=len(g), n_labelled=int(g["n_labelled"].min()),
                         test_error_mean=mean, test_error_sd=sd))
    return pd.DataFrame(rows)


def labels_verdict(curves: pd.DataFrame, margin: float) -> str:
    """Pre-training helps most with few labels (its gain at the fewest labels above its gain
    with all of them, by more than `margin`); with all labels the rectifier needs none (its
    gain there within `margin`)."""
    said = []
    for activation, g in curves.groupby("activation", sort=False):
        both = g.pivot(index="label_fraction", columns="pretraining", values="test_error_mean")
        if not {"none", "dae"} <= set(both.columns):
            continue
        gain = (both["none"] - both["dae"]).dropna()
        if len(gain) < 2:
            continue
        few, full = gain.iloc[0], gain.iloc[-1]
        said.append(f"{activation}: pre-training gains {few:+.2f} points at "
                    f"{gain.index[0]:.0%} of the labels and {full:+.2f} at "
                    f"{gain.index[-1]:.0%}, " + ("helping more with fewer labels"
                                                 if few - full > margin else
                                                 "not more with fewer labels (margin "
                                                 f"{margin:g})"))
        if activation == "rectifier" and gain.index[-1] == 1.0:
            said.append("with all labels the rectifier " + (
                "needs no pre-training (its gain within the margin)" if abs(full) <= margin
                else ("still gains from it" if full > 0 else "loses by it")))
    if not said:
        return "Cannot judge: no activation was run with and without pre-training at two fractions."
    return "; ".join(said) + "."


# ----------------------------------------------------------------------------- smoothness

def smoothness(runs: pd.DataFrame) -> pd.DataFrame:
    """Test error by sharpness a: each softplus (a = 1) and scaled softplus, and the rectifier
    as a = infinity, at Table 1's setting and the chosen rates, without pre-training."""
    if runs.empty:
        return pd.DataFrame()
    chosen = selected_runs(table1_runs(runs))
    chosen = chosen[chosen["pretraining"] == "none"]
    scaled = chosen[chosen["activation"].map(lambda a: family(a) == "softplus").astype(bool)]
    if scaled["activation"].nunique() < 2:
        return pd.DataFrame()
    rows = []
    for (dataset, activation), g in pd.concat(
            [scaled, chosen[chosen["activation"] == "rectifier"]]).groupby(
            ["dataset", "activation"]):
        mean, sd = mean_sd(g["test_error_pct"].to_numpy(float))
        a = sharpness(activation)
        rows.append({"dataset": dataset, "activation": activation,
                     "a": math.inf if a is None else a, "n_seeds": len(g),
                     "test_error_mean": mean, "test_error_sd": sd,
                     "paper_norb": paper.SMOOTHNESS_ERRORS.get(math.inf if a is None else a,
                                                               math.nan)})
    return pd.DataFrame(rows).sort_values(["dataset", "a"], ignore_index=True)


def smoothness_verdict(table: pd.DataFrame, margin: float) -> str:
    """The sharper, the better: the mean test error falls as a grows (Spearman's rank
    correlation of a and the mean), the rectifier lowest or within `margin` of the lowest."""
    said = []
    for dataset, g in table.groupby("dataset", sort=False):
        rho = spearmanr(g["a"].replace(math.inf, 1e9), g["test_error_mean"]).statistic
        best = g["test_error_mean"].min()
        rectifier = g.loc[np.isinf(g["a"]), "test_error_mean"]
        sharp = not rectifier.empty and rectifier.iloc[0] - best <= margin
        said.append(f"{dataset}: " + ("consistent" if rho < 0 and sharp else "not consistent")
                    + f" (rank correlation of a and the test error {rho:+.2f}"
                    + ("" if rectifier.empty else
                       f"; the rectifier {rectifier.iloc[0] - best:+.2f} points from the best")
                    + ")")
    return "; ".join(said) + "."
