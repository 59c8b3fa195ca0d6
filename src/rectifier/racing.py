"""Racing the candidate rates, replayed on a finished run's histories: would it have chosen the
same rates, and for how much compute? (`python -m rectifier race-replay <published folder>`)

The rule: a configuration's candidates (every rate on the seed that chooses) advance epoch by
epoch together; from epoch `first_epoch`, a candidate stops when its best validation error so far
is more than `lead` points worse than the best candidate's best so far at that epoch. A
candidate also ends where its own run ended (early stopping, the epoch cap, divergence). The
choice is then the lowest best validation error among what each candidate reached, as the grid's
(rectifier.selection), and the compute the seconds of the epochs run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from rectifier.selection import KEY, VARIANT, groups, same, select_lr

LEAD, FIRST_EPOCH = 0.5, 5


@dataclass(frozen=True)
class Race:
    chosen: float                   # the rate racing chooses
    stopped: dict[float, int]       # rate -> the epoch racing stopped it at (not stopped: absent)
    seconds: float                  # the candidates' epochs run under racing
    full_seconds: float             # every candidate to its end


def race(histories: dict[float, pd.DataFrame], lead: float = LEAD,
         first_epoch: int = FIRST_EPOCH, diverged: frozenset[float] = frozenset()) -> Race:
    """The rule on candidates' histories (epoch, valid_error_pct, seconds), by rate. A rate in
    `diverged` may lead while it runs (its history stops before the epoch that diverged), but is
    never chosen, as the grid never chooses it."""
    best = {lr: h["valid_error_pct"].cummin().to_numpy(float) for lr, h in histories.items()}
    last = {lr: len(b) for lr, b in best.items()}
    reached = dict.fromkeys(best, 0)                    # epochs run, so far
    stopped: dict[float, int] = {}
    for epoch in range(1, max(last.values(), default=0) + 1):
        running = [lr for lr in best if lr not in stopped and epoch <= last[lr]]
        if not running:
            break
        for lr in running:
            reached[lr] = epoch
        if epoch < first_epoch:
            continue
        so_far = {lr: best[lr][reached[lr] - 1] for lr in best if reached[lr]}
        leader = min(so_far.values())
        for lr in running:
            if so_far[lr] > leader + lead and epoch < last[lr]:
                stopped[lr] = epoch
    final = {lr: (best[lr][reached[lr] - 1] if reached[lr] and lr not in diverged else math.inf)
             for lr in best}
    # the grid's tie rule (selection.same): the larger of the rates tied for the lowest
    lowest = min(final.values())
    chosen = max(lr for lr in final if final[lr] == lowest or same(final[lr], lowest))
    seconds = sum(float(histories[lr]["seconds"].iloc[:reached[lr]].sum()) for lr in best)
    full = sum(float(h["seconds"].sum()) for h in histories.values())
    return Race(chosen, stopped, seconds, full)


def replay(runs: pd.DataFrame, histories: dict[str, pd.DataFrame], lead: float = LEAD,
           first_epoch: int = FIRST_EPOCH) -> pd.DataFrame:
    """Per configuration (and sweep point) with candidate rates: the grid's choice (from the
    runs, as the published run chose), racing's, the epochs it stopped candidates at, and the
    candidates' core-hours under each. Candidates: the rates of the seeds that ran them all."""
    rows = []
    for key, g in groups(runs):
        for point, h in g.groupby(VARIANT, sort=True):
            table = select_lr(h)
            if table["lr"].nunique() < 2 or not table["selected"].any():
                continue
            seeds = set(map(int, str(table["compared_seeds"].iloc[0]).split()))
            candidates = h[h["seed"].isin(seeds)]
            if len(seeds) != 1:
                continue                    # racing is replayed on the seed that chooses
            by_lr = {float(r.lr): histories[r.job_id] for r in candidates.itertuples()}
            lost = frozenset(float(r.lr) for r in candidates.itertuples()
                             if r.valid_error_pct == math.inf)       # diverged (runs.collect)
            raced = race(by_lr, lead, first_epoch, lost)
            rows.append({**dict(zip(KEY, key)), "l1": point[0], "label_fraction": point[1],
                         "grid_choice": float(table.loc[table["selected"], "lr"].iloc[0]),
                         "race_choice": raced.chosen,
                         "stopped": "; ".join(f"{lr:g} at epoch {e}"
                                              for lr, e in sorted(raced.stopped.items())),
                         "grid_core_hours": raced.full_seconds / 3600,
                         "race_core_hours": raced.seconds / 3600})
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame, lead: float, first_epoch: int) -> str:
    same = int((table["grid_choice"] == table["race_choice"]).sum())
    return (f"Racing (lead {lead:g} points, from epoch {first_epoch}) chooses the grid's rate in "
            f"{same} of {len(table)} configurations and spends "
            f"{table['race_core_hours'].sum():.1f} of the candidates' "
            f"{table['grid_core_hours'].sum():.1f} core-hours (the epochs' seconds, one thread "
            "each).")
