"""Sweeps are params: train.l1 and train.label_fraction may list values, each a result of its
own (the paper's Figures 3 and 4): the labelled subset, the jobs' folders, and a real
`snakemake` run of a tiny sweep on digits."""
import json
import re
import subprocess

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, write_params

from rectifier.labels import labelled_subset
from rectifier.names import job_id, parse_variant, variant


def test_the_labelled_subset_keeps_each_class_share_and_is_drawn_by_the_seed():
    labels = np.repeat(np.arange(4), [100, 200, 300, 400])
    subset = labelled_subset(labels, 0.05, seed=1)
    assert np.bincount(labels[subset]).tolist() == [5, 10, 15, 20]
    assert len(set(subset)) == len(subset) and np.all(np.diff(subset) > 0)
    assert np.array_equal(subset, labelled_subset(labels, 0.05, seed=1))      # deterministic
    assert not np.array_equal(subset, labelled_subset(labels, 0.05, seed=2))  # by the seed
    # Nested: more labels add to the fewer ones, never swap them.
    assert set(subset) <= set(labelled_subset(labels, 0.2, seed=1))
    assert np.bincount(labels[labelled_subset(labels, 0.001, seed=1)]).tolist() == [1, 1, 1, 1]
    assert np.array_equal(labelled_subset(labels, 1.0, seed=1), np.arange(len(labels)))
    with pytest.raises(ValueError, match="not in"):
        labelled_subset(labels, 0.0, seed=1)


def test_a_job_folder_names_its_point_only_outside_table_1s_setting():
    assert job_id("mnist", "rectifier", "none", 0.1, 1) == "mnist/rectifier/none/lr0.1/seed1"
    assert job_id("mnist", "rectifier", "none", 0.1, 1, 0.001, 1.0) == (
        "mnist/rectifier/none/lr0.1/seed1")
    assert job_id("norb", "tanh", "dae", 0.01, 2, 0.0, 0.05) == (
        "norb/tanh/dae/l1_0/labels0.05/lr0.01/seed2")
    for point in [(0.001, 1.0), (0.0, 1.0), (1e-5, 0.02), (0.001, 0.1)]:
        assert parse_variant(variant(*point)) == point


