"""The paper's other experiments, read off the runs: the sparsity sweep (Figure 3), fewer labels
(Figure 4) and the smoothness of the non-linearity. Each gives the points its figure draws and a
one-sentence verdict on the paper's statement, judged with the data set's margin
(verdicts.margin in params.yaml) as the smallest difference that counts."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from scipy.stats import t as student_t

from rectifier import paper, tables
from rectifier.names import family, sharpness
from rectifier.rounding import fixed, signed
from rectifier.selection import at, mean_sd, selected_runs, table1_runs, variants
from rectifier.verdicts import floored_sd, mean_part, welch
from rectifier.wording import count, span

KNEE = paper.SPARSITY_KNEE_PCT
CONSISTENT, NOT_CONSISTENT, CANNOT = "consistent", "not consistent", "cannot judge"


class Claim(NamedTuple):
    """One statement of the paper judged on one data set: a headline row and its sentence."""
    dataset: str
    claim: str          # the paper's statement, short
    ours: str           # our figure, short
    paper: str          # the paper's figure, short
    verdict: str        # consistent | not consistent | cannot judge
    sentence: str       # the report's verdict, with the figures that decide it
    basis: str          # what the verdict rests on, for the headline: "means of 2 seeds"


def _dataset(frame: pd.DataFrame) -> str:
    (name,) = set(frame["dataset"])     # a claim is judged on one data set
    return name


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


def sparsity_claim(networks: pd.DataFrame, margin: float) -> Claim:
    """Does the test error not rise until about 85% exact sparsity (one data set's networks)?
    Each network under the knee is a point: the least-squares line of test error on exact
    sparsity gives the error's rise across their sparsity range, with a Student-t interval on
    n - 2 degrees of freedom (the residual sd floored at one run's binomial standard error, as
    Table 1's sd is). Consistent: the 90% interval's upper end is below +margin (a one-sided
    test at 5%: the error rises by less than the margin, or falls); not consistent: its lower
    end is above +margin; cannot judge otherwise. The spread of single networks' errors would
    not do: it grows with the number of L1 values even where the error is flat."""
    below = networks[networks["sparsity_pct_mean"] < KNEE]
    above = networks[networks["sparsity_pct_mean"] >= KNEE]
    claim = Claim(_dataset(networks), f"test error does not rise until about {fixed(KNEE, 0)}% exact "
                  "sparsity (Figure 3)", "", f"no rise until about {fixed(KNEE, 0)}%", CANNOT, "", "")
    x = below["sparsity_pct_mean"].to_numpy(float)
    y = below["test_error_pct"].to_numpy(float)
    if below["l1"].nunique() < 2 or len(below) < 3 or np.ptp(x) == 0:
        return claim._replace(sentence=f"Cannot judge: fewer than three networks on two L1 "
                              f"values and two sparsities lie under {fixed(KNEE, 0)}% exact sparsity.")
    slope, intercept = np.polyfit(x, y, 1)
    dof = len(x) - 2
    residual_sd = math.sqrt(float(np.sum((y - slope * x - intercept) ** 2)) / dof)
    sd = floored_sd(float(y.mean()), residual_sd, int(below["n_test"].min()))
    width = float(x.max() - x.min())
    rise = slope * width
    half = float(student_t.ppf(0.95, dof)) * sd * width / math.sqrt(float(np.sum((x - x.mean()) ** 2)))
    low, high = rise - half, rise + half
    means = networks.groupby("l1")["test_error_pct"].mean()
    if len(above):
        gap = means[above["l1"].unique()].min() - means[below["l1"].unique()].min()
        beyond = f" Beyond it, the best mean test error is {signed(gap)} points from the best under it."
    else:
        beyond = f" No L1 value reached {fixed(KNEE, 0)}%: the rise beyond it is not tested."
    ours = f"fitted rise {signed(rise)} [{signed(low)}, {signed(high)}] under {fixed(KNEE, 0)}%"
    fit = (f"from {fixed(x.min(), 0)}% to {fixed(x.max(), 0)}% exact sparsity ({len(x)} networks, "
           f"{below['l1'].nunique()} L1 values) the fitted test error changes by {signed(rise)} "
           f"points (90% interval [{signed(low)}, {signed(high)}])")
    if high < margin:
        verdict, said = CONSISTENT, f"Consistent: {fit}, no rise beyond the margin of {margin:g}."
    elif low > margin:
        verdict, said = NOT_CONSISTENT, f"Not consistent: {fit}, a rise beyond the margin of {margin:g}."
    else:
        verdict, said = CANNOT, (f"Cannot judge yet: {fit}, whose interval contains the margin of "
                                 f"{margin:g}; more networks narrow it.")
    per_l1 = below.groupby("l1").size()
    basis = (f"{len(x)} networks, {span(per_l1)} "
             f"{'seed' if per_l1.max() == 1 else 'seeds'} per L1 value")
    return claim._replace(ours=ours, verdict=verdict, sentence=said + beyond, basis=basis)


# ----------------------------------------------------------------------------- Figure 4

def label_curves(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd of the test error per (data set, activation, pre-training, fraction) of a
    labels sweep (several train.label_fraction) at Table 1's L1, at the chosen rate (`lr`);
    `rates_tried` counts the rates with a finished job there, diverged ones included (a run in
    progress chooses among those), `at_cap` the chosen runs the epoch cap ended."""
    if runs.empty or runs["label_fraction"].nunique() < 2:
        return pd.DataFrame()
    l1 = float(table1_runs(runs)["l1"].iloc[0])
    columns = ["dataset", "activation", "pretraining", "label_fraction"]
    tried = runs[runs["l1"] == l1].groupby(columns)["lr"].nunique()
    rows = []
    for key, g in _points(runs[runs["l1"] == l1]).groupby(columns):
        mean, sd = mean_sd(g["test_error_pct"].to_numpy(float))
        # Runs the epoch cap ended, early stopping not (as the Deviations section counts them).
        capped = g["stopped"] == "max_epochs"
        rows.append(dict(zip(columns, key), n_seeds=len(g), n_labelled=int(g["n_labelled"].min()),
                         n_test=int(g["n_test"].min()),
                         lr=float(g["lr"].iloc[0]), rates_tried=int(tried[key]),
                         at_cap=int(capped.sum()),
                         test_error_mean=mean, test_error_sd=sd))
    return pd.DataFrame(rows)


def _gain(curves: pd.DataFrame, fraction: float) -> tuple[float, list[tuple[float, int]]]:
    """Pre-training's gain at one fraction (mean error without minus with) and each mean's
    (variance, n), its sd floored at one run's binomial standard error as Table 1's is (a point
    of one seed has only the floor: _lower_upper gives it no interval)."""
    gain, parts = 0.0, []
    for pretraining, sign in (("none", 1.0), ("dae", -1.0)):
        (point,) = curves[(curves["label_fraction"] == fraction)
                          & (curves["pretraining"] == pretraining)].itertuples()
        gain += sign * point.test_error_mean
        parts.append(mean_part(point.test_error_mean, point.test_error_sd, point.n_seeds,
                               point.n_test))
    return gain, parts


def _lower_upper(estimate: float, parts: list[tuple[float, int]]) -> tuple[float, float]:
    """The 90% Welch-Satterthwaite interval of a sum of independent means (variance, n each);
    (NaN, NaN) when a mean rests on one seed."""
    if min(n for _, n in parts) < 2:
        return math.nan, math.nan
    variance, dof = welch(parts)        # no variance (no error anywhere): a point interval
    half = float(student_t.ppf(0.95, dof)) * math.sqrt(variance)
    return estimate - half, estimate + half


def labels_claims(curves: pd.DataFrame, margin: float) -> list[Claim]:
    """One data set's curves, each claim judged on 90% Welch intervals against `margin`, the
    smallest gain that counts. Pre-training helps most with few labels (per activation):
    consistent when, at the fewest labels, its gain and that gain less its gain at the most
    labels both exceed the margin (the intervals' lower ends); not consistent when either is
    shown below it (an upper end: either of two one-sided tests at 5%, so up to 10% together);
    cannot judge otherwise, and on points of one seed. With all
    labels the rectifier needs none: consistent when its gain there is shown below the margin
    (a loss is needing none too), not consistent when shown above it."""
    claims, dataset = [], _dataset(curves)
    seeds = f"means of {count(int(curves['n_seeds'].min()), 'seed')}"
    for activation, g in curves.groupby("activation", sort=False):
        both = g.pivot(index="label_fraction", columns="pretraining", values="test_error_mean")
        if not {"none", "dae"} <= set(both.columns):
            continue
        fractions = list((both["none"] - both["dae"]).dropna().index)
        if len(fractions) < 2:
            continue
        (few, few_parts), (full, full_parts) = (_gain(g, f) for f in (fractions[0], fractions[-1]))
        helps = _lower_upper(few, few_parts)
        more = _lower_upper(few - full, few_parts + full_parts)
        interval = lambda ci: "" if math.isnan(ci[0]) else f" [{signed(ci[0])}, {signed(ci[1])}]"
        at = (f"{signed(few)}{interval(helps)} points at {fractions[0]:.0%} of the labels and "
              f"{signed(full)} at {fractions[-1]:.0%}, {signed(few - full)}{interval(more)} more")
        one_seed = math.isnan(more[0])          # `more` rests on every point `helps` does
        if one_seed:
            verdict, said = CANNOT, "cannot judge yet: a point rests on one seed"
        elif helps[0] > margin and more[0] > margin:
            verdict, said = CONSISTENT, f"helping more with fewer labels (margin {margin:g})"
        elif helps[1] < margin:
            verdict, said = NOT_CONSISTENT, f"not helping with the fewest labels (margin {margin:g})"
        elif more[1] < margin:
            verdict, said = NOT_CONSISTENT, f"not helping more with fewer labels (margin {margin:g})"
        else:
            verdict, said = CANNOT, f"cannot judge yet: an interval contains the margin of {margin:g}"
        claims.append(Claim(dataset, f"{activation}: pre-training helps most with few labels "
                            "(Figure 4)", f"gain {signed(few)} at {fractions[0]:.0%}, {signed(full)} "
                            f"at {fractions[-1]:.0%}", "larger gain with fewer labels", verdict,
                            f"{activation}: pre-training gains {at}"
                            f"{'' if one_seed else ' (90% intervals)'}, {said}",
                            seeds))
        if activation == "rectifier" and fractions[-1] == 1.0:
            low, high = _lower_upper(full, full_parts)
            if math.isnan(low):
                verdict, said = CANNOT, "cannot judge yet, a point resting on one seed"
            elif high < margin:
                verdict, said = CONSISTENT, ("it needs none (pre-training costs it "
                                             f"{fixed(-full)} points)" if full < 0 else
                                             f"it needs none (a gain under the margin of {margin:g})")
            elif low > margin:
                verdict, said = NOT_CONSISTENT, f"it still gains from it (margin {margin:g})"
            else:
                verdict, said = CANNOT, f"cannot judge yet, the interval containing the margin of {margin:g}"
            claims.append(Claim(
                dataset, "rectifier: with all labels, no need of pre-training (Figure 4)",
                f"gain {signed(full)}", "no gain", verdict,
                f"with all labels the rectifier's gain from pre-training is {signed(full)}"
                f"{interval((low, high))}: {said}", seeds))
    return claims or [Claim(dataset, "pre-training helps most with few labels (Figure 4)", "",
                            "larger gain with fewer labels", CANNOT,
                            "Cannot judge: no activation was run with and without "
                            "pre-training at two fractions", seeds)]


def sentence(claims: list[Claim]) -> str:
    """The report's one-sentence verdict of an experiment's claims on one data set."""
    return "; ".join(c.sentence.rstrip(".") for c in claims) + "."


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
                     "n_test": int(g["n_test"].min()),
                     "test_error_mean": mean, "test_error_sd": sd,
                     "paper_norb": paper.SMOOTHNESS_ERRORS.get(math.inf if a is None else a,
                                                               math.nan)})
    return pd.DataFrame(rows).sort_values(["dataset", "a"], ignore_index=True)


