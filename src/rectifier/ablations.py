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
from dataclasses import MISSING, fields
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import yaml

from rectifier import paper, verdicts
from rectifier.config import ROOT, Pretrain, Train
from rectifier.damaged import read_choice
from rectifier.names import ALL_LABELS, TABLE1_L1
from rectifier.rounding import fixed
from rectifier.runs import collect
from rectifier.selection import KEY, mark_selected, table1_runs

# Knobs that place, track or scope a run (which cells and seeds it runs, at which rate): an
# ablation sets them too, but they are not the choice it measures.
SCOPE = ("outputs", "data.root", "data.mirrors", "tracking", "datasets", "activations",
         "pretraining", "seeds", "train.lr", "selection")
DEFAULTS = ROOT / "params.yaml"
Z = 2.0   # an effect: |difference| > Z sd of a difference of two single runs (about 95%)
EFFECT_RULE = (f"An effect is a difference larger than {Z:g} sd of the difference of two single "
               "runs of the cell, sqrt(2) × the sd over seeds of its chosen rate's runs (floored "
               "at one run's binomial standard error, as in Table 1; a cell with one seed has "
               "that floor alone); a smaller one is within seed noise. A job that continues the "
               "cell's own job (a longer budget) shares its first epochs with it, so for it the "
               "rule is conservative.")


class Change(NamedTuple):
    knob: str          # dotted, as in params.yaml: "train.l1"
    base: object       # the published run's value (None where it has none)
    ablation: object

    def __str__(self) -> str:
        shown = lambda v: "unset" if v is None else v
        return f"{self.knob}: {shown(self.base)} → {shown(self.ablation)}"


class Ablation(NamedTuple):
    name: str
    changes: tuple[Change, ...]
    runs: pd.DataFrame          # runs.collect of its jobs


