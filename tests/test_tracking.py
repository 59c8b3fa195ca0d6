"""MLflow against a real sqlite store: parallel writers lose nothing, a dead store is reported."""
import subprocess
import sys

from mlflow.tracking import MlflowClient

from rectifier.config import Tracking
from rectifier.tracking import log_run

WRITER = """
import sys
from pathlib import Path
from rectifier.config import Tracking
from rectifier.tracking import log_run
i = int(sys.argv[1])
history = [{"epoch": e, "valid_error_pct": 10.0 - e / 10, "train_nll": 1.0 / e} for e in range(1, 101)]
Path(f"a{i}.txt").write_text("artifact")
status = log_run(Tracking(True, "parallel", None), f"job{i}", {"seed": i, "lr": 0.01},
                 {"seed": str(i)}, history, {"test_error_pct": float(i)}, [Path(f"a{i}.txt")])
assert status["status"] == "ok", status
"""


def test_six_jobs_logging_at_once_lose_no_run(tmp_path):
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(i)], cwd=tmp_path,
                                stderr=subprocess.PIPE, text=True) for i in range(6)]
    errors = [w.communicate()[1] for w in writers]
    assert all(w.returncode == 0 for w in writers), errors
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    runs = client.search_runs([client.get_experiment_by_name("parallel").experiment_id])
    assert sorted(r.data.tags["seed"] for r in runs) == [str(i) for i in range(6)]
    for run in runs:
        assert run.info.status == "FINISHED"
        curve = client.get_metric_history(run.info.run_id, "valid_error_pct")
        assert sorted(m.step for m in curve) == list(range(1, 101))
        assert [a.path for a in client.list_artifacts(run.info.run_id)] == \
            [f"a{run.data.tags['seed']}.txt"]


def test_unreachable_store_is_reported_not_raised(tmp_path):
    (tmp_path / "file").write_text("a file, so no database can be made under it")
    uri = f"sqlite:///{tmp_path}/file/mlflow.db"
    status = log_run(Tracking(True, "x", uri), "job", {}, {}, [], {}, [])
    assert set(status) == {"status", "uri", "error"}
    assert status["status"] == "failed" and status["uri"] == uri
    assert "FileExistsError" in status["error"]        # the cause, named


def test_disabled_tracking_touches_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert log_run(Tracking(False, "x", None), "job", {}, {}, [], {}, []) == {"status": "disabled"}
    assert list(tmp_path.iterdir()) == []
