"""Ablations: a published run's cells beside the same jobs with one open choice made otherwise."""
from __future__ import annotations

import json
import math

import pytest
import yaml
from helpers import rectifier, tiny_raw
from test_tables import DIVERGED, write_run  # tests/ is on sys.path (rootdir import)

from rectifier.ablations import Change, changes, effect


def test_what_an_ablation_changed_is_read_from_the_two_params_files():
    """The knobs that scope an ablation (its folder, tracking, cells, seeds, rate) are not what
    it measures; every other knob that differs is, whatever its depth."""
    base = tiny_raw(datasets=["mnist"], seeds=[1, 2, 3], train__lr=[0.1, 0.01])
    ablation = tiny_raw(datasets=["mnist"], seeds=[1], train__lr=0.1, activations=["tanh"],
                        outputs="experiments/ablations/x", data__root="data",
                        tracking__experiment="other", train__l1=0, train__patience=50,
                        pretrain__signed_codes=False)
    assert changes(base, ablation) == (
        Change("pretrain.signed_codes", True, False), Change("train.l1", 0.001, 0),
        Change("train.patience", base["train"]["patience"], 50))
    assert str(Change("train.l1", 0.001, 0)) == "train.l1: 0.001 → 0"
    assert changes(base, base) == ()
    # A rate the run chose from candidates counts at its choice: 0.01 is no change, 0.001 is.
    grid = tiny_raw(datasets=["mnist"], pretraining=["dae"], pretrain__lr=[0.1, 0.01])
    at = lambda rate: tiny_raw(datasets=["mnist"], pretraining=["dae"], pretrain__lr=rate,
                               pretrain__signed_codes=False)
    assert changes(grid, at(0.01), chosen={"pretrain.lr": 0.01}) == (
        Change("pretrain.signed_codes", True, False),)
    assert changes(grid, at(0.001), chosen={"pretrain.lr": 0.01}) == (
        Change("pretrain.lr", 0.01, 0.001), Change("pretrain.signed_codes", True, False))
    assert changes(grid, at(0.01))[0] == Change("pretrain.lr", [0.1, 0.01], 0.01)   # no choice
    assert changes(grid, grid, chosen={"pretrain.lr": 0.01}) == ()        # the same grid


def test_the_pre_training_rate_a_run_chose_is_read_from_its_published_choices(tmp_path):
    from rectifier.ablations import _pretraining_choice
    for activation, rate in (("rectifier", 0.01), ("tanh", 0.01), ("softplus", 0.1)):
        choice = tmp_path / "runs/pretrained/mnist" / activation / "rate.json"
        choice.parent.mkdir(parents=True)
        choice.write_text(json.dumps({"lr": rate, "candidates": []}))
    ran = lambda *activations: {"datasets": ["mnist"], "activations": list(activations)}
    assert _pretraining_choice(tmp_path, ran("rectifier", "tanh")) == {"pretrain.lr": 0.01}
    assert _pretraining_choice(tmp_path, ran("rectifier", "softplus")) == {}   # two choices
    assert _pretraining_choice(tmp_path, ran("sigmoid")) == {}                 # none published


def test_params_files_of_different_commits_differ_only_where_a_knob_does():
    """An older file lacks a knob added since (at its default, as the code reads it), writes a
    one-value list or an empty mapping another way: none of these is a change."""
    new = tiny_raw(train__label_fraction=1.0, train__l1=[0.001], data__idx={})
    old = tiny_raw(train__l1=0.001)
    del old["data"]["idx"], old["pretrain"]["signed_codes"]
    assert "label_fraction" not in old["train"]
    defaults = tiny_raw()
    assert changes(old, new, defaults) == ()
    new["train"]["label_fraction"] = 0.1
    assert changes(old, new, defaults) == (Change("train.label_fraction", 1.0, 0.1),)


def test_an_effect_is_a_difference_beyond_two_sd_of_two_runs_noise():
    assert effect(-1.0, 0.4) == "lower error"
    assert effect(0.9, 0.4) == "higher error"
    assert effect(0.8, 0.4) == "within seed noise"       # on the bound: not an effect
    assert effect(0.5, math.nan) == "no noise to judge by"


