"""A training job logging to a real `mlflow server` on 127.0.0.1, read back through its REST API:
the run is FINISHED, each epoch's point carries its own time within the run's, the data set is
an input with its digest, and the logged model, loaded by `mlflow.pyfunc.load_model`, gives the
job's test error again on the test set."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from helpers import rectifier, write_params

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{tmp_path}/server.db",
         "--artifacts-destination", str(tmp_path / "artifacts"), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise AssertionError("mlflow server did not come up in 90 s") from None
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def get(url: str, path: str, **query) -> dict:
    from urllib.parse import urlencode
    with urllib.request.urlopen(f"{url}/api/2.0/mlflow/{path}?{urlencode(query)}") as answer:
        return json.load(answer)


def test_a_job_logs_to_a_tracking_server_as_it_runs(server, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    write_params(project, activations=["tanh"], train__max_epochs=3, tracking__uri=server)
    rectifier("prepare", "--dataset", "digits", cwd=project)
    rectifier("train", "--dataset", "digits", "--activation", "tanh", "--seed", "1",
              "--out", "job", cwd=project)
    metrics = json.loads((project / "job/metrics.json").read_text())
    assert metrics["tracking"]["status"] == "ok" and metrics["tracking"]["uri"] == server
    run_id = metrics["tracking"]["run_id"]

    run = get(server, "runs/get", run_id=run_id)["run"]
    info = run["info"]
    assert info["status"] == "FINISHED"
    points = get(server, "metrics/get-history", run_id=run_id,
                 metric_key="valid/error_pct")["metrics"]
    assert sorted(int(p["step"]) for p in points) == [1, 2, 3]
    stamps = sorted(int(p["timestamp"]) for p in points)
    assert int(info["start_time"]) <= stamps[0] < stamps[-1] <= int(info["end_time"])
    dataset = run["inputs"]["dataset_inputs"][0]["dataset"]
    assert dataset["name"] == "digits" and dataset["digest"] == metrics["data_sha256"][:36]
    assert {"test/error_pct", "valid/best_error_pct"} <= {m["key"] for m in run["data"]["metrics"]}

    # Found and loaded in a process of its own: mlflow.set_tracking_uri sets the environment
    # variable, which would send every later test's jobs to this server once it is gone.
    check = f"""
import mlflow, numpy as np
from rectifier import data
mlflow.set_tracking_uri({server!r})
models = mlflow.search_logged_models(experiment_ids=[{info["experiment_id"]!r}], output_format="list")
assert [m.source_run_id for m in models] == [{run_id!r}], models
model = mlflow.pyfunc.load_model(models[0].model_uri)
splits = data.load({str(project / "data/digits/prepared.npz")!r})
print(repr(float(100 * np.mean(model.predict(splits.x_test) != splits.y_test))))
"""
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    error = float(loaded.stdout.strip().splitlines()[-1])
    assert error == pytest.approx(metrics["test_error_pct"], abs=1e-9)
    assert "MLFLOW_TRACKING_URI" not in os.environ
