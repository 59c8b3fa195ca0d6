"""Tables of the reproduction, built from the training jobs' files (never from MLflow).

collect() reads every results/<dataset>/<activation>/<pretraining>/seed<seed>/metrics.json into one
flat DataFrame, refusing a file that lacks a key or holds NaN/inf, so no NaN reaches a table.
table1() and sparsity() set our mean ± sd over seeds beside the paper's figures (rectifier.paper);
write() saves each table as CSV and Markdown, plus summary.json for `dvc metrics show`.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from rectifier import atomic, paper

NUMBERS = ("test_error_pct", "valid_error_pct", "lr", "l1", "sparsity_pct_mean", "wall_time_s")
INTEGERS = ("seed", "best_epoch", "epochs_run", "minibatch", "n_train", "n_valid", "n_test")
NAMES = ("dataset", "activation", "pretraining", "stopped", "device")
PER_LAYER = ("sparsity_pct", "dead_units", "mean_activation")      # one value per hidden layer
PROVENANCE = ("device_name", "torch_version", "python_version", "platform", "git_commit",
              "data_sha256")                                          # str, or null if unknown
# "tracking" (MLflow's status) is optional: files are the truth, MLflow only the window.
REQUIRED = NUMBERS + INTEGERS + NAMES + PER_LAYER + PROVENANCE + ("hidden", "sign_trick")
HISTORY_COLUMNS = ("epoch", "train_nll", "train_l1", "train_error_pct", "valid_nll",
                   "valid_error_pct", "seconds")
KEY = ["dataset", "activation", "pretraining"]

# Table order: the paper's activations and pre-training order; sigmoid (our extension) last.
ACTIVATION_ORDER = ("rectifier", "tanh", "softplus", "sigmoid")
PRETRAINING_ORDER = paper.PRETRAINING

VERDICT_NO_FIGURE = "no published figure"
VERDICT_SINGLE = "single seed: spread unknown"


# ---------------------------------------------------------------------------------------- reading

def job_id(dataset: str, activation: str, pretraining: str, seed: int) -> str:
    """The job's folder under results/, which names it everywhere (histories, reports)."""
    return f"{dataset}/{activation}/{pretraining}/seed{seed}"


def collect(source: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """One flat row per training job, from a results folder or a list of metrics.json paths."""
    if isinstance(source, (str, Path)):
        paths = sorted(Path(source).glob("**/metrics.json"))
        if not paths:
            raise ValueError(f"{source}: no metrics.json found under it")
    else:
        paths = [Path(p) for p in source]
        if not paths:
            raise ValueError("collect: no metrics.json paths given")
    rows = [_flatten(_read_metrics(p), p) for p in paths]
    runs = pd.DataFrame(rows)
    dup = runs[runs.duplicated("job_id", keep=False)]
    if len(dup):
        raise ValueError(f"the same job appears twice: {sorted(set(dup['run_dir']))}")
    ranks = {k: i for i, k in enumerate(configurations(runs))}
    runs["_rank"] = [ranks[tuple(k)] for k in runs[KEY].itertuples(index=False)]
    return runs.sort_values(["_rank", "seed"]).drop(columns="_rank").reset_index(drop=True)


def _read_metrics(path: Path) -> dict:
    try:
        m = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON: {err}") from None
    if not isinstance(m, dict):
        raise ValueError(f"{path}: expected a JSON object")
    for key in REQUIRED:
        if key not in m:
            raise ValueError(f"{path}: missing required key {key!r}")
    _check_finite(m, path)
    bad = lambda key, what: ValueError(f"{path}: key {key!r} must be {what}, got {m[key]!r}")
    for key in NUMBERS:
        if not _is_number(m[key]):
            raise bad(key, "a number")
    for key in INTEGERS:
        if not (_is_number(m[key]) and float(m[key]).is_integer()):
            raise bad(key, "an integer")
    for key in NAMES:
        if not isinstance(m[key], str) or not m[key]:
            raise bad(key, "a non-empty string")
    for key in PROVENANCE:
        if m[key] is not None and not isinstance(m[key], str):
            raise bad(key, "a string or null")
    if not isinstance(m["sign_trick"], bool):
        raise bad("sign_trick", "true or false")
    if not isinstance(m.get("tracking", {}), dict):
        raise bad("tracking", "an object")
    hidden = m["hidden"]
    if not (isinstance(hidden, list) and hidden and all(_is_number(h) for h in hidden)):
        raise bad("hidden", "a non-empty list of layer sizes")
    for key in PER_LAYER:
        values = m[key]
        if not (isinstance(values, list) and all(_is_number(v) for v in values)):
            raise bad(key, "a list of numbers")
        if len(values) != len(hidden):
            raise bad(key, f"one number per hidden layer ({len(hidden)})")
    return m


def _check_finite(value, path: Path, key: str = "") -> None:
    """Refuse NaN and ±inf anywhere in the file (Python's json reads NaN/Infinity as floats)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{path}: key {key!r} holds {value!r}; refusing a non-finite number")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_finite(v, path, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_finite(v, path, f"{key}[{i}]")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _flatten(m: dict, path: Path) -> dict:
    """Scalars as they are; lists of numbers as <key>_l1, <key>_l2, ...; dicts as <key>_<sub>."""
    row = {"job_id": job_id(m["dataset"], m["activation"], m["pretraining"], int(m["seed"])),
           "run_dir": str(path.parent)}
    for key, value in m.items():
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
    for key in INTEGERS:
        row[key] = int(row[key])
    return row


def load_histories(runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each job's history.csv (beside its metrics.json), keyed by job id."""
    histories = {}
    for job, run_dir in zip(runs["job_id"], runs["run_dir"]):
        path = Path(run_dir) / "history.csv"
        history = pd.read_csv(path)
        missing = [c for c in HISTORY_COLUMNS if c not in history.columns]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}")
        numbers = history[list(HISTORY_COLUMNS)].apply(pd.to_numeric, errors="coerce")
        for column in HISTORY_COLUMNS:
            if not np.isfinite(numbers[column].to_numpy(float)).all():
                raise ValueError(f"{path}: column {column!r} holds a non-number, NaN or inf")
        histories[job] = history
    return histories


