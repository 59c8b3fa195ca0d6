"""Whether a cell, or a comparison, reproduces the paper: an equivalence test with a margin fixed
before the run (params.yaml, `verdicts.margin`), pure arithmetic on our seeds' test errors.

- reproduced: the 90% interval of (ours - paper) lies inside [-margin, +margin] (two one-sided
  tests at 5%, the standard test of equivalence);
- not reproduced: the 95% interval lies wholly outside it;
- inconclusive: anything else, and whenever a side has fewer than MIN_SEEDS seeds.

The paper's figure is taken as a fixed reference (it gives no spread). Our spread is the sample sd
over seeds, floored at the binomial standard error of one test error measured on n_test examples:
a single run's error is not known better than that, and a few seeds that happen to agree (three
equal errors have sd 0) would otherwise give an interval of no width. The floor applies to the
per-seed sd, which is then divided by sqrt(n) as any sd is; it does not model the test set's
sampling noise shared by all seeds (and, on the same test set, by the paper's figure).
A comparison (rectifier against tanh, with against without pre-training) is judged the same way on
(our difference - the paper's difference), with the Welch interval of a difference of means.
Exact sparsity (the paper's average over hidden units) is judged as a cell, with a margin of its
own in sparsity points (`verdicts.sparsity_margin`).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"
MIN_SEEDS = 3
# Exact sparsity's margin in points, where params.yaml sets none (`verdicts.sparsity_margin`):
# chosen on 2026-12-07, after the MNIST protocol run's sparsity had been seen.
SPARSITY_MARGIN = 5.0


@dataclass(frozen=True)
class Side:
    """One configuration's test errors (%) over seeds, measured on n_test examples."""
    errors: tuple[float, ...]
    n_test: int

    @property
    def mean(self) -> float:
        return float(np.mean(self.errors))

    @property
    def sd(self) -> float:
        """Sample sd over seeds (ddof 1), floored at one run's binomial standard error."""
        spread = float(np.std(self.errors, ddof=1)) if len(self.errors) > 1 else math.nan
        return floored_sd(self.mean, spread, self.n_test)

    @property
    def part(self) -> tuple[float, int]:
        """Its mean's variance and its number of seeds, as `welch` takes them."""
        return self.sd ** 2 / len(self.errors), len(self.errors)


@dataclass(frozen=True)
class Verdict:
    verdict: str
    difference: float           # ours - paper (a cell), or our difference - the paper's
    ci90: tuple[float, float]   # interval of `difference`; NaN with fewer than MIN_SEEDS seeds
    ci95: tuple[float, float]
    margin: float
    reason: str = ""            # why inconclusive without an interval


def binomial_se(error_pct: float, n_test: int) -> float:
    """Standard error (points of %) of an error rate measured on n_test examples."""
    p = min(max(error_pct / 100.0, 0.0), 1.0)
    return 100.0 * math.sqrt(p * (1.0 - p) / n_test)


def floored_sd(mean: float, sd: float, n_test: int) -> float:
    """A sample sd over seeds (NaN for one seed) floored at one run's binomial standard error;
    NaN where the mean is (an error missing)."""
    if math.isnan(mean):
        return math.nan
    return max(0.0 if math.isnan(sd) else sd, binomial_se(mean, n_test))


def mean_part(mean: float, sd: float, n_seeds: int, n_test: int) -> tuple[float, int]:
    """A mean over n_seeds seeds as `welch` takes it: its variance (from the floored sd), n."""
    return floored_sd(mean, sd, n_test) ** 2 / n_seeds, n_seeds


def welch(parts: Sequence[tuple[float, int]]) -> tuple[float, float]:
    """The variance and Welch-Satterthwaite degrees of freedom of a sum (or difference) of
    independent means, each given as (its variance, its number of seeds, at least 2); with no
    variance anywhere, the pooled degrees of freedom."""
    variance = sum(v for v, _ in parts)
    if variance == 0:
        return 0.0, float(sum(n - 1 for _, n in parts))
    return variance, variance ** 2 / sum(v ** 2 / (n - 1) for v, n in parts)


def _t(level: float, dof: float) -> float:
    from scipy.stats import t  # scipy comes with scikit-learn
    return float(t.ppf(0.5 + level / 2.0, dof))


def _judge(difference: float, se: float, dof: float, margin: float) -> Verdict:
    h90, h95 = _t(0.90, dof) * se, _t(0.95, dof) * se
    ci90, ci95 = (difference - h90, difference + h90), (difference - h95, difference + h95)
    if -margin <= ci90[0] and ci90[1] <= margin:
        verdict = REPRODUCED
    elif ci95[0] > margin or ci95[1] < -margin:
        verdict = NOT_REPRODUCED
    else:
        verdict = INCONCLUSIVE
    return Verdict(verdict, difference, ci90, ci95, margin)


def _too_few(difference: float, margin: float, sides: tuple[Side, ...]) -> Verdict | None:
    """Inconclusive, and why, where a side has a seed that diverged at its chosen rate (no error:
    NaN; with selection.seeds `first` the later seeds run the rate seed 1 chose) or too few
    seeds; else None."""
    nan = (math.nan, math.nan)
    for s in sides:
        lost = int(np.isnan(s.errors).sum())
        if lost:
            return Verdict(INCONCLUSIVE, math.nan, nan, nan, margin,
                           f"{lost} of {len(s.errors)} seeds diverged at the chosen rate")
    fewest = min(len(s.errors) for s in sides)
    if fewest >= MIN_SEEDS:
        return None
    return Verdict(INCONCLUSIVE, difference, nan, nan, margin,
                   f"{fewest} seed{'s' if fewest != 1 else ''}; a verdict needs {MIN_SEEDS}")


def cell(ours: Side, paper: float, margin: float) -> Verdict:
    """A Table 1 cell: our mean test error against the paper's figure."""
    difference = ours.mean - paper
    too_few = _too_few(difference, margin, (ours,))
    if too_few:
        return too_few
    n = len(ours.errors)
    return _judge(difference, ours.sd / math.sqrt(n), n - 1, margin)


def comparison(a: Side, b: Side, paper_difference: float, margin: float) -> Verdict:
    """A comparison of two configurations: (mean a - mean b) against the paper's (a - b)."""
    difference = (a.mean - b.mean) - paper_difference
    too_few = _too_few(difference, margin, (a, b))
    if too_few:
        return too_few
    variance, dof = welch([a.part, b.part])
    return _judge(difference, math.sqrt(variance), dof, margin)
