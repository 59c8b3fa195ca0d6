"""A training job logging to a real `mlflow server` on 127.0.0.1, read back through its REST API:
the run is FINISHED, each epoch's point carries its own time within the run's, the data set is
an input with its digest, and the logged model, loaded by `mlflow.pyfunc.load_model`, gives the
job's test error again on the test set."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import services
from helpers import rectifier, write_params

pytestmark = pytest.mark.slow


SERVERS = {}          # url -> the server's process, for a test that kills it


@pytest.fixture
def server(tmp_path):
    with services.mlflow_server(tmp_path / "server") as (url, proc):
        SERVERS[url] = proc
        yield url
    SERVERS.pop(url, None)


def get(url: str, path: str, **query) -> dict:
    status, answer = services.request(url, path, **query)
    assert status == 200, (path, status)
    return answer


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """One tanh job logged to a server that lives while this module's tests read it: the
    server's url, the job's project folder and its metrics.json."""
    tmp = tmp_path_factory.mktemp("logged")
    with services.mlflow_server(tmp / "server") as (url, _):
        project = tmp / "project"
        project.mkdir()
        write_params(project, activations=["tanh"], train__max_epochs=3, tracking__uri=url)
        rectifier("prepare", "--dataset", "digits", cwd=project)
        rectifier("train", "--dataset", "digits", "--activation", "tanh", "--seed", "1",
                  "--out", "job", cwd=project)
        yield url, project, json.loads((project / "job/metrics.json").read_text())


def test_a_job_logs_to_a_tracking_server_as_it_runs(logged):
    server, project, metrics = logged
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
    logged = {m["key"] for m in run["data"]["metrics"]}
    assert {"test/error_pct", "valid/best_error_pct"} <= logged
    # The machine's use per epoch, in the UI's system metrics tab; where the job ran, as tags.
    cpu = get(server, "metrics/get-history", run_id=run_id,
              metric_key="system/cpu_utilization_percentage")["metrics"]
    assert sorted(int(p["step"]) for p in cpu) == [1, 2, 3]
    assert "system/process_memory_rss_megabytes" in logged
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["host"] == socket.gethostname() == metrics["host"]
    assert info["run_name"] == f"tanh none lr{metrics['lr']:g} s1 digits"   # seed before the cut

    # The runs table's saved view names columns this run has, and the UI shows them.
    experiment = get(server, "experiments/get", experiment_id=info["experiment_id"])["experiment"]
    envelope = json.loads({t["key"]: t["value"] for t in experiment["tags"]}[
        "mlflow.sharedViewState.table1"])
    columns = json.loads(envelope["state"])["selectedColumns"]
    params = {p["key"] for p in run["data"]["params"]}
    for column in columns:
        kind, _, key = column.partition(".")
        assert key.strip("`") in {"params": params, "metrics": logged,
                                  "attributes": {"Models"}}[kind], column

    # Found and loaded in a process of its own: mlflow.set_tracking_uri sets the environment
    # variable, which would send every later test's jobs to this server once it is gone. The
    # installed package is out of its reach: the model runs on the code it ships alone.
    check = f"""
import os, sys
sys.path = [p for p in sys.path if not os.path.isdir(os.path.join(p or ".", "rectifier"))]
try:
    import rectifier
    sys.exit("the package is still importable")
except ImportError:
    pass
import mlflow, numpy as np
mlflow.set_tracking_uri({server!r})
models = mlflow.search_logged_models(experiment_ids=[{info["experiment_id"]!r}], output_format="list")
assert [m.source_run_id for m in models] == [{run_id!r}], models
model = mlflow.pyfunc.load_model(models[0].model_uri)
with np.load({str(project / "data/digits/prepared.npz")!r}) as npz:     # as rectifier.data reads it
    x = np.multiply(npz["x_test"], np.float32(npz["x_scale"]), dtype=np.float32)
    print(repr(float(100 * np.mean(model.predict(x) != npz["y_test"]))))
"""
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    error = float(loaded.stdout.strip().splitlines()[-1])
    assert error == pytest.approx(metrics["test_error_pct"], abs=1e-9)
    assert "MLFLOW_TRACKING_URI" not in os.environ


def test_the_ui_opens_the_runs_table_with_its_saved_view(logged):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    server, _, metrics = logged
    experiment_id = get(server, "runs/get", run_id=metrics["tracking"]["run_id"])[
        "run"]["info"]["experiment_id"]
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1600,1000",
         "--disable-background-networking", "--virtual-time-budget=20000", "--dump-dom",
         f"{server}/#/experiments/{experiment_id}/runs?viewStateShareKey=table1"],
        capture_output=True, text=True, timeout=120).stdout
    assert "test/error_pct" in dom and "Table 1: test error by configuration" in dom


def test_a_server_that_dies_mid_job_costs_it_seconds_not_minutes(server, tmp_path):
    """MLflow's own retries wait about 250 s per call on a refused connection; a job logs once
    per epoch, so it would stall for minutes each epoch. Bounded retries, and no call after the
    first failure: the job goes on and its record names the failure."""
    code = f"""
import json, os, signal, sys, time
from pathlib import Path
from rectifier.config import Tracking
from rectifier.tracking import Run
run = Run.open(Tracking(True, "dying", {server!r}), Path({str(tmp_path)!r}), "job", {{}}, {{}}, "")
run.log_epoch({{"valid_error_pct": 9.0}}, 1)
assert run.error is None, run.error
sys.stdout.write("logged\\n"); sys.stdout.flush()
sys.stdin.readline()                  # the server is killed meanwhile
started = time.time()
for epoch in range(2, 12):
    run.log_epoch({{"valid_error_pct": 9.0 - epoch / 10}}, epoch)
record = run.finish({{"test_error_pct": 1.0}}, [])
print(json.dumps({{"seconds": time.time() - started, "record": record}}))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_HTTP")}
    job = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert job.stdout.readline().strip() == "logged"
    port = int(server.rsplit(":", 1)[1])
    os.killpg(SERVERS[server].pid, signal.SIGKILL)
    deadline = time.time() + 30
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                break
        time.sleep(0.2)
    out, err = job.communicate("go\n", timeout=200)
    assert job.returncode == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["record"]["status"] == "failed"
    assert "Connection refused" in result["record"]["error"] or "Max retries" in result["record"]["error"]
    assert result["seconds"] < 60, result      # MLflow's defaults: about 250 s per call
