"""Training jobs through the CLI, as Snakemake runs them: results, determinism, resume, divergence."""
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import torch
from helpers import rectifier, write_params

JOB = ["--dataset", "digits", "--activation", "rectifier", "--seed", "1"]
# Values that differ between two identical runs: the time taken and what tracked them.
UNSTABLE = {"wall_time_s", "tracking"}


def train(cwd, out="run", check=True):
    return rectifier("train", *JOB, "--out", out, "--threads", "1", cwd=cwd, check=check)


def stable(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in UNSTABLE}


@pytest.fixture
def digits(project):
    write_params(project, tracking__enabled=False)   # MLflow has its own tests; keep these fast
    rectifier("prepare", "--dataset", "digits", cwd=project)
    return project


@pytest.mark.slow
def test_job_writes_metrics_history_checkpoint(digits):
    write_params(digits)
    train(digits)
    metrics = json.loads((digits / "run/metrics.json").read_text())
    assert metrics["dataset"] == "digits" and metrics["activation"] == "rectifier"
    assert 0 <= metrics["test_error_pct"] < 60        # 2 epochs on digits beat chance (90%)
    assert len(metrics["sparsity_pct"]) == 2 and all(0 < s < 100 for s in metrics["sparsity_pct"])
    assert metrics["n_train"] + metrics["n_valid"] + metrics["n_test"] == 1797
    assert metrics["device"] == "cpu" and metrics["torch_version"] == torch.__version__
    # the instruction set the kernels use: results round differently from one CPU to another
    assert metrics["device_name"].endswith(f"({torch.backends.cpu.get_cpu_capability()})")
    assert len(metrics["data_sha256"]) == 64 and metrics["tracking"]["status"] == "ok"
    history = pd.read_csv(digits / "run/history.csv")
    assert list(history.epoch) == [1, 2]
    assert history.valid_error_pct.min() == metrics["valid_error_pct"]
    saved = torch.load(digits / "run/checkpoint.pt", weights_only=True)
    assert saved["settings"]["activation"] == "rectifier" and "hidden.0.weight" in saved["model"]
    assert (digits / "run/resume.pt").exists()     # kept, so a larger budget extends the run


def test_the_code_is_part_of_a_runs_fingerprint(digits):
    """A state saved by other code is not resumed: the job records the digest of the code it
    ran (rectifier.code, the same digest Snakemake reruns on) and it enters the fingerprint."""
    from rectifier import code
    train(digits)
    metrics = json.loads((digits / "run/metrics.json").read_text())
    assert metrics["code_sha256"] == code.digest("train")
    saved = torch.load(digits / "run/checkpoint.pt", weights_only=True)
    assert saved["settings"]["code_sha256"] == code.digest("train")


@pytest.mark.slow
def test_same_seed_same_result_on_cpu(digits):
    train(digits, "a")
    train(digits, "b")
    a, b = (json.loads((digits / d / "metrics.json").read_text()) for d in "ab")
    assert stable(a) == stable(b)


@pytest.mark.slow
def test_killed_job_resumes_to_the_same_result(project):
    write_params(project, train__max_epochs=25, train__patience=100, model__hidden=[200, 200],
                 tracking__enabled=False)
    rectifier("prepare", "--dataset", "digits", cwd=project)
    train(project, "whole")

    job = subprocess.Popen([sys.executable, "-m", "rectifier", "train", *JOB, "--out", "cut",
                            "--threads", "1"], cwd=project, stderr=subprocess.DEVNULL)
    checkpoint = project / "cut/resume.pt"
    deadline = time.time() + 120
    while not checkpoint.exists() and job.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert checkpoint.exists() and not (project / "cut/metrics.json").exists(), \
        "the job ended before it could be killed mid-run"

    resumed = train(project, "cut")
    assert "resuming from" in resumed.stderr
    whole, cut = (json.loads((project / d / "metrics.json").read_text()) for d in ("whole", "cut"))
    assert stable(cut) == stable(whole)
    history = pd.read_csv(project / "cut/history.csv")
    assert list(history.epoch) == list(range(1, 26))


@pytest.mark.slow
def test_a_resumed_job_s_wall_time_covers_its_earlier_processes(project):
    """Killed late, then resumed: wall_time_s holds the first process's epochs too (their
    seconds, from the resumed history), not the last process's few epochs only."""
    write_params(project, train__max_epochs=40, train__patience=100, model__hidden=[1000, 1000],
                 tracking__enabled=False)
    rectifier("prepare", "--dataset", "digits", cwd=project)
    job = subprocess.Popen([sys.executable, "-m", "rectifier", "train", *JOB, "--out", "cut",
                            "--threads", "1"], cwd=project, stderr=subprocess.DEVNULL)
    checkpoint, deadline = project / "cut/resume.pt", time.time() + 300
    while job.poll() is None and time.time() < deadline and not (
            checkpoint.exists() and torch.load(checkpoint, weights_only=True)["epoch"] >= 35):
        time.sleep(0.2)
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert not (project / "cut/metrics.json").exists(), "the job ended before it was killed"
    started = time.time()
    assert "resuming from" in train(project, "cut").stderr
    last_process = time.time() - started
    seconds = pd.read_csv(project / "cut/history.csv")["seconds"]
    wall = json.loads((project / "cut/metrics.json").read_text())["wall_time_s"]
    assert seconds.sum() > last_process, "the first process's epochs should outweigh the last's"
    assert seconds.sum() <= wall <= seconds.sum() + last_process     # each epoch counted once


