"""Reuse: a published run copies in the finished jobs another published run shares with it (the
same knobs), so an experiment need not recompute Table 1's jobs; a job that would differ is
never copied."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from helpers import rectifier, tiny_raw
from test_tables import write_pretrain, write_run  # tests/ is on sys.path (rootdir import)

from rectifier.reuse import shared_jobs

GRID = [0.1, 0.01]


def published(folder, **knobs):
    folder.mkdir(parents=True)
    (folder / "params.yaml").write_text(yaml.safe_dump(tiny_raw(datasets=["mnist"], **knobs)))
    return folder


def protocol(tmp_path):
    """Table 1's run: rectifier, tanh and softplus, with and without pre-training, the rates
    chosen on seed 1 (0.01 for the rectifier's stack, 0.1 for its fine-tuning)."""
    run = published(tmp_path / "protocol", activations=["rectifier", "tanh", "softplus"],
                    pretraining=["dae", "none"], seeds=[1, 2], train__lr=GRID,
                    pretrain__lr=GRID, selection__seeds="first")
    results, stacks = run / "runs/results", run / "runs/pretrained"
    for activation in ("rectifier", "tanh", "softplus"):
        for pretraining in ("dae", "none"):
            for lr in GRID:
                write_run(results, activation=activation, pretraining=pretraining, lr=lr,
                          test_error=2.0 - lr)
            write_run(results, activation=activation, pretraining=pretraining, lr=0.1, seed=2)
            (results / "mnist" / activation / pretraining / "rate.json").write_text(
                json.dumps({"lr": 0.1}))
        for lr in GRID:
            write_pretrain(stacks, activation=activation, lr=lr)
        write_pretrain(stacks, activation=activation, lr=0.01, seed=2)
        (stacks / "mnist" / activation / "rate.json").write_text(json.dumps({"lr": 0.01}))
    return run


def files(folder):
    return sorted(p.relative_to(folder / "runs").as_posix()
                  for p in (folder / "runs").rglob("*") if p.is_file())


@pytest.mark.slow
def test_an_experiment_copies_the_jobs_it_shares_with_table_1_and_no_other(tmp_path):
    """Figure 4's shape: two activations, fractions of the labels, the protocol's grids. Its
    jobs on every label, its stacks and the choices among the same candidates are the
    protocol's; softplus (not its activation) and its fewer-label jobs are not copied."""
    source = protocol(tmp_path)
    figure = published(tmp_path / "figure4", activations=["rectifier", "tanh"],
                       pretraining=["dae", "none"], seeds=[1, 2], train__lr=GRID,
                       pretrain__lr=GRID, selection__seeds="first",
                       train__label_fraction=[0.1, 1.0], outputs="experiments/figure4",
                       tracking__experiment="figure4")
    said = rectifier("publish", figure, "--reuse", source, cwd=tmp_path).stdout
    copied = files(figure)
    expected = sorted(
        [f"results/mnist/{a}/{p}/lr{lr}/seed1/{n}" for a in ("rectifier", "tanh")
         for p in ("dae", "none") for lr in GRID for n in ("history.csv", "metrics.json")]
        + [f"results/mnist/{a}/{p}/lr0.1/seed2/{n}" for a in ("rectifier", "tanh")
           for p in ("dae", "none") for n in ("history.csv", "metrics.json")]
        + [f"results/mnist/{a}/{p}/rate.json" for a in ("rectifier", "tanh")
           for p in ("dae", "none")]
        + [f"pretrained/mnist/{a}/lr{lr}/seed1/{n}" for a in ("rectifier", "tanh") for lr in GRID
           for n in ("history.csv", "metrics.json")]
        + [f"pretrained/mnist/{a}/lr0.01/seed2/{n}" for a in ("rectifier", "tanh")
           for n in ("history.csv", "metrics.json")]
        + [f"pretrained/mnist/{a}/rate.json" for a in ("rectifier", "tanh")])
    assert copied == expected
    assert said.startswith(f"{len(expected)} file(s) copied")
    same = "results/mnist/tanh/dae/lr0.1/seed2/metrics.json"
    assert (figure / "runs" / same).read_bytes() == (source / "runs" / same).read_bytes()
    # Both reports count the shared jobs' compute as the other run's too.
    jobs = sorted({str(Path(f).parent) for f in expected if not f.endswith("rate.json")})
    for run, other in ((figure, "protocol"), (source, "figure4")):
        assert list(json.loads((run / "reused.json").read_text())) == [other]
        assert shared_jobs(run) == {other: jobs}
        assert re.search(rf"\| of which shared with {other} +\| {len(jobs)} jobs, 0\.20 "
                         "core-hours: the same jobs as that published run's",
                         (run / "report.md").read_text())
    # Again: nothing new to copy, nothing overwritten.
    assert rectifier("publish", figure, "--reuse", source, cwd=tmp_path).stdout.startswith(
        "0 file(s) copied")
    # A shared job published again from a run of its own is shared no longer.
    mine = figure / "runs" / same
    mine.write_text(mine.read_text().replace('"seed": 2', '"seed": 2, "host": "elsewhere"'))
    assert shared_jobs(figure)["protocol"] == [j for j in jobs if j != str(Path(same).parent)]


@pytest.mark.slow
def test_jobs_fine_tuned_from_another_stack_or_chosen_among_other_rates_are_not_copied(tmp_path):
    """A run pre-training at 0.1 alone fine-tunes from other stacks than the protocol's (which
    chose 0.01): its dae jobs are not the protocol's, its stacks at 0.1 are. With one rate it
    chooses nothing, so no choice is copied."""
    source = protocol(tmp_path)
    other = published(tmp_path / "other", activations=["rectifier"], pretraining=["dae", "none"],
                      seeds=[1], train__lr=0.1, pretrain__lr=0.1)
    rectifier("publish", other, "--reuse", source, cwd=tmp_path)
    assert files(other) == [
        "pretrained/mnist/rectifier/lr0.1/seed1/history.csv",
        "pretrained/mnist/rectifier/lr0.1/seed1/metrics.json",
        "results/mnist/rectifier/none/lr0.1/seed1/history.csv",
        "results/mnist/rectifier/none/lr0.1/seed1/metrics.json"]


def test_a_run_whose_knobs_differ_copies_nothing_and_says_which(tmp_path):
    source = protocol(tmp_path)
    longer = published(tmp_path / "longer", activations=["rectifier"], pretraining=["none"],
                       seeds=[1], train__lr=0.1, train__patience=99, train__l1=[0.0, 0.001])
    failed = rectifier("publish", longer, "--reuse", source, cwd=tmp_path, check=False)
    assert failed.returncode != 0
    assert "protocol's jobs are not longer's: train.patience:" in failed.stderr
    assert "train.l1" not in failed.stderr          # a coordinate of the jobs, not a knob
    assert not (longer / "runs").exists()


@pytest.mark.slow
def test_other_pre_training_knobs_keep_out_only_the_stacks_and_jobs_with_pre_training(tmp_path):
    """Figure 3's shape: no pre-training, whose knobs then do not matter; with pre-training
    they do, and the jobs without it are still the protocol's."""
    source = protocol(tmp_path)
    sweep = published(tmp_path / "sweep", activations=["rectifier"], pretraining=["none"],
                      seeds=[1], train__lr=0.01, pretrain__epochs=99, train__l1=[0.0, 0.001])
    said = rectifier("publish", sweep, "--reuse", source, cwd=tmp_path).stdout
    assert files(sweep) == ["results/mnist/rectifier/none/lr0.01/seed1/history.csv",
                            "results/mnist/rectifier/none/lr0.01/seed1/metrics.json"]
    assert "Not copied" not in said
    both = published(tmp_path / "both", activations=["rectifier"], pretraining=["dae", "none"],
                     seeds=[1], train__lr=0.01, pretrain__lr=0.01, pretrain__epochs=99)
    said = rectifier("publish", both, "--reuse", source, cwd=tmp_path).stdout
    assert files(both) == files(sweep)
    assert "Not copied, stacks and jobs with pre-training: pretrain.epochs: 2 → 99" in said


def write_point(results, l1, fraction, lr=0.01, seed=1):
    """A rectifier job without pre-training at a sweep point (its folder names the point)."""
    import shutil

    from rectifier.names import job_id
    made = write_run(results.parent / "scratch", lr=lr, seed=seed, l1=l1,
                     label_fraction=fraction).parent
    target = results / job_id("mnist", "rectifier", "none", lr, seed, l1, fraction)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(made, target)
    shutil.rmtree(results.parent / "scratch")


@pytest.mark.slow
def test_only_the_jobs_the_run_itself_runs_are_copied(tmp_path):
    """A source that ran every rate on every seed (selection all) holds seed 2 at rates a run
    choosing on seed 1 never runs there: none is copied before that run's choice is made, then
    only its chosen rate; the choice itself is not copied (made on other seeds). A sweep point
    goes to its own folder, and only where the run sweeps it. Knobs of other data sets, of the
    downloads and of the verdicts do not count."""
    source = published(tmp_path / "all", activations=["rectifier"], seeds=[1, 2],
                       train__lr=GRID, train__l1=[0.0, 0.001], train__label_fraction=[0.1, 1.0])
    results = source / "runs/results"
    for seed in (1, 2):
        for lr in GRID:
            write_run(results, lr=lr, seed=seed, test_error=2.0 - lr)
            write_point(results, 0.0, 1.0, lr=lr, seed=seed)
            write_point(results, 0.001, 0.1, lr=lr, seed=seed)
    (results / "mnist/rectifier/none/rate.json").write_text(json.dumps({"lr": 0.1}))
    first = published(tmp_path / "first", activations=["rectifier"], seeds=[1, 2],
                      train__lr=GRID, selection__seeds="first", train__l1=[0.0, 0.001],
                      data__retries=9, verdicts__margin__mnist=1.0, data__norb__valid_size=7)
    rectifier("publish", first, "--reuse", source, cwd=tmp_path)
    seed1 = [f"results/mnist/rectifier/none/{point}lr{lr}/seed1/{n}" for point in ("", "l1_0/")
             for lr in GRID for n in ("history.csv", "metrics.json")]
    assert files(first) == sorted(seed1)
    (first / "runs/results/mnist/rectifier/none/rate.json").write_text(json.dumps({"lr": 0.01}))
    rectifier("publish", first, "--reuse", source, cwd=tmp_path)
    assert files(first) == sorted(seed1 + ["results/mnist/rectifier/none/rate.json"] + [
        f"results/mnist/rectifier/none/lr0.01/seed2/{n}" for n in ("history.csv", "metrics.json")])


def test_jobs_with_pre_training_wait_for_the_stack_s_choice(tmp_path):
    """Several pre-training rates and no choice published yet: which stack a job fine-tuned
    from is unknown, so no such job is copied; the candidate stacks are."""
    source = published(tmp_path / "src", activations=["rectifier"], pretraining=["dae"],
                       seeds=[1], train__lr=0.1, pretrain__lr=GRID)
    write_run(source / "runs/results", pretraining="dae", lr=0.1)
    for lr in GRID:
        write_pretrain(source / "runs/pretrained", lr=lr)
    target = published(tmp_path / "target", activations=["rectifier"], pretraining=["dae"],
                       seeds=[1], train__lr=0.1, pretrain__lr=GRID)
    said = rectifier("publish", target, "--reuse", source, cwd=tmp_path).stdout
    assert "no finished training job yet, so no tables or report" in said
    assert [f for f in files(target) if f.startswith("results/")] == []
    assert len(files(target)) == 4          # the two candidate stacks' small files


@pytest.mark.slow
def test_a_reading_with_the_penalty_on_the_rectifier_alone_copies_the_rectifier_s_jobs(tmp_path):
    """The second reading (config/mnist-protocol-l1-rectifier.yaml): L1 on the rectifier only.
    The rectifier's stacks, jobs and choices are the protocol's; tanh's and softplus's without
    pre-training are not (their folders name L1 0), nor their stacks and jobs with it."""
    source = protocol(tmp_path)
    alone = {"rectifier": 0.001, "default": 0}
    reading = published(tmp_path / "reading", activations=["rectifier", "tanh", "softplus"],
                        pretraining=["dae", "none"], seeds=[1, 2], train__lr=GRID,
                        pretrain__lr=GRID, selection__seeds="first", train__l1=alone,
                        pretrain__l1=alone, outputs="experiments/reading")
    said = rectifier("publish", reading, "--reuse", source, cwd=tmp_path).stdout
    assert files(reading) == [f for f in files(source) if "/rectifier/" in f]
    assert ("Not copied, stacks and jobs with pre-training: pretrain.l1 (tanh): 0.001 → 0.0; "
            "pretrain.l1 (softplus): 0.001 → 0.0") in said
    # 3 stacks (0.1 and 0.01 on seed 1, the chosen 0.01 on seed 2), 3 jobs per pre-training
    assert len(shared_jobs(reading)["protocol"]) == 9
