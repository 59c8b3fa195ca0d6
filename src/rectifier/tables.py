"""Tables of the reproduction, built from the jobs' files (never from MLflow).

collect() reads every results/<dataset>/<activation>/<pretraining>/lr<lr>/seed<seed>/metrics.json
into one flat DataFrame, refusing a file that lacks a key or holds NaN/inf, so no NaN reaches a
table; collect_pretraining() does the same for pretrained/<dataset>/<activation>/seed<seed>/.
As the paper, each configuration (data set, activation, pre-training) keeps the learning rate with
the best validation error (select_lr); table1(), sparsity() and pretraining_effect() use only
those runs and set our mean ± sd over seeds beside the paper's figures (rectifier.paper).
write() saves each table as CSV and Markdown, plus summary.json for `dvc metrics show`.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from rectifier import atomic, paper

NUMBERS = ("test_error_pct", "valid_error_pct", "lr", "l1", "sparsity_pct_mean", "wall_time_s")
INTEGERS = ("seed", "best_epoch", "epochs_run", "minibatch", "n_train", "n_valid", "n_test")
NAMES = ("dataset", "activation", "pretraining", "stopped", "device")
PER_LAYER = ("sparsity_pct", "dead_units", "mean_activation")      # one value per hidden layer
PROVENANCE = ("device_name", "torch_version", "python_version", "platform", "git_commit",
              "data_sha256")                                          # str, or null if unknown
HISTORY_COLUMNS = ("epoch", "train_nll", "train_l1", "train_error_pct", "valid_nll",
                   "valid_error_pct", "seconds")
KEY = ["dataset", "activation", "pretraining"]

# A pre-training job (a stack of denoising auto-encoders): its own keys, checked the same way.
PRETRAIN_NUMBERS = ("noise", "lr", "l1", "sparsity_pct_mean", "wall_time_s")
PRETRAIN_INTEGERS = ("seed", "epochs", "minibatch", "n_train")
PRETRAIN_NAMES = ("dataset", "activation", "pretraining", "recipe", "device")
PRETRAIN_PER_LAYER = ("recon_loss",) + PER_LAYER
PRETRAIN_HISTORY_COLUMNS = ("layer", "epoch", "recon_loss", "l1", "seconds")

# Table order: the paper's activations and pre-training order; sigmoid (our extension) last.
ACTIVATION_ORDER = ("rectifier", "tanh", "softplus", "sigmoid")
PRETRAINING_ORDER = paper.PRETRAINING

VERDICT_NO_FIGURE = "no published figure"
VERDICT_SINGLE = "single seed: spread unknown"

# Columns that write() and the report show with %g: learning rates span orders of magnitude,
# and 0.0001 at two decimals would read 0.00.
GENERAL_FORMAT = ("lr",)


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


# ---------------------------------------------------------------------------------------- reading

def job_id(dataset: str, activation: str, pretraining: str, lr: float, seed: int) -> str:
    """The job's folder under results/, which names it everywhere (histories, reports)."""
    return f"{dataset}/{activation}/{pretraining}/lr{lr:g}/seed{seed}"


def pretraining_job_id(dataset: str, activation: str, seed: int) -> str:
    """A pre-training job's folder under pretrained/."""
    return f"{dataset}/{activation}/seed{seed}"