def flatten(tree: dict, prefix: str = "") -> dict[str, object]:
    """{"train": {"l1": 0}} as {"train.l1": 0}; a one-item list as its item (the schema takes
    either for a knob that may list values); an empty mapping as nothing."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value[0] if isinstance(value, list) and len(value) == 1 \
                else value
    return flat


def changes(base: dict, ablation: dict, defaults: dict | None = None,
            chosen: dict[str, float] | None = None) -> tuple[Change, ...]:
    """The knobs, outside SCOPE, whose values differ between two params.yaml trees. A knob one
    file lacks (written by a commit older than the knob) counts at its default, as the code
    that added it reads an older file: the config's own default, else its value in `defaults`
    (the project's params.yaml unless given). A knob the run lists candidates for and chose
    from (`chosen`, as pretrain.lr: the choice) counts at its choice: an ablation at the chosen
    rate did not change it."""
    if defaults is None:
        defaults = yaml.safe_load(DEFAULTS.read_text()) if DEFAULTS.exists() else {}
    fallback = {**flatten(defaults), **{
        f"{section}.{f.name}": f.default for section, kind in (("train", Train),
                                                                ("pretrain", Pretrain))
        for f in fields(kind) if f.default is not MISSING}}
    a, b = flatten(base), flatten(ablation)
    # An ablation at one rate is set beside the run's choice; one with the run's grid is not.
    a.update({k: v for k, v in (chosen or {}).items()
              if isinstance(a.get(k), list) and not isinstance(b.get(k), list)})
    value = lambda tree, knob: tree.get(knob, fallback.get(knob))
    scoped = lambda knob: any(knob == s or knob.startswith(s + ".") for s in SCOPE)
    return tuple(Change(k, value(a, k), value(b, k)) for k in sorted(a.keys() | b.keys())
                 if not scoped(k) and value(a, k) != value(b, k))


def load(folder: str | Path, only: str = "*") -> list[Ablation]:
    """The ablations published under folder/ablations/ (those named `only`), by name; those
    with no finished job are left out. Each needs its params.yaml (the merged config it ran
    with)."""
    folder = Path(folder)
    base = yaml.safe_load((folder / "params.yaml").read_text())
    found = []
    for params in sorted((folder / "ablations").glob(f"{only}/params.yaml")):
        metrics = sorted((params.parent / "runs" / "results").glob("**/metrics.json"))
        if metrics:
            raw = yaml.safe_load(params.read_text())
            found.append(Ablation(params.parent.name,
                                  changes(base, raw, chosen=_pretraining_choice(folder, raw)),
                                  collect(metrics)))
    return found


def _pretraining_choice(folder: Path, ablation: dict) -> dict[str, float]:
    """{"pretrain.lr": rate} where the published run chose one pre-training rate for every
    (data set, activation) the ablation runs (its rate.json files); else nothing."""
    rates = set()
    for dataset in ablation.get("datasets", []):
        for activation in ablation.get("activations", []):
            choice = folder / "runs" / "pretrained" / dataset / activation / "rate.json"
            if not choice.exists():
                return {}
            rates.add(read_choice(choice))
    return {"pretrain.lr": rates.pop()} if len(rates) == 1 else {}


def table(base_runs: pd.DataFrame, ablations: list[Ablation]) -> pd.DataFrame:
    """One row per ablated job beside the published run's job of the same cell, rate and seed:
    test errors, their difference and whether it is an effect (EFFECT_RULE), the gap to the
    paper's figure before and after, and what else moved (validation error, exact sparsity,
    best epoch, stopping)."""
    runs = mark_selected(table1_runs(base_runs))
    rows = []
    for ablation in ablations:
        for _, job in ablation.runs.iterrows():
            cell = runs[(runs[KEY] == job[KEY]).all(axis=1)]
            same = cell[(cell["lr"] == job["lr"]) & (cell["seed"] == job["seed"])]
            rows.append(_row(ablation, job, same.iloc[0] if len(same) else None, cell))
    return pd.DataFrame(rows)


def _row(ablation: Ablation, job: pd.Series, base: pd.Series | None, cell: pd.DataFrame) -> dict:
    selected = cell[cell["selected"]]
    chosen = sorted(set(selected["lr"]))
    figure = paper.test_error(job["dataset"], job["activation"], job["pretraining"])
    errors = tuple(e for e in selected["test_error_pct"] if math.isfinite(e))   # not diverged
    spread = float(np.std(errors, ddof=1)) if len(errors) > 1 else math.nan
    noise = (math.sqrt(2) * verdicts.floored_sd(float(np.mean(errors)), spread,
                                                int(selected["n_test"].min()))
             if errors else math.nan)
    ours = float(job["test_error_pct"])
    before = math.nan if base is None else float(base["test_error_pct"])
    pick = lambda column: math.nan if base is None else base[column]
    # The job's sweep point, where it is not Table 1's and not what the ablation changed.
    changed = {c.knob for c in ablation.changes}
    point = (([f"L1 {job['l1']:g}"] if job["l1"] != TABLE1_L1 and "train.l1" not in changed
              else [])
             + ([f"{job['label_fraction']:.0%} of the labels"]
                if job["label_fraction"] != ALL_LABELS and "train.label_fraction" not in changed
                else []))
    return {
        "ablation": ablation.name, "change": ", ".join(map(str, ablation.changes)),
        "dataset": job["dataset"], "activation": job["activation"],
        "pretraining": job["pretraining"], "point": ", ".join(point),
        "lr": float(job["lr"]), "seed": int(job["seed"]), "has_base": base is not None,
        "chosen_lr": chosen[0] if len(chosen) == 1 else math.nan, "cell_runs": len(cell),
        "test_error_base": before, "test_error": ours, "difference": ours - before,
        "noise_sd": noise,
        "effect": ("no published job to compare" if base is None else
                   "the cell's job diverged" if before != before else
                   "the ablated job diverged" if ours != ours else effect(ours - before, noise)),
        "paper": figure.value if figure else math.nan,
        "gap_base": before - figure.value if figure else math.nan,
        "gap": ours - figure.value if figure else math.nan,
        "valid_error_base": pick("valid_error_pct"), "valid_error": job["valid_error_pct"],
        "sparsity_base": pick("sparsity_pct_mean"), "sparsity": job["sparsity_pct_mean"],
        "best_epoch_base": pick("best_epoch"), "best_epoch": job["best_epoch"],
        "stopped": job["stopped"]}


def effect(difference: float, noise_sd: float) -> str:
    """'lower error' / 'higher error' beyond Z sd of noise, else 'within seed noise'."""
    if noise_sd != noise_sd:
        return "no noise to judge by"
    if abs(difference) <= Z * noise_sd:
        return "within seed noise"
    return "lower error" if difference < 0 else "higher error"


def summary(table: pd.DataFrame) -> str:
    """The ablations in one line per job, for the headline: what changed in which cell, the
    test error before → after, and the effect."""
    return "; ".join(
        f"{r.ablation}, {r.dataset} {r.activation} ({r.pretraining}, seed {r.seed}), {r.change}: "
        + (f"{fixed(r.test_error_base)} → {fixed(r.test_error)}, {r.effect}"
           if math.isfinite(r.test_error_base) and math.isfinite(r.test_error) else r.effect)
        for r in table.itertuples())
