"""The jobs' files as DataFrames, validated (never read from MLflow).

collect() reads every results/<dataset>/<activation>/<pretraining>/lr<lr>/seed<seed>/metrics.json
into one flat DataFrame, refusing a file that lacks a key or holds NaN/inf, so no NaN reaches a
table, and marks the runs of each configuration's chosen learning rate (rectifier.selection). A
run that diverged (its `diverged` holds the reason) has no test measures (null in its file, NaN in
the frame) and an infinite validation error, so that selection never picks it;
collect_pretraining() does the same for pretrained/<dataset>/<activation>/lr<lr>/seed<seed>/.
load_histories() reads each job's history.csv, checked the same way.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from rectifier.damaged import DamagedFile, read_csv, read_json
from rectifier.names import ALL_LABELS, HISTORY_COLUMNS, job_id, pretraining_job_id
from rectifier.selection import KEY, configurations

NUMBERS = ("test_error_pct", "valid_error_pct", "lr", "l1", "sparsity_pct_mean", "wall_time_s")
INTEGERS = ("seed", "best_epoch", "epochs_run", "minibatch", "n_train", "n_valid", "n_test")
NAMES = ("dataset", "activation", "pretraining", "stopped", "device")
PER_LAYER = ("sparsity_pct", "dead_units", "mean_activation")      # one value per hidden layer
PROVENANCE = ("device_name", "torch_version", "python_version", "platform", "git_commit",
              "data_sha256")                                          # str, or null if unknown

# A pre-training job (a stack of denoising auto-encoders): its own keys, checked the same way.
PRETRAIN_NUMBERS = ("noise", "lr", "l1", "sparsity_pct_mean", "wall_time_s")
PRETRAIN_INTEGERS = ("seed", "epochs", "minibatch", "n_train")
PRETRAIN_NAMES = ("dataset", "activation", "pretraining", "recipe", "device")
PRETRAIN_PER_LAYER = ("recon_loss", "valid_recon_loss") + PER_LAYER
# What a diverged training run cannot have measured: null in its metrics.json.
UNMEASURED = ("test_error_pct", "valid_error_pct", "sparsity_pct_mean", "sparsity_pct",
              "dead_units", "mean_activation", "recon_loss", "valid_recon_loss")


class _Keys(NamedTuple):
    """What a metrics.json must hold, by kind of value. "tracking" (MLflow's status) is
    optional: files are the truth, MLflow only the window."""
    numbers: tuple[str, ...]
    integers: tuple[str, ...]
    names: tuple[str, ...]
    per_layer: tuple[str, ...]                           # lists, one number per hidden layer
    flags: tuple[str, ...] = ()                          # true or false

    @property
    def required(self) -> tuple[str, ...]:
        return (self.numbers + self.integers + self.names + self.per_layer + PROVENANCE
                + ("hidden",) + self.flags)


TRAINING_KEYS = _Keys(NUMBERS, INTEGERS, NAMES, PER_LAYER, ("sign_trick",))
PRETRAINING_KEYS = _Keys(PRETRAIN_NUMBERS, PRETRAIN_INTEGERS, PRETRAIN_NAMES, PRETRAIN_PER_LAYER)


def collect(source: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """One flat row per training job, from a results folder or a list of metrics.json paths."""
    rows = []
    for path in _paths(source, "collect"):
        m = _read_metrics(path, TRAINING_KEYS)
        # Jobs from before the labelled fraction was a knob saw every label.
        m.setdefault("label_fraction", ALL_LABELS)
        m.setdefault("n_labelled", m["n_train"])
        job = job_id(m["dataset"], m["activation"], m["pretraining"], m["lr"], int(m["seed"]),
                     m["l1"], m["label_fraction"])
        row = _flatten(m, path, job, TRAINING_KEYS)
        row["wall_time_s"] = _whole_time(m, path)
        if m.get("diverged"):       # its unmeasured values are left out: NaN in the frame
            row["valid_error_pct"] = math.inf
        rows.append(row)
    runs = _ordered(_unique(pd.DataFrame(rows)), by=["lr", "seed"], ascending=[False, True])
    return runs


def collect_pretraining(source: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """One flat row per pre-training job (pretrained/<dataset>/<activation>/lr<lr>/seed<seed>/),
    from a folder or a list of metrics.json paths, checked as collect() checks training jobs. A
    diverged stack's first-layer validation cost is infinite, so selection never picks it."""
    rows = []
    for path in _paths(source, "collect_pretraining"):
        m = _read_metrics(path, PRETRAINING_KEYS)
        job = pretraining_job_id(m["dataset"], m["activation"], m["lr"], int(m["seed"]))
        row = _flatten(m, path, job, PRETRAINING_KEYS)
        row["wall_time_s"] = _whole_time(m, path)
        if m.get("diverged"):
            row["valid_recon_loss_l1"] = math.inf
        rows.append(row)
    return _ordered(_unique(pd.DataFrame(rows)), by=["lr", "seed"], ascending=[False, True])


def _whole_time(m: dict, path: Path) -> float:
    """A job's time: its wall_time_s, or its epochs' seconds (history.csv) where more: a job
    resumed by code before 2026-11-30 recorded its last process's time only."""
    history = path.parent / "history.csv"
    epochs = _history(history, ("seconds",))["seconds"].sum() if history.exists() else 0
    return max(float(m["wall_time_s"]), float(epochs))


def threads(jobs: pd.DataFrame) -> pd.Series:
    """torch's threads per job; 1 for a job from before they were recorded (the workflow's)."""
    return jobs["threads"].fillna(1) if "threads" in jobs else pd.Series(1, index=jobs.index)


def _paths(source, caller: str) -> list[Path]:
    if isinstance(source, (str, Path)):
        paths = sorted(Path(source).glob("**/metrics.json"))
        if not paths:
            raise ValueError(f"{source}: no metrics.json found under it")
        return paths
    paths = [Path(p) for p in source]
    if not paths:
        raise ValueError(f"{caller}: no metrics.json paths given")
    return paths


def _unique(jobs: pd.DataFrame) -> pd.DataFrame:
    dup = jobs[jobs.duplicated("job_id", keep=False)]
    if len(dup):
        raise ValueError(f"the same job appears twice: {sorted(set(dup['run_dir']))}")
    return jobs


def _ordered(jobs: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    """Configurations in the paper's order (configurations()), then `by` within each."""
    ranks = {k: i for i, k in enumerate(configurations(jobs))}
    jobs = jobs.assign(_rank=[ranks[tuple(k)] for k in jobs[KEY].itertuples(index=False)])
    return (jobs.sort_values(["_rank", *by], ascending=[True, *ascending])
            .drop(columns="_rank").reset_index(drop=True))


def _read_metrics(path: Path, keys: _Keys) -> dict:
    m = read_json(path, keys.required)
    _check_finite(m, path)
    bad = lambda key, what: DamagedFile(path, f"key {key!r} must be {what}, got {m[key]!r}")
    diverged = m.get("diverged")
    if diverged is not None and not (isinstance(diverged, str) and diverged):
        raise bad("diverged", "null or the reason, a non-empty string")
    if diverged:        # what it could not measure is null; check the rest
        keys = _Keys(*(tuple(k for k in group if k not in UNMEASURED)
                       for group in (keys.numbers, keys.integers, keys.names, keys.per_layer,
                                     keys.flags)))
    for key in keys.numbers:
        if not _is_number(m[key]):
            raise bad(key, "a number")
    for key in keys.integers:
        if not (_is_number(m[key]) and float(m[key]).is_integer()):
            raise bad(key, "an integer")
    for key in keys.names:
        if not isinstance(m[key], str) or not m[key]:
            raise bad(key, "a non-empty string")
    for key in PROVENANCE:
        if m[key] is not None and not isinstance(m[key], str):
            raise bad(key, "a string or null")
    for key in keys.flags:
        if not isinstance(m[key], bool):
            raise bad(key, "true or false")
    if not isinstance(m.get("tracking", {}), dict):
        raise bad("tracking", "an object")
    hidden = m["hidden"]
    if not (isinstance(hidden, list) and hidden and all(_is_number(h) for h in hidden)):
        raise bad("hidden", "a non-empty list of layer sizes")
    for key in keys.per_layer:
        values = m[key]
        if not (isinstance(values, list) and all(_is_number(v) for v in values)):
            raise bad(key, "a list of numbers")
        if len(values) != len(hidden):
            raise bad(key, f"one number per hidden layer ({len(hidden)})")
    return m


def _check_finite(value, path: Path, key: str = "") -> None:
    """Refuse NaN and ±inf anywhere in the file (Python's json reads NaN/Infinity as floats)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise DamagedFile(path, f"key {key!r} holds {value!r}; refusing a non-finite number")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_finite(v, path, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_finite(v, path, f"{key}[{i}]")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _flatten(m: dict, path: Path, job: str, keys: _Keys) -> dict:
    """Scalars as they are; lists of numbers as <key>_l1, <key>_l2, ...; dicts as <key>_<sub>."""
    row = {"job_id": job, "run_dir": str(path.parent)}
    for key, value in m.items():
        if value is None and key in UNMEASURED:     # a diverged run's: collect() sets them
            continue
        if key == "hidden":
            row["hidden"] = "-".join(str(int(h)) for h in value)
            row["n_layers"] = len(value)
        elif isinstance(value, list):
            row.update({f"{key}_l{i}": v for i, v in enumerate(value, 1)})
        elif isinstance(value, dict):
            row.update({f"{key}_{k}": v for k, v in value.items()
                        if not isinstance(v, (list, dict))})
        else:
            row[key] = value
    for key in keys.integers:
        row[key] = int(row[key])
    return row


def load_histories(jobs: pd.DataFrame,
                   columns: tuple[str, ...] = HISTORY_COLUMNS) -> dict[str, pd.DataFrame]:
    """Each job's history.csv (beside its metrics.json), keyed by job id; `columns` are the
    ones it must hold (PRETRAIN_HISTORY_COLUMNS for pre-training jobs)."""
    histories = {}
    for job, run_dir in zip(jobs["job_id"], jobs["run_dir"]):
        path = Path(run_dir) / "history.csv"
        history = read_csv(path)
        if history.empty:       # diverged before its first row: a header alone (a89ad1d wrote
            histories[job] = pd.DataFrame(columns=list(columns))  # a stack's as a training job's)
            continue
        histories[job] = _history(path, columns, history)
    return histories


def _history(path: Path, columns: tuple[str, ...], history: pd.DataFrame | None = None):
    """A history.csv holding `columns`, each a finite number on every row."""
    history = read_csv(path) if history is None else history
    missing = [c for c in columns if c not in history.columns]
    if missing:
        raise DamagedFile(path, f"missing column(s) {missing}")
    numbers = history[list(columns)].apply(pd.to_numeric, errors="coerce")
    for column in columns:
        if not np.isfinite(numbers[column].to_numpy(float)).all():
            raise DamagedFile(path, f"column {column!r} holds a non-number, NaN or inf")
    return history
