"""Tables from fake-but-consistent result folders with known numbers."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from rectifier import paper, tables


def write_run(root, dataset="mnist", activation="rectifier", pretraining="none", seed=1,
              test_error=1.0, sparsity=(80.0, 85.0, 90.0), dead=(0, 1, 2), hidden=None,
              epochs=4, **overrides):
    """A results/<dataset>/<activation>/<pretraining>/seed<seed>/ folder as a training job
    writes it; returns the metrics.json path."""
    hidden = list(hidden or [1000] * len(sparsity))
    folder = root / dataset / activation / pretraining / f"seed{seed}"
    folder.mkdir(parents=True)
    metrics = {
        "dataset": dataset, "activation": activation, "pretraining": pretraining, "seed": seed,
        "test_error_pct": test_error, "valid_error_pct": test_error + 0.1, "best_epoch": epochs - 1,
        "epochs_run": epochs, "stopped": "early_stopping", "hidden": hidden, "lr": 0.01,
        "minibatch": 10, "l1": 0.001, "sign_trick": True,
        "n_train": 50000, "n_valid": 10000, "n_test": 10000,
        "sparsity_pct": list(sparsity),
        "sparsity_pct_mean": sum(s * h for s, h in zip(sparsity, hidden)) / sum(hidden),
        "dead_units": list(dead), "mean_activation": [0.1] * len(hidden),
        "wall_time_s": 10.0, "device": "cpu", "device_name": "test cpu",
        "torch_version": "2.13.0", "python_version": "3.12.0", "platform": "Linux",
        "git_commit": "abc123", "data_sha256": "0" * 64,
        "tracking": {"status": "disabled"},
    }
    metrics.update(overrides)
    (folder / "metrics.json").write_text(json.dumps(metrics))
    pd.DataFrame({
        "epoch": range(1, epochs + 1), "train_nll": [0.5] * epochs, "train_l1": [0.1] * epochs,
        "train_error_pct": [2.0] * epochs, "valid_nll": [0.6] * epochs,
        "valid_error_pct": [test_error + 1 / e for e in range(1, epochs + 1)],
        "seconds": [2.5] * epochs,
    }).to_csv(folder / "history.csv", index=False)
    return folder / "metrics.json"


@pytest.fixture
def results(tmp_path):
    """mnist rectifier 3 seeds (1.0, 1.2, 1.4), mnist tanh 3 seeds far from the paper,
    mnist softplus 1 seed, digits rectifier 2 seeds (no published figure)."""
    root = tmp_path / "results"
    for seed, err, s1 in ((1, 1.0, 80.0), (2, 1.2, 82.0), (3, 1.4, 84.0)):
        write_run(root, seed=seed, test_error=err, sparsity=(s1, 85.0, 90.0))
    for seed, err in ((1, 3.0), (2, 3.1), (3, 3.2)):
        write_run(root, activation="tanh", seed=seed, test_error=err, sparsity=(0, 0, 0),
                  dead=(0, 0, 0))
    write_run(root, activation="softplus", seed=1, test_error=1.9, sparsity=(0, 0, 0))
    for seed, err in ((1, 5.0), (2, 6.0)):
        write_run(root, dataset="digits", seed=seed, test_error=err, sparsity=(50.0, 60.0),
                  dead=(3, 5), hidden=[100, 100], n_train=1077, n_valid=360, n_test=360)
    return root


def test_collect_is_flat_and_ordered(results):
    runs = tables.collect(results)
    assert len(runs) == 9
    assert {"sparsity_pct_l1", "sparsity_pct_l3", "dead_units_l2", "mean_activation_l1",
            "tracking_status", "hidden", "n_layers"} <= set(runs.columns)
    assert runs.loc[0, "job_id"] == "mnist/rectifier/none/seed1"
    # paper's data sets first; rectifier, tanh, softplus; seeds ascending
    assert list(runs["job_id"][:4]) == [f"mnist/rectifier/none/seed{s}" for s in (1, 2, 3)] + [
        "mnist/tanh/none/seed1"]
    assert runs["job_id"].iloc[-1] == "digits/rectifier/none/seed2"
    assert runs.loc[0, "hidden"] == "1000-1000-1000"
    assert runs.loc[8, "sparsity_pct_l3"] != runs.loc[8, "sparsity_pct_l3"]  # NaN: 2 layers


def test_collect_accepts_paths(results):
    paths = sorted(results.glob("mnist/rectifier/**/metrics.json"))
    assert len(tables.collect(paths)) == 3


def test_table1_exact_values(results):
    t1 = tables.table1(tables.collect(results)).set_index(["dataset", "activation"])
    r = t1.loc[("mnist", "rectifier")]
    assert r["n_seeds"] == 3
    assert r["test_error_mean"] == pytest.approx(1.2)
    assert r["test_error_sd"] == pytest.approx(0.2)
    assert (r["test_error_min"], r["test_error_max"]) == (1.0, 1.4)
    assert r["paper"] == 1.43 and not r["paper_provisional"]
    assert r["difference"] == pytest.approx(-0.23)
    # 1.43 is outside [1.0, 1.4] but within 1.2 ± 0.4
    assert r["verdict"] == "reproduced"
    # 95% t interval: 1.2 ± 4.3027 * 0.2 / sqrt(3)
    assert r["ci95_high"] - r["test_error_mean"] == pytest.approx(4.302653 * 0.2 / math.sqrt(3))

    tanh = t1.loc[("mnist", "tanh")]
    assert tanh["paper"] == 1.57 and tanh["verdict"] == "not reproduced"

    single = t1.loc[("mnist", "softplus")]
    assert single["n_seeds"] == 1 and math.isnan(single["test_error_sd"])
    assert single["verdict"] == tables.VERDICT_SINGLE
    assert single["difference"] == pytest.approx(1.9 - 1.77)

    digits = t1.loc[("digits", "rectifier")]
    assert digits["verdict"] == tables.VERDICT_NO_FIGURE and math.isnan(digits["paper"])
    assert list(t1.index.get_level_values(0)) == ["mnist"] * 3 + ["digits"]


def test_verdict_rule():
    assert tables.verdict([1.0, 1.5], 1.43) == "reproduced"          # within [min, max]
    assert tables.verdict([1.0, 1.0, 1.0], 1.43) == "not reproduced"  # sd 0, outside range
    assert tables.verdict([1.0], 1.0) == tables.VERDICT_SINGLE
    assert tables.verdict([1.0, 2.0], None) == tables.VERDICT_NO_FIGURE


def test_table1_order_pretraining_dae_first(tmp_path):
    root = tmp_path / "results"
    for act in ("sigmoid", "softplus", "tanh", "rectifier"):
        for pre in ("none", "dae"):
            write_run(root, activation=act, pretraining=pre)
    t1 = tables.table1(tables.collect(root))
    assert list(zip(t1["activation"], t1["pretraining"]))[:3] == [
        ("rectifier", "dae"), ("rectifier", "none"), ("tanh", "dae")]
    assert t1["activation"].iloc[-1] == "sigmoid"
    assert t1.set_index(["activation", "pretraining"]).loc[("tanh", "dae"), "paper_provisional"]


def test_sparsity_exact_values(results):
    sp = tables.sparsity(tables.collect(results)).set_index(["dataset", "activation"])
    r = sp.loc[("mnist", "rectifier")]
    assert r["l1_mean"] == pytest.approx(82.0) and r["l1_sd"] == pytest.approx(2.0)
    assert r["l2_mean"] == pytest.approx(85.0) and r["l2_sd"] == pytest.approx(0.0)
    assert r["sparsity_mean"] == pytest.approx((82.0 + 85.0 + 90.0) / 3)
    assert (r["dead_l1"], r["dead_l2"], r["dead_l3"]) == (0, 1, 2)
    assert r["paper"] == 83.4
    assert r["difference"] == pytest.approx(r["sparsity_mean"] - 83.4)
    assert math.isnan(sp.loc[("mnist", "tanh"), "paper"])      # paper's figure: rectifier only
    assert math.isnan(sp.loc[("mnist", "softplus"), "sparsity_sd"])
    d = sp.loc[("digits", "rectifier")]
    assert d["l1_mean"] == 50.0 and math.isnan(d["l3_mean"]) and math.isnan(d["paper"])


@pytest.mark.parametrize("key", ["test_error_pct", "sparsity_pct", "device", "hidden"])
def test_missing_key_refused(tmp_path, key):
    path = write_run(tmp_path)
    metrics = json.loads(path.read_text())
    del metrics[key]
    path.write_text(json.dumps(metrics))
    with pytest.raises(ValueError, match=rf"metrics\.json.*{key}"):
        tables.collect(tmp_path)


def test_tracking_is_optional(tmp_path):
    path = write_run(tmp_path)
    metrics = json.loads(path.read_text())
    del metrics["tracking"]                 # MLflow is the window, not the truth
    path.write_text(json.dumps(metrics))
    assert "tracking_status" not in tables.collect(tmp_path).columns


@pytest.mark.parametrize("key,value,named", [
    ("test_error_pct", float("nan"), "test_error_pct"),
    ("wall_time_s", float("inf"), "wall_time_s"),
    ("sparsity_pct", [80.0, float("nan"), 90.0], r"sparsity_pct\[1\]"),
])
def test_non_finite_refused(tmp_path, key, value, named):
    path = write_run(tmp_path)
    metrics = json.loads(path.read_text())
    metrics[key] = value
    path.write_text(json.dumps(metrics))   # json writes NaN / Infinity literals
    with pytest.raises(ValueError, match=rf"{path.name}.*{named}"):
        tables.collect([path])


def test_bad_shapes_refused(tmp_path):
    write_run(tmp_path, dead_units=[0, 1])
    with pytest.raises(ValueError, match="dead_units"):
        tables.collect(tmp_path)
    with pytest.raises(ValueError, match="no metrics.json"):
        tables.collect(tmp_path / "empty")


def test_histories(results):
    runs = tables.collect(results)
    histories = tables.load_histories(runs)
    assert set(histories) == set(runs["job_id"])
    assert list(histories["mnist/rectifier/none/seed1"]["epoch"]) == [1, 2, 3, 4]


def test_write(results, tmp_path):
    runs = tables.collect(results)
    out = tmp_path / "tables"
    built = {"table1": tables.table1(runs), "sparsity": tables.sparsity(runs),
             "runs": tables.runs_table(runs)}
    written = tables.write(built, out)
    assert {p.name for p in written} == {"table1.csv", "table1.md", "sparsity.csv",
                                         "sparsity.md", "runs.csv", "runs.md", "summary.json"}
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*"))
    back = pd.read_csv(out / "table1.csv", keep_default_na=False, na_values=[""])
    assert back.loc[0, "test_error_mean"] == pytest.approx(1.2)
    md = (out / "table1.md").read_text()
    assert "| mnist " in md and "1.20" in md and "0.20" in md and "nan" not in md
    summary = json.loads((out / "summary.json").read_text())
    r = summary["mnist/rectifier/none"]
    assert r["n_seeds"] == 3 and r["test_error_pct_mean"] == 1.2
    assert r["test_error_pct_sd"] == 0.2 and r["paper_test_error_pct"] == 1.43
    assert "test_error_pct_sd" not in summary["mnist/softplus/none"]   # one seed: no sd
    assert "paper_test_error_pct" not in summary["digits/rectifier/none"]
    assert summary["mnist/rectifier/none"]["sparsity_pct_mean"] == pytest.approx(85.6667)


def test_paper_figures():
    assert paper.test_error("mnist", "rectifier", "none") == (1.43, False)
    assert paper.test_error("cifar10", "rectifier", "dae") == (49.96, True)
    assert paper.test_error("digits", "rectifier", "none") is None
    assert paper.test_error("mnist", "sigmoid", "none") is None
    assert len(paper.TABLE1) == 24
    assert paper.average_sparsity("norb") == 73.8 and paper.average_sparsity("digits") is None
    assert paper.unavailable("nistp") == "not public" and paper.unavailable("mnist") is None