@pytest.mark.slow
def test_a_second_process_on_a_job_s_folder_is_refused_and_changes_nothing(digits):
    """Two processes on one job would write each other's resume.pt and results: while one holds
    the folder, a second train or pretrain into it fails at once, naming the holder."""
    from rectifier import exclusive
    def results():          # all but the lock file, which names whichever process holds it
        return {p.name: p.read_bytes() for p in (digits / "run").iterdir()
                if p.name != exclusive.LOCK}

    train(digits)
    finished = results()
    with exclusive.held(digits / "run", "the first"):
        again = train(digits, check=False)
        stack = rectifier("pretrain", *JOB, "--out", "run", cwd=digits, check=False)
        assert results() == finished
    for refused in (again, stack):
        assert refused.returncode == 1
        assert f"is in use by process {os.getpid()}" in refused.stderr
    assert "resuming from" in train(digits).stderr       # free again once the holder is done


@pytest.mark.slow
def test_larger_budget_extends_a_finished_run_and_a_smaller_one_restarts(digits):
    train(digits, "grown")                                    # max_epochs 2
    write_params(digits, train__max_epochs=4, tracking__enabled=False)
    assert "resuming from" in train(digits, "grown").stderr
    train(digits, "fresh")
    grown, fresh = (json.loads((digits / d / "metrics.json").read_text()) for d in ("grown", "fresh"))
    assert grown["epochs_run"] == 4 and stable(grown) == stable(fresh)

    write_params(digits, train__max_epochs=1, tracking__enabled=False)
    assert "starting afresh" in train(digits, "grown").stderr
    train(digits, "short")
    grown, short = (json.loads((digits / d / "metrics.json").read_text()) for d in ("grown", "short"))
    assert grown["epochs_run"] == 1 and stable(grown) == stable(short)


@pytest.mark.slow
def test_checkpoint_of_other_settings_is_not_resumed(digits):
    """A finished job keeps resume.pt with its fingerprint: the same settings continue it, a
    changed learning rate (or engine) does not."""
    train(digits)
    assert "resuming from" in train(digits).stderr                  # same settings: resumed
    write_params(digits, train__lr=0.02, tracking__enabled=False)
    assert "other settings: starting afresh" in train(digits).stderr
    write_params(digits, train__lr=0.02, train__engine="autograd", tracking__enabled=False)
    assert "other settings: starting afresh" in train(digits).stderr


def test_a_diverging_run_is_recorded_as_diverged_not_failed(digits):
    """A candidate rate too large for the network: the job ends well, its files say why, and a
    rerun does not train it again."""
    write_params(digits, train__lr=1e12, tracking__enabled=False)
    result = train(digits)
    metrics = json.loads((digits / "run/metrics.json").read_text())
    assert metrics["stopped"] == "diverged" and "train.lr=1e+12" in metrics["diverged"]
    assert "epoch 1" in metrics["diverged"] and "diverged" in result.stderr
    assert metrics["test_error_pct"] is None and metrics["valid_error_pct"] is None
    assert metrics["sparsity_pct"] is None and metrics["epochs_run"] == 1
    assert (digits / "run/checkpoint.pt").exists()
    assert list(pd.read_csv(digits / "run/history.csv").columns)[:2] == ["epoch", "train_nll"]
    from rectifier.runs import collect
    row = collect(digits / "run").iloc[0]
    assert row["valid_error_pct"] == float("inf") and row["stopped"] == "diverged"
    again = train(digits)
    assert "resuming from" in again.stderr and "epoch 1:" not in again.stderr


def test_unreachable_tracking_store_does_not_cost_the_results(digits):
    (digits / "file").write_text("a file, so no database can be made under it")
    write_params(digits, tracking__uri=f"sqlite:///{digits}/file/mlflow.db")
    result = train(digits)
    assert f"MLflow tracking at sqlite:///{digits}/file/mlflow.db failed" in result.stderr
    metrics = json.loads((digits / "run/metrics.json").read_text())
    assert metrics["tracking"]["status"] == "failed" and metrics["tracking"]["error"]
    assert (digits / "run/checkpoint.pt").exists()


def test_a_state_past_a_smaller_patience_is_not_continued():
    from types import SimpleNamespace

    from rectifier.train import State, _reachable
    history = [{"valid_error_pct": e} for e in (5.0, 4.0, 4.5, 4.6, 4.7)]   # best at epoch 2
    state = State(epoch=5, history=history)
    assert not _reachable(state, SimpleNamespace(max_epochs=10, patience=2))  # stops at epoch 4
    assert _reachable(state, SimpleNamespace(max_epochs=10, patience=3))      # stops at epoch 5
    assert not _reachable(state, SimpleNamespace(max_epochs=4, patience=3))


def test_a_diverged_state_past_a_smaller_patience_is_not_continued():
    """A diverged state has no row for the epoch that diverged: every row counts. Errors 5, 6, 7,
    then divergence at epoch 4: patience 2 would have stopped at epoch 3, before diverging."""
    from types import SimpleNamespace

    from rectifier.train import State, _reachable
    history = [{"valid_error_pct": e} for e in (5.0, 6.0, 7.0)]
    state = State(epoch=4, history=history, diverged="training loss became nan at epoch 4")
    assert not _reachable(state, SimpleNamespace(max_epochs=10, patience=2))
    assert _reachable(state, SimpleNamespace(max_epochs=10, patience=3))
