"""Whether a cell, or a comparison, reproduces the paper: an equivalence test with a margin fixed
before the run (params.yaml, `verdicts`), arithmetic on our seeds' test errors.

The model. Every run is one draw of its protocol: each of our seeds of ours, the paper's figure of
the paper's (it reports one run per cell). Runs of one data set spread by a run-to-run sd σ,
measured on our seeds and pooled over the data set's cells, since each cell has too few seeds to
measure its own: s² = Σ (n_i - 1) s_i² / Σ (n_i - 1), with Σ (n_i - 1) degrees of freedom. The
paper's figure spreads by the same σ.

The test set's noise is counted once. Every seed and the paper were measured on the same test
images, so the part of that noise they share cancels in (ours - paper), and the part they do not
share (two networks err on different images) is in the spread between seeds, which σ measures.
So no binomial term is added: the verdict says whether our protocol's runs and the paper's score
alike on this test set.

A verdict reads d = (a sum of our means) - (the paper's figures in it), with standard error
σ √(Σ 1/n_i + k), k the paper's figures in d (a cell: 1/n + 1; a comparison of two cells against
the paper's difference: 1/n_a + 1/n_b + 2), and Student's t at the pool's degrees of freedom:
- reproduced: the 90% interval of d lies inside [-margin, +margin] (two one-sided tests at 5%);
- not reproduced: the 95% interval lies wholly outside it;
- inconclusive: otherwise, where a seed diverged, or where a cell has fewer than MIN_SEEDS seeds.
So d is called reproduced when |d| <= margin - t90·se, and not reproduced when |d| > margin +
t95·se (Verdict.within, Verdict.beyond); where t90·se exceeds the margin, "reproduced" cannot
happen at that design (rectifier.operating says how often each outcome comes, by simulation).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"
MIN_SEEDS = 3
# Exact sparsity's margin in points, where params.yaml sets none (`verdicts.sparsity_margin`).
SPARSITY_MARGIN = 5.0


@dataclass(frozen=True)
class Margins:
    """params.yaml's `verdicts`: the equivalence margins, per data set (or "default"), of a
    Table 1 cell and of a comparison (points of test error), and of exact sparsity (points)."""
    cell: Mapping[str, float]
    comparison: Mapping[str, float] = field(default_factory=dict)
    sparsity: float = SPARSITY_MARGIN

    @classmethod
    def of(cls, margins: Margins | Mapping[str, float]) -> Margins:
        """Margins as given, or a data set -> cell margin mapping with the other defaults."""
        return margins if isinstance(margins, Margins) else cls(dict(margins))

    def for_cell(self, dataset: str) -> float:
        return float(self.cell.get(dataset, self.cell["default"]))

    def for_comparison(self, dataset: str) -> float:
        """Its own where given; else the cell's × √2: at 3 seeds a side, a comparison's standard
        error is √2 times a cell's (√(1/3 + 1/3 + 2) against √(1/3 + 1))."""
        found = self.comparison.get(dataset, self.comparison.get("default"))
        return float(found) if found is not None else self.for_cell(dataset) * math.sqrt(2)


@dataclass(frozen=True)
class Noise:
    """The run-to-run sd (points) of a data set's measure, pooled over its cells, and the degrees
    of freedom of that estimate."""
    sd: float
    dof: int

    @classmethod
    def pool(cls, cells: Iterable[Sequence[float]]) -> Noise:
        """Pooled over cells (each its seeds' values); NaN values (diverged seeds) are left
        out, and a cell of one seed adds nothing."""
        squares, dof = 0.0, 0
        for values in cells:
            values = np.asarray(values, float)
            values = values[np.isfinite(values)]
            if len(values) > 1:
                squares += float(((values - values.mean()) ** 2).sum())
                dof += len(values) - 1
        return cls(math.sqrt(squares / dof) if dof else math.nan, dof)


@dataclass(frozen=True)
class Side:
    """One configuration's values (test errors, %) over its seeds."""
    errors: tuple[float, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.errors))

    @property
    def n(self) -> int:
        return len(self.errors)


@dataclass(frozen=True)
class Verdict:
    verdict: str
    difference: float           # ours - paper (a cell), or our difference - the paper's
    ci90: tuple[float, float]   # interval of `difference`; NaN where none is computed
    ci95: tuple[float, float]
    margin: float
    within: float = math.nan    # |difference| up to this is reproduced (NaN: never, or no pool)
    beyond: float = math.nan    # |difference| over this is not reproduced
    reason: str = ""            # why inconclusive without an interval


