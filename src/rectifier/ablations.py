"""Ablations (the protocol issue's item 5): what one choice the paper leaves open changes in a
Table 1 cell, measured rather than argued.

An ablation is a published run of its own, <published run>/ablations/<name>/, made from the run's
config with a few knobs changed (config/ablations/<name>.yaml merged over it), on the first seed
at each cell's chosen rate. Each of its jobs is set beside the run's job of the same cell, rate
and seed. What was changed is read from the two params.yaml files, never typed in; what it
changes is the difference in test error, called an effect only where it is larger than two
single runs of the cell differ by chance (EFFECT_RULE).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import yaml

from rectifier import paper, verdicts
from rectifier.runs import collect
from rectifier.selection import KEY, mark_selected, table1_runs

# Knobs that place, track or scope a run (which cells and seeds it runs, at which rate): an
# ablation sets them too, but they are not the choice it measures.
SCOPE = ("outputs", "data.root", "data.mirrors", "tracking", "datasets", "activations",
         "pretraining", "seeds", "train.lr", "selection")
MATCH = KEY + ["lr", "seed"]
Z = 2.0   # an effect: |difference| > Z sd of a difference of two single runs (about 95%)
EFFECT_RULE = (f"An effect is a difference larger than {Z:g} sd of the difference of two single "
               "runs of the cell, sqrt(2) × its sd over seeds (each floored at one run's binomial "
               "standard error, as in Table 1); a smaller one is within seed noise.")


class Change(NamedTuple):
    knob: str          # dotted, as in params.yaml: "train.l1"
    base: object       # the published run's value (None where it has none)
    ablation: object

    def __str__(self) -> str:
        return f"{self.knob}: {self.base} → {self.ablation}"


class Ablation(NamedTuple):
    name: str
    changes: tuple[Change, ...]
    runs: pd.DataFrame          # runs.collect of its jobs


def flatten(tree: dict, prefix: str = "") -> dict[str, object]:
    """{"train": {"l1": 0}} as {"train.l1": 0}; lists stay values."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def changes(base: dict, ablation: dict) -> tuple[Change, ...]:
    """The knobs, outside SCOPE, whose values differ between two params.yaml trees."""
    a, b = flatten(base), flatten(ablation)
    scoped = lambda knob: any(knob == s or knob.startswith(s + ".") for s in SCOPE)
    return tuple(Change(k, a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys())
                 if not scoped(k) and a.get(k) != b.get(k))


def load(folder: str | Path) -> list[Ablation]:
    """The ablations published under folder/ablations/, by name; those with no finished job
    are left out. Each needs its params.yaml (the merged config it ran with)."""
    folder = Path(folder)
    base = yaml.safe_load((folder / "params.yaml").read_text())
    found = []
    for params in sorted((folder / "ablations").glob("*/params.yaml")):
        metrics = sorted((params.parent / "runs" / "results").glob("**/metrics.json"))
        if metrics:
            found.append(Ablation(params.parent.name,
                                  changes(base, yaml.safe_load(params.read_text())),
                                  collect(metrics)))
    return found


def table(base_runs: pd.DataFrame, ablations: list[Ablation]) -> pd.DataFrame:
    """One row per ablated job beside the published run's job of the same cell, rate and seed:
    test errors, their difference and whether it is an effect (EFFECT_RULE), the gap to the
    paper's figure before and after, and what else moved (validation error, exact sparsity,
    best epoch, stopping)."""
    runs = mark_selected(table1_runs(base_runs))
    rows = []
    for ablation in ablations:
        for _, job in ablation.runs.iterrows():
            key = tuple(job[MATCH])
            cell = runs[(runs[KEY] == pd.Series(key[:3], index=KEY)).all(axis=1)]
            same = cell[(cell["lr"] == job["lr"]) & (cell["seed"] == job["seed"])]
            chosen = sorted(set(cell.loc[cell["selected"], "lr"]))
            rows.append(_row(ablation, job, same.iloc[0] if len(same) else None,
                             cell[cell["selected"]], chosen))
    return pd.DataFrame(rows)


def _row(ablation: Ablation, job: pd.Series, base: pd.Series | None,
         selected: pd.DataFrame, chosen: list[float]) -> dict:
    figure = paper.test_error(job["dataset"], job["activation"], job["pretraining"])
    noise = (math.sqrt(2) * verdicts.Side(tuple(selected["test_error_pct"]),
                                          int(selected["n_test"].min())).sd
             if len(selected) else math.nan)
    ours = float(job["test_error_pct"])
    before = math.nan if base is None else float(base["test_error_pct"])
    difference = ours - before
    pick = lambda column: math.nan if base is None else base[column]
    return {
        "ablation": ablation.name, "change": "; ".join(map(str, ablation.changes)),
        "dataset": job["dataset"], "activation": job["activation"],
        "pretraining": job["pretraining"], "lr": float(job["lr"]), "seed": int(job["seed"]),
        "chosen_lr": chosen[0] if len(chosen) == 1 else math.nan,
        "test_error_base": before, "test_error": ours, "difference": difference,
        "noise_sd": noise, "effect": effect(difference, noise),
        "paper": figure.value if figure else math.nan,
        "gap_base": before - figure.value if figure else math.nan,
        "gap": ours - figure.value if figure else math.nan,
        "valid_error_base": pick("valid_error_pct"), "valid_error": job["valid_error_pct"],
        "sparsity_base": pick("sparsity_pct_mean"), "sparsity": job["sparsity_pct_mean"],
        "best_epoch_base": pick("best_epoch"), "best_epoch": job["best_epoch"],
        "stopped": job["stopped"]}


def effect(difference: float, noise_sd: float) -> str:
    """'lower error' / 'higher error' beyond Z sd of noise, else 'within seed noise'."""
    if difference != difference or noise_sd != noise_sd:
        return "no published job to compare"
    if abs(difference) <= Z * noise_sd:
        return "within seed noise"
    return "lower error" if difference < 0 else "higher error"
