"""MLflow against a real sqlite store: a job's run is open while it runs and holds each epoch as
it ends; parallel writers lose nothing; a killed job's next attempt continues its run; a dead
store is reported, never raised."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from rectifier.config import Tracking
from rectifier.tracking import RUN_FILE, Run, grouped

WRITER = """
import os, sys, time
from pathlib import Path
from rectifier.config import Tracking
from rectifier.tracking import Run
i, last, killed = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "kill"
out = Path(f"job{i}")
out.mkdir(exist_ok=True)
run = Run.open(Tracking(True, "parallel", None), out, f"job{i}", {"seed": i, "lr": 0.01},
               {"seed": str(i)}, "a test job")
first = int(sys.argv[4]) if len(sys.argv) > 4 else 1
for epoch in range(first, last + 1):
    run.log_metrics({"valid_error_pct": 10.0 - epoch / 10, "train_nll": 1.0 / epoch}, epoch)
    time.sleep(0.01)
if killed:
    os._exit(9)                   # as SIGKILL would: nothing closes the run
(out / "a.txt").write_text("artifact")
status = run.finish({"test_error_pct": float(i)}, [out / "a.txt"])
assert status["status"] == "ok", status
"""


def write(tmp_path, i, last, mode="finish", first=1):
    return subprocess.Popen([sys.executable, "-c", WRITER, str(i), str(last), mode, str(first)],
                            cwd=tmp_path, stderr=subprocess.PIPE, text=True)


def client_and_runs(tmp_path):
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.get_experiment_by_name("parallel")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    return client, client.search_runs([experiment.experiment_id])


@pytest.mark.slow
def test_six_jobs_logging_at_once_lose_no_epoch(tmp_path):
    writers = [write(tmp_path, i, 40) for i in range(6)]
    errors = [w.communicate()[1] for w in writers]
    assert all(w.returncode == 0 for w in writers), errors
    client, runs = client_and_runs(tmp_path)
    assert sorted(r.data.tags["seed"] for r in runs) == [str(i) for i in range(6)]
    for run in runs:
        assert run.info.status == "FINISHED"
        curve = client.get_metric_history(run.info.run_id, "valid/error_pct")
        assert sorted(m.step for m in curve) == list(range(1, 41))
        times = sorted(m.timestamp for m in curve)     # each epoch stamped as it was logged
        assert run.info.start_time <= times[0] < times[-1] <= run.info.end_time
        assert run.data.metrics["test/error_pct"] == float(run.data.tags["seed"])
        assert [a.path for a in client.list_artifacts(run.info.run_id)] == ["a.txt"]
        assert run.data.tags["mlflow.note.content"] == "a test job"
    assert not list(tmp_path.glob(f"job*/{RUN_FILE}"))   # closed runs leave no marker


@pytest.mark.slow
def test_a_killed_job_s_next_attempt_continues_its_run(tmp_path):
    killed = write(tmp_path, 0, 3, "kill")
    killed.communicate()
    client, runs = client_and_runs(tmp_path)
    assert [r.info.status for r in runs] == ["RUNNING"]
    left = json.loads((tmp_path / "job0" / RUN_FILE).read_text())["run_id"]
    again = write(tmp_path, 0, 5, first=4)
    assert again.wait() == 0, again.stderr.read()
    client, runs = client_and_runs(tmp_path)
    assert [(r.info.run_id, r.info.status) for r in runs] == [(left, "FINISHED")]
    curve = client.get_metric_history(left, "valid/error_pct")
    assert sorted(m.step for m in curve) == [1, 2, 3, 4, 5]


def test_a_failing_job_closes_its_run_failed_with_the_reason(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    run = Run.open(Tracking(True, "x", uri), tmp_path, "job", {}, {}, "")
    run.fail("RuntimeError: out of memory")
    found = MlflowClient(tracking_uri=uri).get_run(run.run_id)
    assert found.info.status == "FAILED"
    assert found.data.tags["failure"] == "RuntimeError: out of memory"


def test_one_failed_call_still_leaves_the_run_closed(tmp_path):
    """A metric the store refuses (not an unreachable store): the job goes on logging, and its
    run ends FINISHED, its marker gone; the failure is recorded."""
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    run = Run.open(Tracking(True, "x", uri), tmp_path, "job", {}, {}, "")
    run.log_metrics({"not a valid name!?": 1.0}, 1)
    run.log_metrics({"valid_error_pct": 2.0}, 2)
    status = run.finish({"test_error_pct": 1.0}, [])
    found = MlflowClient(tracking_uri=uri).get_run(run.run_id)
    assert found.info.status == "FINISHED" and found.data.metrics["valid/error_pct"] == 2.0
    assert status["status"] == "failed" and "Invalid" in status["error"]
    assert not (tmp_path / RUN_FILE).exists()


def test_the_runs_table_view_is_made_once_and_an_edit_kept(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    first = Run.open(Tracking(True, "x", uri), tmp_path / "a", "a", {}, {}, "")
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("x").experiment_id
    key = "mlflow.sharedViewState.table1"
    assert "selectedColumns" in json.loads(client.get_experiment(experiment).tags[key])["state"]
    client.set_experiment_tag(experiment, key, "the user's own view")
    Run.open(Tracking(True, "x", uri), tmp_path / "b", "b", {}, {}, "")
    assert client.get_experiment(experiment).tags[key] == "the user's own view"
    assert first.run_id


def test_a_password_in_the_tracking_uri_is_never_written(tmp_path, monkeypatch, caplog):
    """MLFLOW_TRACKING_URI may carry user:password@ (params.yaml may not: rectifier.config):
    metrics.json's record, the run file and the logs show the URL without it."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://jobs:s3cret@127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    run = Run.open(Tracking(True, "x", None), tmp_path, "job", {}, {}, "")
    status = run.finish({}, [])
    assert status["uri"] == "http://jobs:***@127.0.0.1:9" and status["status"] == "failed"
    assert "s3cret" not in json.dumps(status) + caplog.text
    assert "s3cret" not in "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())


