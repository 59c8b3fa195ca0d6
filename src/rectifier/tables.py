"""Tables of the reproduction, built from the jobs' files (rectifier.runs; never from MLflow).

As the paper, each configuration (data set, activation, pre-training) keeps the learning rate with
the best validation error (rectifier.selection); table1(), sparsity(), pretraining_effect() and
comparisons() use only those runs and set our mean ± sd over seeds beside the paper's figures
(rectifier.paper), judged by rectifier.verdicts against the margins of params.yaml.
write() saves each table as CSV and Markdown, plus summary.json for `dvc metrics show`.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from rectifier import atomic, paper, verdicts
from rectifier.rounding import CSV_FORMAT, fixed
from rectifier.selection import (
    KEY,
    VARIANT,
    at,
    groups,
    mark_selected,
    mean_sd,
    select_lr,
    selected_runs,
    table1_runs,
    variants,
)

VERDICT_NO_FIGURE = "no published figure"
DEFAULT_MARGINS = verdicts.Margins({"default": 0.5})    # params.yaml's verdicts, if none given
# The paper's comparisons between activations (its claim: the rectifier is the best).
ACTIVATION_PAIRS = (("rectifier", "tanh"), ("rectifier", "softplus"))

# Columns that write() and the report show with %g: learning rates span orders of magnitude,
# and 0.0001 at two decimals would read 0.00.
GENERAL_FORMAT = ("lr", "l1", "label_fraction")     # 0.001 is not 0.00


# ----------------------------------------------------------------------------------------- tables

def _column_mean_sd(g: pd.DataFrame, column: str) -> tuple[float, float]:
    """Mean and sd of a per-layer column; NaN for a layer these runs do not have."""
    values = g[column].dropna().to_numpy(float) if column in g else np.array([])
    return mean_sd(values) if len(values) else (math.nan, math.nan)


def margin(margins: verdicts.Margins | Mapping[str, float], dataset: str) -> float:
    """A Table 1 cell's margin on a data set."""
    return verdicts.Margins.of(margins).for_cell(dataset)


CI_COLUMNS = ("diff_ci90_low", "diff_ci90_high", "diff_ci95_low", "diff_ci95_high")
# The pooled spread a verdict rests on, and the differences it can call reproduced (|d| at
# most reproduced_within; NaN: none) and not reproduced (|d| over not_reproduced_beyond).
REACH_COLUMNS = ("noise_sd", "noise_dof", "reproduced_within", "not_reproduced_beyond")


def _side(g: pd.DataFrame, column: str = "test_error_pct") -> verdicts.Side:
    """A configuration's selected runs as the verdict rule sees them."""
    return verdicts.Side(tuple(g[column].to_numpy(float)))


def noise(runs: pd.DataFrame, column: str = "test_error_pct",
          activation: str | None = None) -> dict[str, verdicts.Noise]:
    """Per data set, the run-to-run sd of `column` over the seeds of each configuration's
    selected rate, pooled over the data set's configurations (of one activation, if given)."""
    cells: dict[str, list] = {}
    for (dataset, act, _), g in groups(selected_runs(runs)):
        if activation is None or act == activation:
            cells.setdefault(dataset, []).append(g[column].to_numpy(float))
    return {d: verdicts.Noise.pool(c) for d, c in cells.items()}


def _verdict_columns(result: verdicts.Verdict | None, pool: verdicts.Noise | None) -> dict:
    """The verdict, the intervals it rests on (90% for reproduced, 95% for not reproduced), the
    pool and the reach (NaN where there is none)."""
    if result is None:
        return {"margin": math.nan, **dict.fromkeys(CI_COLUMNS + REACH_COLUMNS, math.nan),
                "verdict": VERDICT_NO_FIGURE}
    text = result.verdict + (f" ({result.reason})" if result.reason else "")
    return {"margin": result.margin, **dict(zip(CI_COLUMNS, (*result.ci90, *result.ci95))),
            "noise_sd": pool.sd, "noise_dof": pool.dof,
            "reproduced_within": result.within, "not_reproduced_beyond": result.beyond,
            "verdict": text}


