"""The report's sentences that depend on the runs: how verdicts and learning rates were decided."""
from __future__ import annotations

import pandas as pd

from rectifier.report.views import SEEDS_COMPARED, seeds_compared
from rectifier.rounding import fixed
from rectifier.selection import KEY
from rectifier.verdicts import MIN_SEEDS
from rectifier.wording import PAPER_RATES, count, distinct, learning_rates, rates_tried


def verdict_text(margins: pd.Series, pooled: pd.DataFrame | None = None) -> str:
    shown = ", ".join(dict.fromkeys(f"{m:g}" for m in margins if m == m))
    pool = ""
    if pooled is not None and "noise_sd" in pooled and pooled["noise_sd"].notna().any():
        first = pooled[pooled["noise_sd"].notna()].iloc[0]
        pool = (f" (here {fixed(first['noise_sd'])} points over {int(first['noise_dof'])} "
                "degrees of freedom)")
    return ("Verdict: an equivalence test with a margin fixed in params.yaml"
            + (f" (here {shown} points)" if shown else "") + ": reproduced when the 90% "
            "interval of the difference lies within ± the margin; not reproduced when the 95% "
            f"interval lies wholly outside it; inconclusive otherwise, and with fewer than "
            f"{MIN_SEEDS} seeds (both intervals shown beside each difference, 90% first). The "
            "paper's figure is one run of its protocol, so it carries a run's spread: the "
            "intervals are Student-t with the run-to-run sd pooled over the data set's cells"
            + pool + ", the paper's figure counted as one more run. The test set's noise is "
            "counted once: every seed and the paper scored the same test images, so what they "
            "share cancels in the difference and what they do not is in the spread between "
            "seeds. The last column gives the differences this design can call reproduced and "
            "not reproduced; Protocol gives how often each verdict errs at it.")


def learning_rate_text(lrs: pd.DataFrame) -> list[str]:
    """What was tried and how the rate was chosen, from the learning_rates table."""
    if lrs["lr"].nunique() == 1:
        return [f"Only one learning rate was run ({lrs['lr'].iloc[0]:g}), so none was chosen: "
                "the paper picks each configuration's rate on validation error from "
                f"{PAPER_RATES}."]
    fewer = seeds_compared(lrs) is not None
    text = ["Per configuration (data set, activation, pre-training), the learning rate with the "
            "lowest mean validation error over the seeds that ran every rate is selected"
            + (": the paper runs every rate on every seed; here not every seed ran every rate "
               "(with selection.seeds: first only the first seed does, and the others run the "
               f"chosen rate), so the choice compared the column '{SEEDS_COMPARED}', not the "
               "means over every seed a rate ran" if fewer else ", as the paper does")
            + "; a tie goes to the larger rate. Table 1, the sparsity table, the effect of "
            "pre-training and the figures use the selected runs only; every run is listed under "
            "Every run."]
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


def progress(jobs: int, stacks: int, planned_jobs: int, planned_stacks: int) -> str:
    """How much of the run its params.yaml plans has finished: a published run in progress
    renders from the jobs it has."""
    done = jobs >= planned_jobs and stacks >= planned_stacks
    parts = [f"{jobs} of {count(planned_jobs, 'training job')}"] + (
        [f"{stacks} of {count(planned_stacks, 'stack')}"] if planned_stacks else [])
    return (f"{'Complete' if done else 'In progress'}: {' and '.join(parts)} that its "
            "params.yaml plans have finished" + ("." if done else
                                                 "; every table reads the finished ones."))


def design(runs: pd.DataFrame) -> str:
    """Which seeds ran which rates: "seeds 1, 2, 3" when every seed ran every rate; where the
    rate was chosen on some seeds (selection.seeds: first), those, then the others at the
    selected rate alone: the runs are then not the product of rates and seeds."""
    seeds = sorted(set(runs["seed"]))
    every = runs["lr"].nunique()
    choosing = [s for s in seeds if runs.loc[runs["seed"] == s, "lr"].nunique() == every]
    rest = [s for s in seeds if s not in choosing]
    listed = lambda xs: f"{'seed' if len(xs) == 1 else 'seeds'} {', '.join(map(str, xs))}"
    if not (choosing and rest):
        return listed(seeds)
    return f"{listed(choosing)}, then the selected rate alone on {listed(rest)}"