@pytest.mark.slow
def test_a_published_ablation_sits_beside_its_cells_in_the_run_s_report(tmp_path):
    """`publish` of <run>/ablations/<name> copies the ablation's jobs from its outputs folder,
    renders it, and renders the run again: its report sets each ablated job beside the run's
    job of the same cell, rate and seed, with what changed, the difference and its effect."""
    run, project = tmp_path / "published" / "mnist-protocol", tmp_path / "project"
    run.mkdir(parents=True)
    (run / "params.yaml").write_text(yaml.safe_dump(tiny_raw(
        datasets=["mnist"], activations=["rectifier", "tanh"], seeds=[1, 2, 3],
        train__lr=[0.1, 0.01])))
    for seed, error in ((1, 3.50), (2, 3.60), (3, 3.70)):
        write_run(run / "runs/results", activation="tanh", seed=seed, lr=0.1, test_error=error)
        write_run(run / "runs/results", seed=seed, lr=0.01, test_error=1.5 + seed / 100)
    write_run(run / "runs/results", activation="tanh", lr=0.01, test_error=4.0)  # not chosen
    write_run(run / "runs/results", lr=0.1, test_error=2.0)                      # not chosen
    rectifier("publish", run, "--render-only", cwd=tmp_path)
    assert "Ablations" not in (run / "report.md").read_text()
    (run / "ablations" / "unfinished").mkdir(parents=True)        # no job yet: left out
    (run / "ablations" / "unfinished" / "params.yaml").write_text(
        (run / "params.yaml").read_text())

    ablation = run / "ablations" / "l1-off"
    ablation.mkdir(parents=True)
    (ablation / "params.yaml").write_text(yaml.safe_dump(tiny_raw(
        datasets=["mnist"], activations=["rectifier", "tanh"], seeds=[1], train__lr=0.1,
        train__l1=0, outputs="experiments/ablations/l1-off")))
    jobs = project / "experiments/ablations/l1-off/results"
    write_run(jobs, activation="tanh", lr=0.1, test_error=2.00, l1=0.0, sparsity=(1, 2, 3),
              epochs=30)
    write_run(jobs, lr=0.01, test_error=1.55, l1=0.0)
    write_run(jobs, lr=0.01, seed=2, l1=0.0, **DIVERGED)
    said = rectifier("publish", ablation, "--root", project, cwd=tmp_path).stdout
    assert said.startswith("6 file(s) new or changed")
    own = (ablation / "report.md").read_text()
    assert own.startswith("# Ablation l1-off of mnist-protocol: Reproduction")
    assert "ablation of the published run mnist-protocol" in own
    # its own report sets its jobs beside the run's as the run's does, and no other ablation's
    mine = own.split("## Ablations: what the paper's open choices change")[1].split("\n## ")[0]
    cells = [[c.strip() for c in r.strip("|").split("|")][2:6] for r in mine.splitlines()
             if r.startswith("| l1-off")]
    assert cells[2] == ["mnist, tanh, none", "1", "0.1 (the cell's choice)", "3.50 → 2.00"], mine
    assert len(cells) == 3 and "unfinished" not in mine

    md = (run / "report.md").read_text()
    headline = md.split("## Headline")[1].split("\n## ")[0]
    assert ("l1-off, mnist tanh (none, seed 1), train.l1: 0.001 → 0: 3.50 → 2.00, lower error"
            in headline and "l1-off, mnist rectifier (none, seed 2), train.l1: 0.001 → 0: the "
            "ablated job diverged" in headline), headline
    section = md.split("## Ablations: what the paper's open choices change")[1].split("\n## ")[0]
    rows = [[c.strip() for c in r.strip("|").split("|")] for r in section.splitlines()
            if r.startswith("| l1-off")]
    assert len(rows) == 3, section
    # tanh's seed sd 0.10 is under one run's binomial floor at 3.6% on 10,000 tests (0.186):
    # noise sd sqrt(2) x 0.186 = 0.26; -1.50 is beyond twice that
    assert rows[2] == ["l1-off", "train.l1: 0.001 → 0", "mnist, tanh, none", "1",
                       "0.1 (the cell's choice)", "3.50 → 2.00", "-1.50 (0.26)", "lower error",
                       "+1.93 → +0.43", "3.60 → 2.10", "85.0% → 2.0%", "3 → 29",
                       "early_stopping"]
    # the rectifier's floor at 1.52%: 0.122, x sqrt(2) = 0.17
    assert rows[0][2:8] == ["mnist, rectifier, none", "1", "0.01 (the cell's choice)",
                            "1.51 → 1.55", "+0.04 (0.17)", "within seed noise"]
    assert rows[1][2:8] + rows[1][9:] == [
        "mnist, rectifier, none", "2", "0.01 (the cell's choice)", "1.52 → diverged", "",
        "the ablated job diverged", "1.62 → diverged", "85.0% → diverged", "3 → 3", "diverged"]


def test_a_job_s_sweep_point_shows_in_its_cell_unless_the_ablation_changed_it(tmp_path):
    from rectifier.ablations import Ablation, table
    from rectifier.runs import collect
    base = collect([write_run(tmp_path / "base", activation="tanh", lr=0.1, test_error=3.5)])
    job = collect([write_run(tmp_path / "ablated", activation="tanh", lr=0.1, test_error=3.0,
                             label_fraction=0.1)])
    rows = table(base, [Ablation("budget", (Change("train.patience", 20, 100),), job),
                        Ablation("labels", (Change("train.label_fraction", 1.0, 0.1),), job)])
    assert list(rows["point"]) == ["10% of the labels", ""]
    assert list(rows["change"]) == ["train.patience: 20 → 100", "train.label_fraction: 1.0 → 0.1"]


def test_an_ablation_renders_before_its_run_has_a_finished_job(tmp_path):
    """An ablation may finish first: its report renders, with nothing to set it beside yet."""
    run = tmp_path / "published" / "mnist-protocol"
    ablation = run / "ablations" / "budget"
    for folder, knobs in ((run, {}), (ablation, {"train__patience": 100})):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "params.yaml").write_text(yaml.safe_dump(tiny_raw(
            datasets=["mnist"], activations=["tanh"], seeds=[1], train__lr=0.1, **knobs)))
    write_run(ablation / "runs/results", activation="tanh", lr=0.1, test_error=3.0)
    rectifier("publish", ablation, "--render-only", cwd=tmp_path)
    own = (ablation / "report.md").read_text()
    assert own.startswith("# Ablation budget of mnist-protocol") and "## Ablations" not in own
    assert not (run / "report.md").exists()       # the run has no job: no report of its own