def _ci95(g: pd.DataFrame) -> tuple[float, float, float]:
    """Mean and sd of the runs' test errors, and the half-width of the 95% Student-t interval
    of the mean (NaN for one seed), its sd floored at one run's binomial standard error as the
    verdicts' is: seeds that agree to the last digit do not make the test set's noise vanish."""
    mean, sd = mean_sd(g["test_error_pct"].to_numpy(float))
    if len(g) < 2:
        return mean, sd, math.nan
    from scipy.stats import t  # scipy comes with scikit-learn; only needed here
    floored = verdicts.floored_sd(mean, sd, int(g["n_test"].min()))
    return mean, sd, float(t.ppf(0.975, len(g) - 1) * floored / math.sqrt(len(g)))


def _finite(values: np.ndarray, how) -> float:
    values = values[np.isfinite(values)]
    return float(how(values)) if len(values) else math.nan


def table1(runs: pd.DataFrame,
           margins: verdicts.Margins | Mapping[str, float] = DEFAULT_MARGINS) -> pd.DataFrame:
    """Test error (%) per configuration over the seeds of its selected learning rate, beside the
    paper's Table 1, with the verdict of rectifier.verdicts.cell. The 95% interval of the mean
    is Student-t (_ci95), clipped to an error rate's range [0, 100] (a few spread-out seeds near
    0 would otherwise reach below it); the verdicts' intervals are on differences and are not
    clipped."""
    rows, pools = [], noise(runs)
    for (dataset, activation, pretraining), g in groups(selected_runs(runs)):
        errors = g["test_error_pct"].to_numpy(float)
        mean, sd, half = _ci95(g)
        fig = paper.test_error(dataset, activation, pretraining)
        rows.append({
            "dataset": dataset, "activation": activation, "pretraining": pretraining,
            "n_seeds": len(errors), "n_diverged": int(np.isnan(errors).sum()),
            "test_error_mean": mean, "test_error_sd": sd,
            "ci95_low": max(mean - half, 0.0), "ci95_high": min(mean + half, 100.0),
            # over the seeds that did not diverge (NaN where none)
            "test_error_min": _finite(errors, np.min), "test_error_max": _finite(errors, np.max),
            "paper": fig.value if fig else math.nan,
            "paper_provisional": bool(fig and fig.provisional),
            "difference": mean - fig.value if fig else math.nan,
            **_verdict_columns(verdicts.cell(_side(g), fig.value, margin(margins, dataset),
                                             pools[dataset]) if fig else None, pools[dataset]),
        })
    return pd.DataFrame(rows)


def _selected_sides(runs: pd.DataFrame) -> dict[tuple[str, str, str], verdicts.Side]:
    return {key: _side(g) for key, g in groups(selected_runs(runs))}


def _comparison(a: verdicts.Side, b: verdicts.Side, paper_a, paper_b, dataset: str,
                margins: verdicts.Margins | Mapping[str, float], pool: verdicts.Noise) -> dict:
    """Our difference (a - b) with its sd (from the pool) and its own 90% interval, the paper's,
    and the verdict on the two."""
    published = paper_a.value - paper_b.value if paper_a and paper_b else None
    result = (verdicts.comparison(a, b, published,
                                  verdicts.Margins.of(margins).for_comparison(dataset), pool)
              if published is not None else None)
    low, high = verdicts.our_interval(a, b, pool)
    return {"difference": a.mean - b.mean,
            "difference_sd": verdicts.standard_error(pool, [a.n, b.n], 0),
            "ours_ci90_low": low, "ours_ci90_high": high,
            "paper_difference": published if published is not None else math.nan,
            "paper_provisional": bool(published is not None
                                      and (paper_a.provisional or paper_b.provisional)),
            **_verdict_columns(result, pool)}


COMPARISON_COLUMNS = ("difference", "difference_sd", "ours_ci90_low", "ours_ci90_high",
                      "paper_difference", "paper_provisional", "margin", *CI_COLUMNS,
                      *REACH_COLUMNS, "verdict")


def comparisons(runs: pd.DataFrame,
                margins: verdicts.Margins | Mapping[str, float] = DEFAULT_MARGINS) -> pd.DataFrame:
    """The paper's comparisons of activations: per data set and pre-training, the rectifier's mean
    test error minus tanh's and softplus's, beside the paper's, with a verdict on the two."""
    sides, pools = _selected_sides(runs), noise(runs)
    rows = []
    for (dataset, activation, pretraining), side in sides.items():
        for a, b in ACTIVATION_PAIRS:
            other = sides.get((dataset, b, pretraining))
            if activation != a or other is None:
                continue
            rows.append({"dataset": dataset, "pretraining": pretraining, "a": a, "b": b,
                         "n_seeds_a": len(side.errors), "n_seeds_b": len(other.errors),
                         **_comparison(side, other, paper.test_error(dataset, a, pretraining),
                                       paper.test_error(dataset, b, pretraining), dataset,
                                       margins, pools[dataset])})
    return pd.DataFrame(rows, columns=[
        "dataset", "pretraining", "a", "b", "n_seeds_a", "n_seeds_b", *COMPARISON_COLUMNS])