def smoothness_claim(table: pd.DataFrame, margin: float) -> Claim:
    """The sharper, the better (one data set): the smoothest network (the least a) against the
    rectifier (a → ∞), on the 90% Welch interval of their difference of mean test errors (sd
    floored at the binomial SE, as Table 1's): consistent when it shows the rectifier better by
    more than `margin`, not consistent when it shows less, cannot judge otherwise and on one
    seed. Spearman's rank correlation of a and the mean error says whether the points between
    fall in order; with four means it describes, it does not decide."""
    claim = Claim(_dataset(table), "the sharper the non-linearity, the lower the error "
                  "(smoothness)", "", "falls as a grows (NORB: " + ", ".join(
                      fixed(e) for e in paper.SMOOTHNESS_ERRORS.values()) + ")", CANNOT, "",
                  f"means of {count(int(table['n_seeds'].min()), 'seed')}")
    if not np.isinf(table["a"]).any():
        return claim._replace(sentence="Cannot judge: no rectifier network (a → ∞) was run")
    smooth, sharp = table.iloc[0], table[np.isinf(table["a"])].iloc[0]
    parts = [mean_part(p["test_error_mean"], p["test_error_sd"], int(p["n_seeds"]),
                       int(p["n_test"])) for p in (smooth, sharp)]
    better = smooth["test_error_mean"] - sharp["test_error_mean"]
    low, high = _lower_upper(better, parts)
    rho = (spearmanr(table["a"].replace(math.inf, 1e9), table["test_error_mean"]).statistic
           if table["test_error_mean"].nunique() > 1 else math.nan)
    shown = "" if math.isnan(low) else f" [{signed(low)}, {signed(high)}] (90% interval)"
    said = (f"mean test error of the softplus at a = {smooth['a']:g} minus the rectifier's "
            f"{signed(better)} points{shown}; rank correlation of a and the error {signed(rho)}")
    if math.isnan(low):
        verdict, why = CANNOT, "Cannot judge yet, a point resting on one seed"
    elif low > margin:
        verdict, why = CONSISTENT, f"Consistent, the sharpest better by more than {margin:g}"
    elif high < margin:
        verdict, why = NOT_CONSISTENT, f"Not consistent, the sharpest not better by {margin:g}"
    else:
        verdict, why = CANNOT, f"Cannot judge yet, the interval containing the margin of {margin:g}"
    return claim._replace(ours=f"rectifier {signed(better)} below a = {smooth['a']:g}; rank "
                          f"correlation {signed(rho)}", verdict=verdict, sentence=f"{why}: {said}")


def claims(runs: pd.DataFrame, margins: Mapping[str, float]) -> dict[str, list[Claim]]:
    """Every claim of the other experiments that each data set's runs hold, judged with its
    margin: what the report's sections and headline say."""
    found: dict[str, list[Claim]] = {}
    for dataset, g in runs.groupby("dataset", sort=False):
        for key, table, judge in (
                ("figure3", sparsity_sweep(g), lambda t, m: [sparsity_claim(t, m)]),
                ("figure4", label_curves(g), labels_claims),
                ("smoothness", smoothness(g), lambda t, m: [smoothness_claim(t, m)])):
            if len(table):
                found.setdefault(key, []).extend(judge(table, tables.margin(margins, dataset)))
    return found