def snakemake(folder, *args):
    return subprocess.run(["snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(folder), *args],
                          capture_output=True, text=True, check=True)


@pytest.mark.slow
def test_a_sweep_runs_each_point_and_table_1_judges_its_own_setting(tmp_path):
    sweep = {"activations": ["rectifier"], "pretraining": ["none", "dae"],
             "train__l1": [0.0, 0.001], "train__label_fraction": [0.5, 1.0]}
    write_params(tmp_path, **sweep)
    snakemake(tmp_path, "--cores", "2")
    folders = sorted(str(p.parent.relative_to(tmp_path / "results/digits/rectifier"))
                     for p in (tmp_path / "results").rglob("metrics.json"))
    assert folders == sorted(f"{p}/{v}lr0.05/seed1" for p in ("dae", "none")
                             for v in ("", "l1_0/", "l1_0/labels0.5/", "labels0.5/"))
    half = json.loads((tmp_path / "results/digits/rectifier/none/labels0.5/lr0.05/seed1/"
                       "metrics.json").read_text())
    assert (half["label_fraction"], half["l1"], half["n_train"]) == (0.5, 0.001, 1079)
    assert half["n_labelled"] == pytest.approx(1079 / 2, abs=10)

    # Table 1 judges L1 0.001 on every label; the sweep table holds every point.
    table1 = pd.read_csv(tmp_path / "reports/tables/table1.csv")
    every = pd.read_csv(tmp_path / "reports/tables/runs.csv")
    at_table1 = every[(every["l1"] == 0.001) & (every["label_fraction"] == 1.0)]
    assert sorted(table1["test_error_mean"]) == sorted(at_table1["test_error_pct"])
    sweeps = pd.read_csv(tmp_path / "reports/tables/sweeps.csv")
    assert len(sweeps) == 8 and set(zip(sweeps["l1"], sweeps["label_fraction"])) == {
        (0.0, 0.5), (0.0, 1.0), (0.001, 0.5), (0.001, 1.0)}
    report = (tmp_path / "reports/report.md").read_text()
    for heading in ("Sweeps: the L1 penalty and the labels", "Sparsity sweep (Figure 3)",
                    "Fewer labels (Figure 4)"):
        assert f"## {heading}" in report
    assert (tmp_path / "reports/figures/figure3.png").stat().st_size > 10_000
    assert "**Verdict (digits).**" in report
    # the headline carries each experiment's claims, linked to their sections
    headline = report.split("## Headline")[1].split("\n## ")[0]
    assert ("[digits, test error does not rise until about 85% exact sparsity (Figure 3)]"
            "(#sparsity-sweep-figure-3)") in headline
    assert "pre-training helps most with few labels (Figure 4)](#fewer-labels-figure-4)" in headline

    # Another fraction trains new networks from the same stacks: nothing is pre-trained again,
    # and no job of another point runs again.
    write_params(tmp_path, **{**sweep, "train__label_fraction": [0.25, 0.5, 1.0]})
    planned = snakemake(tmp_path, "-n").stdout
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", planned, re.M))
    assert "pretrain" not in jobs and jobs["train"] == "4"
    assert set(re.findall(r"output: results/digits/rectifier/\w+/(\S*?)lr0.05", planned)) == {
        "l1_0/labels0.25/", "labels0.25/"}


@pytest.mark.slow
@pytest.mark.parametrize("config, planned", [
    ("figure3.yaml", {"train": 24}),                      # 12 L1 values x 2 seeds
    # seed 1 runs 2 x 2 x 5 fractions x 4 rates and 2 x 4 stacks; seed 2 what they choose
    ("figure4.yaml", {"train": 80, "pretrain": 8}),
    ("smoothness.yaml", {"train": 8}),                    # a = 1, 3, 6 and the rectifier
])
def test_each_experiment_is_one_command(tmp_path, config, planned):
    """`snakemake --configfile config/<experiment>.yaml` plans exactly that experiment's jobs."""
    import shutil
    shutil.copy(ROOT / "params.yaml", tmp_path)
    out = snakemake(tmp_path, "-n", "--configfile", str(ROOT / "config" / config)).stdout
    jobs = {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", out, re.M)}
    assert {k: jobs.get(k, 0) for k in ("train", "pretrain")} == {"pretrain": 0, **planned}


@pytest.mark.slow
def test_a_penalty_per_activation_is_no_sweep(tmp_path):
    """The L1 penalty on the rectifier alone (the authors' library): tanh's jobs name L1 0 in
    their folders, the rectifier's keep Table 1's folders, and the tables judge each
    activation at its own penalty, with no sweep."""
    alone = {"rectifier": 0.001, "default": 0}
    write_params(tmp_path, train__l1=alone, pretrain__l1=alone)
    planned = snakemake(tmp_path, "-n", "-p", "--cores", "1").stdout
    assert sorted(set(re.findall(r"--activation (\w+) .*--l1 (\S+)", planned))) == [
        ("rectifier", "0.001"), ("tanh", "0.0")]
    assert "results/digits/tanh/none/l1_0/lr0.05/seed1/metrics.json" in planned
    assert "results/digits/rectifier/none/lr0.05/seed1/metrics.json" in planned

    from test_tables import write_run

    from rectifier import tables
    from rectifier.runs import collect
    results = tmp_path / "runs"
    paths = [write_run(results, activation=a, seed=s, l1=l1)
             for a, l1 in (("rectifier", 0.001), ("tanh", 0.0)) for s in (1, 2, 3)]
    built = tables.build(collect(paths))
    assert "sweeps" not in built
    assert built["table1"]["activation"].tolist() == ["rectifier", "tanh"]