def pretraining_effect(runs: pd.DataFrame, margins: verdicts.Margins | Mapping[str, float]
                       = DEFAULT_MARGINS) -> pd.DataFrame:
    """Per (data set, activation) run both with and without pre-training: mean test error with
    (dae) minus without (none), each at its selected learning rate. The spread is the sd of a
    difference of independent means from the data set's pooled sd, σ √(1/n_dae + 1/n_none).
    Beside it, the paper's own difference (Table 1, dae minus none), and the verdict on the two
    (rectifier.verdicts.comparison)."""
    sides, pools = _selected_sides(runs), noise(runs)
    rows = []
    for (dataset, activation, pretraining), dae in sides.items():
        none = sides.get((dataset, activation, "none"))
        if pretraining != "dae" or none is None:
            continue
        rows.append({
            "dataset": dataset, "activation": activation,
            "n_seeds_dae": len(dae.errors), "n_seeds_none": len(none.errors),
            "test_error_dae": dae.mean, "test_error_none": none.mean,
            **_comparison(dae, none, paper.test_error(dataset, activation, "dae"),
                          paper.test_error(dataset, activation, "none"), dataset, margins,
                          pools[dataset])})
    return pd.DataFrame(rows, columns=[
        "dataset", "activation", "n_seeds_dae", "n_seeds_none", "test_error_dae",
        "test_error_none", *COMPARISON_COLUMNS])


def sparsity(runs: pd.DataFrame,
             sparsity_margin: float = verdicts.SPARSITY_MARGIN) -> pd.DataFrame:
    """Exact sparsity (% of test-set hidden activations exactly zero) per layer and overall,
    dead units per layer (mean over seeds), beside the paper's average for rectifier rows and
    judged against it as a Table 1 cell is, with `sparsity_margin` in points and the run-to-run
    sd pooled over the data set's rectifier configurations (the activation the figure is of);
    selected learning rates only."""
    n_layers = int(runs["n_layers"].max())
    rows, pools = [], noise(runs, "sparsity_pct_mean", "rectifier")
    for (dataset, activation, pretraining), g in groups(selected_runs(runs)):
        mean, sd = mean_sd(g["sparsity_pct_mean"].to_numpy(float))
        row = {"dataset": dataset, "activation": activation, "pretraining": pretraining,
               "n_seeds": len(g), "sparsity_mean": mean, "sparsity_sd": sd}
        for i in range(1, n_layers + 1):
            row[f"l{i}_mean"], row[f"l{i}_sd"] = _column_mean_sd(g, f"sparsity_pct_l{i}")
        for i in range(1, n_layers + 1):
            row[f"dead_l{i}"] = _column_mean_sd(g, f"dead_units_l{i}")[0]
        # "Average exact sparsity of the hidden layers" may also mean the layers' plain average;
        # it differs from the per-unit one (sparsity_mean) where widths differ (NORB).
        per_layer = g.filter(regex=r"^sparsity_pct_l\d+$").to_numpy(float)
        # per run over the layers it has (NaN columns: fewer layers); a diverged run has none
        per_run = [_finite(r, np.mean) for r in per_layer]
        row["layer_average"] = float(np.mean(per_run))
        published = paper.average_sparsity(dataset) if activation == "rectifier" else None
        row["paper"] = published if published is not None else math.nan
        row["difference"] = mean - published if published is not None else math.nan
        pool = pools.get(dataset)
        row.update(_verdict_columns(None if published is None else verdicts.cell(
            _side(g, "sparsity_pct_mean"), published, sparsity_margin, pool), pool))
        rows.append(row)
    return pd.DataFrame(rows)