def test_unreachable_store_is_reported_not_raised(tmp_path):
    (tmp_path / "file").write_text("a file, so no database can be made under it")
    uri = f"sqlite:///{tmp_path}/file/mlflow.db"
    run = Run.open(Tracking(True, "x", uri), tmp_path, "job", {}, {}, "")
    run.log_metrics({"valid_error_pct": 1.0}, 1)
    status = run.finish({}, [])
    assert set(status) == {"status", "uri", "error"}
    assert status["status"] == "failed" and status["uri"] == uri
    assert "FileExistsError" in status["error"]        # the cause, named


def test_disabled_tracking_touches_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = Run.open(Tracking(False, "x", None), tmp_path, "job", {}, {}, "")
    run.log_metrics({"valid_error_pct": 1.0}, 1)
    assert run.finish({}, []) == {"status": "disabled"}
    assert list(tmp_path.iterdir()) == []


def test_metric_names_are_grouped_as_the_ui_shows_them():
    assert [grouped(k) for k in ("train_nll", "valid_error_pct", "test_sparsity_pct_l2",
                                 "best_epoch", "wall_time_s")] == [
        "train/nll", "valid/error_pct", "test/sparsity_pct_l2", "best_epoch", "wall_time_s"]


def test_the_code_a_logged_model_ships_builds_every_network_alone(tmp_path):
    """An MLflow model ships model.CODE, not the package: those modules alone, in a process that
    cannot import the installed package, build and run each activation's network."""
    import shutil

    import rectifier
    from rectifier.model import CODE
    (tmp_path / "rectifier").mkdir()
    for name in CODE:
        shutil.copy(Path(rectifier.__file__).parent / name, tmp_path / "rectifier" / name)
    code = f"""
import os, sys
sys.path = [{str(tmp_path)!r}] + [p for p in sys.path
                                  if not os.path.isdir(os.path.join(p or ".", "rectifier"))]
import torch
import rectifier
from rectifier.model import MLP
assert rectifier.__file__.startswith({str(tmp_path)!r}), rectifier.__file__
for name in ("rectifier", "tanh", "softplus", "sigmoid", "softplus_a3"):
    logits, _ = MLP(4, (3, 3), 2, name, True, torch.Generator().manual_seed(0))(torch.ones(1, 4))
    assert logits.shape == (1, 2)
print(sorted(m for m in sys.modules if m.startswith("rectifier")))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(sorted(
        ["rectifier"] + [f"rectifier.{n[:-3]}" for n in CODE if n != "__init__.py"]))
