"""Before any job runs: which verdicts a params file's design can reach, and how often each errs
there (`python -m rectifier plan`; the workflow warns on every call, dry runs included).

The design: each Table 1 cell ends with len(seeds) seeds at its chosen rate, the run-to-run sd is
pooled over the data set's cells (cells × (seeds - 1) degrees of freedom), and the sd is the one
params.yaml assumes (verdicts.noise_sd: measured on an earlier run). A design under which a
verdict's "reproduced" cannot happen, or its characteristics miss the rule's rates, is flagged
with the margin, or the seeds, that would make it sound.
"""
from __future__ import annotations

from dataclasses import dataclass

from rectifier import operating, paper
from rectifier.config import Params
from rectifier.rounding import fixed
from rectifier.verdicts import reach

MAX_SEEDS = 10      # the most seeds a plan proposes


@dataclass(frozen=True)
class Check:
    dataset: str
    kind: str                   # Table 1 cell | comparison
    design: operating.Design
    margin: float
    within: float               # |difference| up to this is reproduced (NaN: never)
    beyond: float
    characteristics: operating.Characteristics

    @property
    def flag(self) -> str:
        """Why the design fails this verdict, with the margin or seeds that would not; "" if
        it does not."""
        if self.characteristics.sound:
            return ""
        seeds = _seeds_for(self)
        what = ("cannot call anything reproduced" if self.within != self.within else
                f"calls reproduced only {fixed(100 * self.characteristics.reproduced_at_0, 0)}%"
                " of the time when ours and the paper's protocols agree")
        return (f"{self.dataset}, {self.kind}: {what} (margin {self.margin:g}, "
                f"{self.design.ours[0]} seeds, sd {self.design.sd:g}); a margin of "
                f"{operating.smallest_margin(self.design):g} would"
                + (f", or {seeds} seeds" if seeds else
                   f"; no number of seeds up to {MAX_SEEDS} would, the paper's one run "
                   "bounds it"))


def _seeds_for(check: Check) -> int | None:
    """The fewest seeds a cell (up to MAX_SEEDS) at which the verdict is sound at its margin."""
    cells = check.design.dof // max(check.design.ours[0] - 1, 1)
    for n in range(check.design.ours[0] + 1, MAX_SEEDS + 1):
        design = operating.Design((n,) * len(check.design.ours), check.design.papers,
                                  check.design.sd, cells * (n - 1))
        if operating.characteristics(design, check.margin, draws=50_000).sound:
            return n
    return None


def checks(params: Params, draws: int = 50_000) -> list[Check]:
    """Every kind of verdict on every data set with a published figure and an assumed sd."""
    assumed = params.raw["verdicts"].get("noise_sd", {})
    n = len(params.seeds)
    found = []
    for d in params.datasets:
        if not paper.in_paper(d) or d not in assumed or n < 2:
            continue
        dof = len(params.activations) * len(params.pretraining) * (n - 1)
        for kind, ours, margin in (("Table 1 cell", (n,), params.margins.for_cell(d)),
                                   ("comparison", (n, n), params.margins.for_comparison(d))):
            design = operating.Design(ours, len(ours), float(assumed[d]), dof)
            within, beyond = reach(design.sd * design.factor ** 0.5, dof, margin)
            found.append(Check(d, kind, design, margin, within, beyond,
                               operating.characteristics(design, margin, draws)))
    return found


def warnings(params: Params) -> list[str]:
    return [c.flag for c in checks(params) if c.flag]


def describe(params: Params) -> str:
    """The plan as text: per data set and kind of verdict, the reach and the rates."""
    lines = []
    for c in checks(params, draws=operating.DRAWS):
        oc = c.characteristics
        reproduced = "never" if c.within != c.within else f"|d| <= {fixed(c.within)}"
        lines.append(
            f"{c.dataset}, {c.kind}: {c.design.ours[0]} seeds, assumed sd {c.design.sd:g} "
            f"({c.design.dof} dof), margin {c.margin:g}: reproduced when {reproduced}, not "
            f"reproduced when |d| > {fixed(c.beyond)}; at no true difference reproduced "
            f"{fixed(100 * oc.reproduced_at_0, 1)}%, not reproduced "
            f"{fixed(100 * oc.not_reproduced_at_0, 1)}%; at twice the margin reproduced "
            f"{fixed(100 * oc.reproduced_at_2m, 1)}%, not reproduced "
            f"{fixed(100 * oc.not_reproduced_at_2m, 1)}%" + (f"\n  FLAG: {c.flag}" if c.flag else ""))
    if not lines:
        return ("No verdict to plan: no data set with a published figure has an assumed sd "
                "(params.yaml's verdicts.noise_sd), or a cell has fewer than 2 seeds.")
    return "\n".join(lines)