# ----------------------------------------------------------------------------------------- tables

def _rank(value: str, order: tuple[str, ...]) -> int:
    return order.index(value) if value in order else len(order)


def configurations(runs: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Configurations in the paper's order: its data sets first (then ours as they appear),
    rectifier, tanh, softplus, sigmoid, and pre-training (dae) before none."""
    first_seen = {d: i for i, d in enumerate(dict.fromkeys(runs["dataset"]))}
    keys = {tuple(k) for k in runs[KEY].itertuples(index=False)}
    return sorted(keys, key=lambda k: (
        _rank(k[0], paper.DATASETS), first_seen[k[0]],
        _rank(k[1], ACTIVATION_ORDER), k[1], _rank(k[2], PRETRAINING_ORDER), k[2]))


def _groups(runs: pd.DataFrame):
    for key in configurations(runs):
        mask = (runs[KEY] == pd.Series(key, index=KEY)).all(axis=1)
        yield key, runs[mask].sort_values("seed")


def _mean_sd(values: np.ndarray) -> tuple[float, float]:
    """Mean and sample sd (ddof=1); sd is NaN for a single seed, which has no spread."""
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else math.nan


def verdict(values: Iterable[float], published: float | None) -> str:
    """Reproduced when the paper's figure lies within [min, max] of our seeds or within
    mean ± 2 sd; one seed has no spread to judge by, so it gets a caveat rather than a verdict."""
    values = np.asarray(list(values), dtype=float)
    if published is None:
        return VERDICT_NO_FIGURE
    if len(values) < 2:
        return VERDICT_SINGLE
    mean, sd = _mean_sd(values)
    inside = values.min() <= published <= values.max() or abs(mean - published) <= 2 * sd
    return "reproduced" if inside else "not reproduced"


def _ci95(sd: float, n: int) -> float:
    """Half-width of the 95% Student-t interval of the mean (NaN for one seed)."""
    if n < 2:
        return math.nan
    from scipy.stats import t  # scipy comes with scikit-learn; only needed here
    return float(t.ppf(0.975, n - 1) * sd / math.sqrt(n))


def table1(runs: pd.DataFrame) -> pd.DataFrame:
    """Test error (%) per configuration over seeds, beside the paper's Table 1."""
    rows = []
    for (dataset, activation, pretraining), g in _groups(runs):
        errors = g["test_error_pct"].to_numpy(float)
        mean, sd = _mean_sd(errors)
        half = _ci95(sd, len(errors))
        fig = paper.test_error(dataset, activation, pretraining)
        rows.append({
            "dataset": dataset, "activation": activation, "pretraining": pretraining,
            "n_seeds": len(errors), "test_error_mean": mean, "test_error_sd": sd,
            "ci95_low": mean - half, "ci95_high": mean + half,
            "test_error_min": float(errors.min()), "test_error_max": float(errors.max()),
            "paper": fig.value if fig else math.nan,
            "paper_provisional": bool(fig and fig.provisional),
            "difference": mean - fig.value if fig else math.nan,
            "verdict": verdict(errors, fig.value if fig else None),
        })
    return pd.DataFrame(rows)


def sparsity(runs: pd.DataFrame) -> pd.DataFrame:
    """Exact sparsity (% of test-set hidden activations exactly zero) per layer and overall,
    dead units per layer (mean over seeds), beside the paper's average for rectifier rows."""
    n_layers = int(runs["n_layers"].max())
    rows = []
    for (dataset, activation, pretraining), g in _groups(runs):
        mean, sd = _mean_sd(g["sparsity_pct_mean"].to_numpy(float))
        row = {"dataset": dataset, "activation": activation, "pretraining": pretraining,
               "n_seeds": len(g), "sparsity_mean": mean, "sparsity_sd": sd}
        for i in range(1, n_layers + 1):
            column = g.get(f"sparsity_pct_l{i}")
            layer = column.dropna().to_numpy(float) if column is not None else np.array([])
            row[f"l{i}_mean"], row[f"l{i}_sd"] = _mean_sd(layer) if len(layer) else (math.nan,) * 2
        for i in range(1, n_layers + 1):
            column = g.get(f"dead_units_l{i}")
            dead = column.dropna() if column is not None else pd.Series([], dtype=float)
            row[f"dead_l{i}"] = float(dead.mean()) if len(dead) else math.nan
        published = paper.average_sparsity(dataset) if activation == "rectifier" else None
        row["paper"] = published if published is not None else math.nan
        row["difference"] = mean - published if published is not None else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Every run, one line each: the numbers a reader checks a summary against."""
    columns = KEY + ["seed", "test_error_pct", "valid_error_pct", "best_epoch", "epochs_run",
                     "stopped", "sparsity_pct_mean", "wall_time_s", "device"]
    table = runs[columns].copy()
    dead = runs.filter(regex=r"^dead_units_l\d+$")
    table.insert(columns.index("sparsity_pct_mean") + 1, "dead_units",
                 dead.sum(axis=1, min_count=1).astype(int))
    return table.reset_index(drop=True)


# ---------------------------------------------------------------------------------------- writing

def format_table(table: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """Strings for display: floats to `decimals`, NaN blank, booleans yes/no."""
    def cell(value):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, (bool, np.bool_)):
            return "yes" if value else "no"
        if isinstance(value, (float, np.floating)):
            return f"{value:.{decimals}f}"
        return str(value)
    return table.astype(object).apply(lambda column: column.map(cell))


def markdown(table: pd.DataFrame, decimals: int = 2) -> str:
    """A Markdown table; numbers formatted once here, right-aligned, not re-parsed by tabulate."""
    align = ["right" if pd.api.types.is_numeric_dtype(table[c]) and table[c].dtype != bool
             else "left" for c in table.columns]
    return format_table(table, decimals).to_markdown(index=False, disable_numparse=True,
                                                     colalign=align)


def summary(tables: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, float | int]]:
    """Flat metrics per configuration for `dvc metrics show`; NaN (one seed's sd) left out."""
    out: dict[str, dict] = {}
    fields = {"table1": {"n_seeds": "n_seeds", "test_error_mean": "test_error_pct_mean",
                         "test_error_sd": "test_error_pct_sd", "paper": "paper_test_error_pct"},
              "sparsity": {"sparsity_mean": "sparsity_pct_mean", "sparsity_sd": "sparsity_pct_sd"}}
    for name, mapping in fields.items():
        if name not in tables:
            continue
        for row in tables[name].to_dict("records"):
            entry = out.setdefault(f"{row['dataset']}/{row['activation']}/{row['pretraining']}", {})
            for column, key in mapping.items():
                value = row[column]
                if isinstance(value, (int, np.integer)):
                    entry[key] = int(value)
                elif not math.isnan(value):
                    entry[key] = round(float(value), 4)
    return out


def write(tables: Mapping[str, pd.DataFrame], out_dir: str | Path,
          metrics: str | Path | None = None) -> list[Path]:
    """<name>.csv and <name>.md for each table, and the summary for `dvc metrics show` (default
    out_dir/summary.json); returns the paths written."""
    out_dir = Path(out_dir)
    written = []
    for name, table in tables.items():
        atomic.write_text(out_dir / f"{name}.csv",
                          table.to_csv(index=False, float_format="%.6g", na_rep=""))
        atomic.write_text(out_dir / f"{name}.md", markdown(table) + "\n")
        written += [out_dir / f"{name}.csv", out_dir / f"{name}.md"]
    metrics = Path(metrics or out_dir / "summary.json")
    atomic.write_text(metrics, json.dumps(summary(tables), indent=2, sort_keys=True) + "\n")
    return written + [metrics]


def write_plots(runs: pd.DataFrame, histories: Mapping[str, pd.DataFrame],
                out_dir: str | Path) -> None:
    """Data for `dvc plots show`: test_error.csv (mean over seeds per configuration) and, per
    configuration, valid_error/<dataset>-<activation>-<pretraining>.csv (mean over the seeds still
    training at each epoch). One file per line, since DVC colours its series by file."""
    out_dir = Path(out_dir)
    t1 = table1(runs)
    variant = t1.dataset + "/" + t1.activation + "/" + t1.pretraining
    atomic.write_text(out_dir / "test_error.csv", pd.DataFrame(
        {"variant": variant, "test_error_pct": t1.test_error_mean}).to_csv(index=False))
    for (dataset, activation, pretraining), group in runs.groupby(
            ["dataset", "activation", "pretraining"]):
        curves = pd.concat([histories[j] for j in group.job_id])
        mean = curves.groupby("epoch", as_index=False)["valid_error_pct"].mean()
        atomic.write_text(out_dir / "valid_error" / f"{dataset}-{activation}-{pretraining}.csv",
                          mean.to_csv(index=False, float_format="%.6g"))


def build(runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every table of the reproduction, by the name write() gives its files."""
    return {"table1": table1(runs), "sparsity": sparsity(runs), "runs": runs_table(runs)}
