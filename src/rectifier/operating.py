"""How often the verdict rule (rectifier.verdicts) gives each outcome at a run's design, by
simulation: its operating characteristics. A verdict is a measurement; these are its error rates.

The simulation draws what the rule reads. Our mean of a cell over n seeds is normal with the
run-to-run sd σ / √n, the paper's figure one run (sd σ), and the pooled sd an estimate of σ with
its degrees of freedom (s² ~ σ² χ²(dof) / dof, independent of the means). The true difference
between our protocol's mean and the paper's is set (0, or twice the margin), and each outcome's
rate counted over the draws, by the very function that judges the published cells (judge).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rectifier.verdicts import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, judge, t_quantile

DRAWS, SEED = 200_000, 0


@dataclass(frozen=True)
class Design:
    """What a verdict's standard error is made of: seeds per cell on our side of the difference,
    one-run figures on the paper's, the pooled sd and its degrees of freedom."""
    ours: tuple[int, ...]       # seeds of each of our cells in the difference
    papers: int                 # the paper's figures in it
    sd: float
    dof: int

    @property
    def factor(self) -> float:
        """The standard error is sd × √factor."""
        return sum(1.0 / n for n in self.ours) + self.papers


def rates(design: Design, margin: float, true_difference: float, draws: int = DRAWS,
          seed: int = SEED) -> dict[str, float]:
    """Each outcome's share of `draws` simulated verdicts when the true difference is
    `true_difference`."""
    rng = np.random.default_rng(seed)
    scale = math.sqrt(design.factor)
    estimate = design.sd * np.sqrt(rng.chisquare(design.dof, draws) / design.dof)
    found = true_difference + design.sd * scale * rng.standard_normal(draws)
    verdicts = judge(found, estimate * scale, design.dof, margin)
    return {v: float(np.mean(verdicts == v)) for v in (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE)}


@dataclass(frozen=True)
class Characteristics:
    """The rates the rule is held to: at no true difference, reproduced (at least half the
    time) and not reproduced (at most 5%); at twice the margin, reproduced (at most 5%) and
    not reproduced (its power)."""
    reproduced_at_0: float
    not_reproduced_at_0: float
    reproduced_at_2m: float
    not_reproduced_at_2m: float

    @property
    def sound(self) -> bool:
        return (self.reproduced_at_0 >= 0.5 and self.not_reproduced_at_0 <= 0.05
                and self.reproduced_at_2m <= 0.05)


def characteristics(design: Design, margin: float, draws: int = DRAWS) -> Characteristics:
    at0, at2m = rates(design, margin, 0.0, draws), rates(design, margin, 2 * margin, draws)
    return Characteristics(at0[REPRODUCED], at0[NOT_REPRODUCED], at2m[REPRODUCED],
                           at2m[NOT_REPRODUCED])


def smallest_margin(design: Design, step: float = 0.05, draws: int = 50_000) -> float:
    """The smallest margin, in steps of `step`, at which the rule's characteristics hold at
    this design (reproduced at least half the time at no difference, and the rest)."""
    margin = step * math.ceil(t_quantile(0.90, design.dof) * design.sd
                              * math.sqrt(design.factor) / step)
    while not characteristics(design, margin, draws).sound:
        margin += step
    return round(margin, 10)


def direction_rates(true_differences: tuple[float, ...], seeds: int, sd: float, dof: int,
                    draws: int = DRAWS, seed: int = SEED) -> dict[str, float]:
    """Finding 1's rule (each of our differences' 90% interval below 0 for reproduced, one
    above 0 for not reproduced) when our protocol's true differences are these: cell a's mean
    minus each other cell's, with `seeds` seeds a cell. The differences share cell a's draw."""
    rng = np.random.default_rng(seed)
    estimate = sd * np.sqrt(rng.chisquare(dof, draws) / dof)
    own = sd / math.sqrt(seeds) * rng.standard_normal(draws)
    half = t_quantile(0.90, dof) * estimate * math.sqrt(2.0 / seeds)
    lows, highs = [], []
    for d in true_differences:
        found = d + own - sd / math.sqrt(seeds) * rng.standard_normal(draws)
        lows.append(found - half)
        highs.append(found + half)
    below = np.all([h < 0 for h in highs], axis=0)
    above = np.any([lo > 0 for lo in lows], axis=0)
    return {REPRODUCED: float(np.mean(below)), NOT_REPRODUCED: float(np.mean(above)),
            INCONCLUSIVE: float(np.mean(~below & ~above))}


def table(t1, comparisons, sparsity, paper_differences: dict[str, tuple[float, ...]]):
    """Per data set judged, each kind of verdict's characteristics at the run's design (its
    fewest seeds, its pooled sd, its margin), read off the tables; finding 1's direction rule
    when the paper's differences (rectifier minus tanh, minus softplus without pre-training,
    `paper_differences` per data set) are our protocol's too, and when there are none."""
    import pandas as pd
    rows = []
    kinds = (("Table 1 cell", t1, 1), ("comparison", comparisons, 2),
             ("exact sparsity", sparsity, 1))
    for kind, frame, papers in kinds:
        if frame is None or "noise_dof" not in frame:
            continue
        judged = frame[frame["noise_dof"].notna() & (frame["noise_dof"] > 0)]
        for dataset, g in judged.groupby("dataset", sort=False):
            seeds = int(g.filter(like="n_seeds").min().min())
            design = Design((seeds,) * papers, papers, float(g["noise_sd"].iloc[0]),
                            int(g["noise_dof"].iloc[0]))
            margin = float(g["margin"].iloc[0])
            c = characteristics(design, margin)
            rows.append({"dataset": dataset, "verdict": kind, "seeds": seeds,
                         "noise_sd": design.sd, "noise_dof": design.dof, "margin": margin,
                         "reproduced_at_0": c.reproduced_at_0,
                         "not_reproduced_at_0": c.not_reproduced_at_0,
                         "reproduced_at_2m": c.reproduced_at_2m,
                         "not_reproduced_at_2m": c.not_reproduced_at_2m})
            if kind == "Table 1 cell" and dataset in paper_differences:
                true = direction_rates(paper_differences[dataset], seeds, design.sd, design.dof)
                level = direction_rates((0.0,) * len(paper_differences[dataset]), seeds,
                                        design.sd, design.dof)
                rows.append({"dataset": dataset, "verdict": "finding 1 (direction)",
                             "seeds": seeds, "noise_sd": design.sd, "noise_dof": design.dof,
                             "margin": math.nan, "reproduced_at_0": true[REPRODUCED],
                             "not_reproduced_at_0": true[NOT_REPRODUCED],
                             "reproduced_at_2m": level[REPRODUCED],
                             "not_reproduced_at_2m": level[NOT_REPRODUCED]})
    return pd.DataFrame(rows)