def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Every run, one line each, every learning rate tried: the numbers a reader checks a
    summary against. With a sweep, its points' runs too, each point choosing its own rate."""
    points = variants(runs)
    runs = pd.concat([mark_selected(at(runs, p)) for p in points]) if points else mark_selected(runs)
    swept = VARIANT if len(points) > 1 else []
    columns = KEY + swept + ["lr", "seed", "selected", "test_error_pct", "valid_error_pct",
                             "best_epoch", "epochs_run", "stopped", "sparsity_pct_mean",
                             "wall_time_s", "device"]
    table = runs[columns].copy()
    dead = runs.filter(regex=r"^dead_units_l\d+$")
    table.insert(columns.index("sparsity_pct_mean") + 1, "dead_units",
                 dead.sum(axis=1, min_count=1).astype("Int64"))     # <NA>: diverged
    return table.reset_index(drop=True)


def pretraining_table(pre: pd.DataFrame) -> pd.DataFrame:
    """Per (data set, activation) pre-trained: seeds, each layer's final reconstruction cost
    (mean ± sd over seeds), the exact sparsity of each layer's codes on the validation set and
    its dead units, zero on every validation example (means), and the wall time per job (mean).
    (Dead on the validation set is a proxy: a first-layer unit zero on every training input would
    get no gradient in fine-tuning either, and the fine-tuned networks' dead units are counted on
    the test set, in the sparsity table.)"""
    n_layers = int(pre["n_layers"].max())
    rows = []
    for (dataset, activation, _), g in groups(pre):
        row = {"dataset": dataset, "activation": activation, "n_seeds": len(g)}
        for i in range(1, n_layers + 1):
            row[f"recon_l{i}_mean"], row[f"recon_l{i}_sd"] = _column_mean_sd(g, f"recon_loss_l{i}")
        for i in range(1, n_layers + 1):
            row[f"sparsity_l{i}_mean"] = _column_mean_sd(g, f"sparsity_pct_l{i}")[0]
        row["sparsity_mean"] = float(g["sparsity_pct_mean"].mean())
        for i in range(1, n_layers + 1):
            row[f"dead_l{i}_mean"] = _column_mean_sd(g, f"dead_units_l{i}")[0]
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
            return f"{value:g}" if general else fixed(value, decimals)
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
                          table.to_csv(index=False, float_format=CSV_FORMAT, na_rep=""))
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
                          mean.to_csv(index=False, float_format=CSV_FORMAT))


def sweeps(runs: pd.DataFrame) -> pd.DataFrame:
    """Every point of a sweep of train.l1 (Figure 3) or train.label_fraction (Figure 4): per
    configuration and point, the test error and the exact sparsity over the seeds of the rate
    chosen at that point on validation error (each point is a result, never a candidate)."""
    rows = []
    for point in variants(runs):
        for (dataset, activation, pretraining), g in groups(selected_runs(at(runs, point))):
            errors = g["test_error_pct"].to_numpy(float)
            mean, sd, half = _ci95(g)
            sparse, sparse_sd = mean_sd(g["sparsity_pct_mean"].to_numpy(float))
            rows.append({"dataset": dataset, "activation": activation,
                         "pretraining": pretraining, "l1": float(g["l1"].iloc[0]),
                         "label_fraction": point[1],
                         "n_labelled": int(g["n_labelled"].min()),
                         "lr": float(g["lr"].iloc[0]), "n_seeds": len(errors),
                         "test_error_mean": mean, "test_error_sd": sd,
                         "ci95_low": max(mean - half, 0.0), "ci95_high": min(mean + half, 100.0),
                         "sparsity_mean": sparse, "sparsity_sd": sparse_sd})
    return pd.DataFrame(rows)


def build(runs: pd.DataFrame,
          margins: verdicts.Margins | Mapping[str, float] = DEFAULT_MARGINS,
          ) -> dict[str, pd.DataFrame]:
    """Every table of the reproduction, by the name write() gives its files; `margins` are
    params.yaml's verdicts (a mapping: the cells' margins, the others by default). Table 1's
    tables judge the runs of its setting (selection.table1_runs); a grid that sweeps train.l1
    or train.label_fraction also gets `sweeps`, every point of it."""
    all_runs, runs = runs, table1_runs(runs)
    margins = verdicts.Margins.of(margins)
    built = {"table1": table1(runs, margins), "sparsity": sparsity(runs, margins.sparsity),
             "runs": runs_table(all_runs), "learning_rates": select_lr(runs),
             "pretraining_effect": pretraining_effect(runs, margins),
             "comparisons": comparisons(runs, margins)}
    if len(variants(all_runs)) > 1:
        built["sweeps"] = sweeps(all_runs)
    return built