def collect(source: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """One flat row per training job, from a results folder or a list of metrics.json paths,
    with `selected` true for the runs of each configuration's chosen learning rate."""
    rows = []
    for path in _paths(source, "collect"):
        m = _read_metrics(path, TRAINING_KEYS)
        job = job_id(m["dataset"], m["activation"], m["pretraining"], m["lr"], int(m["seed"]))
        rows.append(_flatten(m, path, job, TRAINING_KEYS))
    runs = _ordered(_unique(pd.DataFrame(rows)), by=["lr", "seed"], ascending=[False, True])
    return mark_selected(runs)


def collect_pretraining(source: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """One flat row per pre-training job (pretrained/<dataset>/<activation>/seed<seed>/), from a
    folder or a list of metrics.json paths, checked as collect() checks training jobs."""
    rows = []
    for path in _paths(source, "collect_pretraining"):
        m = _read_metrics(path, PRETRAINING_KEYS)
        job = pretraining_job_id(m["dataset"], m["activation"], int(m["seed"]))
        rows.append(_flatten(m, path, job, PRETRAINING_KEYS))
    return _ordered(_unique(pd.DataFrame(rows)), by=["seed"], ascending=[True])


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
    try:
        m = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON: {err}") from None
    if not isinstance(m, dict):
        raise ValueError(f"{path}: expected a JSON object")
    for key in keys.required:
        if key not in m:
            raise ValueError(f"{path}: missing required key {key!r}")
    _check_finite(m, path)
    bad = lambda key, what: ValueError(f"{path}: key {key!r} must be {what}, got {m[key]!r}")
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
        raise ValueError(f"{path}: key {key!r} holds {value!r}; refusing a non-finite number")
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
        history = pd.read_csv(path)
        missing = [c for c in columns if c not in history.columns]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}")
        numbers = history[list(columns)].apply(pd.to_numeric, errors="coerce")
        for column in columns:
            if not np.isfinite(numbers[column].to_numpy(float)).all():
                raise ValueError(f"{path}: column {column!r} holds a non-number, NaN or inf")
        histories[job] = history
    return histories


# -------------------------------------------------------------------------- learning-rate choice

def _same(a: float, b: float) -> bool:
    """Equal up to rounding: the same errors summed in another order may differ in the last bit."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def select_lr(runs: pd.DataFrame) -> pd.DataFrame:
    """Per configuration and learning rate (larger first): seeds, validation error (mean ± sd),
    mean test error, and `selected`: the rate with the lowest mean validation error over its
    seeds, as the paper picks; a tie goes to the larger rate, and `tied` marks the rates that
    tied for the best."""
    rows = []
    for key, g in _groups(runs):
        by_lr = sorted(g.groupby("lr"), key=lambda item: -item[0])
        means = [h["valid_error_pct"].mean() for _, h in by_lr]
        tied = [lr for (lr, _), m in zip(by_lr, means) if _same(m, min(means))]
        for lr, h in by_lr:
            valid_mean, valid_sd = _mean_sd(h["valid_error_pct"].to_numpy(float))
            rows.append({**dict(zip(KEY, key)), "lr": float(lr), "n_seeds": len(h),
                         "valid_error_mean": valid_mean, "valid_error_sd": valid_sd,
                         "test_error_mean": float(h["test_error_pct"].mean()),
                         "selected": lr == max(tied), "tied": len(tied) > 1 and lr in tied})
    return pd.DataFrame(rows, columns=KEY + ["lr", "n_seeds", "valid_error_mean",
                                             "valid_error_sd", "test_error_mean", "selected",
                                             "tied"])


def mark_selected(runs: pd.DataFrame) -> pd.DataFrame:
    """`runs` with a boolean column `selected`: true for the runs of each configuration's
    chosen learning rate (select_lr)."""
    table = select_lr(runs)
    chosen = set(table.loc[table["selected"], KEY + ["lr"]].itertuples(index=False, name=None))
    return runs.assign(selected=[k in chosen for k in
                                 runs[KEY + ["lr"]].itertuples(index=False, name=None)])


def selected_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Only the runs of each configuration's chosen learning rate: what the paper reports.
    Chosen afresh from `runs`, so a subset of runs never carries a stale choice."""
    marked = mark_selected(runs)
    return marked[marked["selected"]]


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


def _column_mean_sd(g: pd.DataFrame, column: str) -> tuple[float, float]:
    """Mean and sd of a per-layer column; NaN for a layer these runs do not have."""
    values = g[column].dropna().to_numpy(float) if column in g else np.array([])
    return _mean_sd(values) if len(values) else (math.nan, math.nan)


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
    """Test error (%) per configuration over the seeds of its selected learning rate, beside the
    paper's Table 1."""
    rows = []
    for (dataset, activation, pretraining), g in _groups(selected_runs(runs)):
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


def pretraining_effect(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (data set, activation) run both with and without pre-training: mean test error with
    (dae) minus without (none), each at its selected learning rate. The spread is the sd of a
    difference of independent means, sqrt(sd_dae²/n_dae + sd_none²/n_none), NaN when either
    side has a single seed. Beside it, the paper's own difference (Table 1, dae minus none)."""
    t1 = table1(runs)
    cells = dict(zip(t1[KEY].itertuples(index=False, name=None), t1.to_dict("records")))
    rows = []
    for (dataset, activation, pretraining), dae in cells.items():
        none = cells.get((dataset, activation, "none"))
        if pretraining != "dae" or none is None:
            continue
        published = paper.test_error(dataset, activation, "dae"), paper.test_error(
            dataset, activation, "none")
        both = all(published)
        rows.append({
            "dataset": dataset, "activation": activation,
            "n_seeds_dae": dae["n_seeds"], "n_seeds_none": none["n_seeds"],
            "test_error_dae": dae["test_error_mean"], "test_error_none": none["test_error_mean"],
            "difference": dae["test_error_mean"] - none["test_error_mean"],
            "difference_sd": math.sqrt(dae["test_error_sd"] ** 2 / dae["n_seeds"]
                                       + none["test_error_sd"] ** 2 / none["n_seeds"]),
            "paper_difference": published[0].value - published[1].value if both else math.nan,
            "paper_provisional": both and (published[0].provisional or published[1].provisional),
        })
    return pd.DataFrame(rows, columns=[
        "dataset", "activation", "n_seeds_dae", "n_seeds_none", "test_error_dae",
        "test_error_none", "difference", "difference_sd", "paper_difference",
        "paper_provisional"])


def sparsity(runs: pd.DataFrame) -> pd.DataFrame:
    """Exact sparsity (% of test-set hidden activations exactly zero) per layer and overall,
    dead units per layer (mean over seeds), beside the paper's average for rectifier rows;
    selected learning rates only."""
    n_layers = int(runs["n_layers"].max())
    rows = []
    for (dataset, activation, pretraining), g in _groups(selected_runs(runs)):
        mean, sd = _mean_sd(g["sparsity_pct_mean"].to_numpy(float))
        row = {"dataset": dataset, "activation": activation, "pretraining": pretraining,
               "n_seeds": len(g), "sparsity_mean": mean, "sparsity_sd": sd}
        for i in range(1, n_layers + 1):
            row[f"l{i}_mean"], row[f"l{i}_sd"] = _column_mean_sd(g, f"sparsity_pct_l{i}")
        for i in range(1, n_layers + 1):
            row[f"dead_l{i}"] = _column_mean_sd(g, f"dead_units_l{i}")[0]
        published = paper.average_sparsity(dataset) if activation == "rectifier" else None
        row["paper"] = published if published is not None else math.nan
        row["difference"] = mean - published if published is not None else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Every run, one line each, every learning rate tried: the numbers a reader checks a
    summary against."""
    runs = mark_selected(runs)
    columns = KEY + ["lr", "seed", "selected", "test_error_pct", "valid_error_pct", "best_epoch",
                     "epochs_run", "stopped", "sparsity_pct_mean", "wall_time_s", "device"]
    table = runs[columns].copy()
    dead = runs.filter(regex=r"^dead_units_l\d+$")
    table.insert(columns.index("sparsity_pct_mean") + 1, "dead_units",
                 dead.sum(axis=1, min_count=1).astype(int))
    return table.reset_index(drop=True)


def pretraining_table(pre: pd.DataFrame) -> pd.DataFrame:
    """Per (data set, activation) pre-trained: seeds, each layer's final reconstruction cost
    (mean ± sd over seeds), the exact sparsity of each layer's codes on the validation set
    (mean), and the wall time per job (mean)."""
    n_layers = int(pre["n_layers"].max())
    rows = []
    for (dataset, activation, _), g in _groups(pre):
        row = {"dataset": dataset, "activation": activation, "n_seeds": len(g)}
        for i in range(1, n_layers + 1):
            row[f"recon_l{i}_mean"], row[f"recon_l{i}_sd"] = _column_mean_sd(g, f"recon_loss_l{i}")
        for i in range(1, n_layers + 1):
            row[f"sparsity_l{i}_mean"] = _column_mean_sd(g, f"sparsity_pct_l{i}")[0]
        row["sparsity_mean"] = float(g["sparsity_pct_mean"].mean())
        row["wall_time_mean"] = float(g["wall_time_s"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------- writing

def format_table(table: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """Strings for display: floats to `decimals` (GENERAL_FORMAT columns as %g), NaN blank,
    booleans yes/no."""
    def cell(value, general: bool):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, (bool, np.bool_)):
            return "yes" if value else "no"
        if isinstance(value, (float, np.floating)):
            return f"{value:g}" if general else f"{value:.{decimals}f}"
        return str(value)
    return table.astype(object).apply(
        lambda column: column.map(lambda v: cell(v, column.name in GENERAL_FORMAT)))


def markdown(table: pd.DataFrame, decimals: int = 2) -> str:
    """A Markdown table; numbers formatted once here, right-aligned, not re-parsed by tabulate."""
    align = ["right" if pd.api.types.is_numeric_dtype(table[c]) and table[c].dtype != bool
             else "left" for c in table.columns]
    return format_table(table, decimals).to_markdown(index=False, disable_numparse=True,
                                                     colalign=align)


def summary(tables: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, float | int]]:
    """Flat metrics per configuration for `dvc metrics show`, with its selected learning rate
    (lr_selected); NaN (one seed's sd) left out."""
    out: dict[str, dict] = {}
    config = lambda row: f"{row['dataset']}/{row['activation']}/{row['pretraining']}"
    fields = {"table1": {"n_seeds": "n_seeds", "test_error_mean": "test_error_pct_mean",
                         "test_error_sd": "test_error_pct_sd", "paper": "paper_test_error_pct"},
              "sparsity": {"sparsity_mean": "sparsity_pct_mean", "sparsity_sd": "sparsity_pct_sd"}}
    for name, mapping in fields.items():
        if name not in tables:
            continue
        for row in tables[name].to_dict("records"):
            entry = out.setdefault(config(row), {})
            for column, key in mapping.items():
                value = row[column]
                if isinstance(value, (int, np.integer)):
                    entry[key] = int(value)
                elif not math.isnan(value):
                    entry[key] = round(float(value), 4)
    if "learning_rates" in tables:
        rates = tables["learning_rates"]
        for row in rates[rates["selected"]].to_dict("records"):
            out.setdefault(config(row), {})["lr_selected"] = float(row["lr"])
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
    """Data for `dvc plots show`, selected learning rates only: test_error.csv (mean over seeds
    per configuration) and, per configuration, valid_error/<dataset>-<activation>-<pretraining>.csv
    (mean over the seeds still training at each epoch). One file per line, since DVC colours its
    series by file."""
    out_dir = Path(out_dir)
    t1 = table1(runs)
    variant = t1.dataset + "/" + t1.activation + "/" + t1.pretraining
    atomic.write_text(out_dir / "test_error.csv", pd.DataFrame(
        {"variant": variant, "test_error_pct": t1.test_error_mean}).to_csv(index=False))
    for (dataset, activation, pretraining), group in selected_runs(runs).groupby(KEY):
        curves = pd.concat([histories[j] for j in group.job_id])
        mean = curves.groupby("epoch", as_index=False)["valid_error_pct"].mean()
        atomic.write_text(out_dir / "valid_error" / f"{dataset}-{activation}-{pretraining}.csv",
                          mean.to_csv(index=False, float_format="%.6g"))


def build(runs: pd.DataFrame, pretraining: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the reproduction, by the name write() gives its files; with the
    pre-training jobs (collect_pretraining), their table too ("pretraining")."""
    built = {"table1": table1(runs), "sparsity": sparsity(runs), "runs": runs_table(runs),
             "learning_rates": select_lr(runs), "pretraining_effect": pretraining_effect(runs)}
    if pretraining is not None:
        built["pretraining"] = pretraining_table(pretraining)
    return built