def t_quantile(level: float, dof: float) -> float:
    """Student's t quantile of a two-sided `level` interval."""
    from scipy.stats import t  # scipy comes with scikit-learn
    return float(t.ppf(0.5 + level / 2.0, dof))


def judge(difference, se, dof: float, margin: float):
    """The rule on differences and standard errors (numbers or arrays alike): reproduced where
    the 90% interval lies inside ±margin, not reproduced where the 95% interval lies outside."""
    h90, h95 = t_quantile(0.90, dof) * se, t_quantile(0.95, dof) * se
    size = np.abs(difference)
    return np.where(size + h90 <= margin, REPRODUCED,
                    np.where(size - h95 > margin, NOT_REPRODUCED, INCONCLUSIVE))


def reach(se: float, dof: float, margin: float) -> tuple[float, float]:
    """(within, beyond): |difference| at most `within` is reproduced (NaN where nothing is),
    over `beyond` is not reproduced."""
    within = margin - t_quantile(0.90, dof) * se
    return (within if within >= 0 else math.nan), margin + t_quantile(0.95, dof) * se


def standard_error(noise: Noise, ours: Sequence[int], papers: int) -> float:
    """Of a difference of our means over `ours` seeds each and `papers` one-run figures."""
    return noise.sd * math.sqrt(sum(1.0 / n for n in ours) + papers)


def _verdict(difference: float, se: float, noise: Noise, margin: float) -> Verdict:
    h90, h95 = t_quantile(0.90, noise.dof) * se, t_quantile(0.95, noise.dof) * se
    within, beyond = reach(se, noise.dof, margin)
    return Verdict(str(judge(difference, se, noise.dof, margin)), difference,
                   (difference - h90, difference + h90), (difference - h95, difference + h95),
                   margin, within, beyond)


def _too_few(difference: float, margin: float, sides: tuple[Side, ...],
             noise: Noise) -> Verdict | None:
    """Inconclusive, and why, where a side has a seed that diverged at its chosen rate (no error:
    NaN; with selection.seeds `first` the later seeds run the rate seed 1 chose), too few
    seeds, or the pool no spread; else None."""
    nan = (math.nan, math.nan)
    for s in sides:
        lost = int(np.isnan(s.errors).sum())
        if lost:
            return Verdict(INCONCLUSIVE, math.nan, nan, nan, margin,
                           reason=f"{lost} of {s.n} seeds diverged at the chosen rate")
    fewest = min(s.n for s in sides)
    if fewest < MIN_SEEDS:
        return Verdict(INCONCLUSIVE, difference, nan, nan, margin,
                       reason=f"{fewest} seed{'s' if fewest != 1 else ''}; a verdict needs "
                       f"{MIN_SEEDS}")
    if not noise.dof or not noise.sd > 0:
        return Verdict(INCONCLUSIVE, difference, nan, nan, margin,
                       reason="no spread between seeds measured")
    return None


def cell(ours: Side, paper: float, margin: float, noise: Noise) -> Verdict:
    """A Table 1 cell: our mean against the paper's figure, one run of its protocol."""
    difference = ours.mean - paper
    return _too_few(difference, margin, (ours,), noise) or _verdict(
        difference, standard_error(noise, [ours.n], 1), noise, margin)


def comparison(a: Side, b: Side, paper_difference: float, margin: float,
               noise: Noise) -> Verdict:
    """Two configurations: (mean a - mean b) against the paper's (a - b), two of its runs."""
    difference = (a.mean - b.mean) - paper_difference
    return _too_few(difference, margin, (a, b), noise) or _verdict(
        difference, standard_error(noise, [a.n, b.n], 2), noise, margin)


def our_interval(a: Side, b: Side, noise: Noise, level: float = 0.90) -> tuple[float, float]:
    """The interval of our own difference (mean a - mean b), no paper figure in it: a
    direction claim (finding 1) reads its sign. NaN where a side has too few seeds."""
    if (min(a.n, b.n) < MIN_SEEDS or not noise.dof or not noise.sd > 0
            or np.isnan(a.errors + b.errors).any()):
        return math.nan, math.nan
    half = t_quantile(level, noise.dof) * standard_error(noise, [a.n, b.n], 0)
    return a.mean - b.mean - half, a.mean - b.mean + half


# For the other experiments' own claims (Figures 3 and 4, smoothness, ablations), which compare
# our runs with each other on one test set and floor a few seeds' spread at one run's
# binomial standard error.

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
