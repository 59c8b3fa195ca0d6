"""MLflow, the window onto the result files: one run per job (training and pre-training), open for
as long as the job runs.

A job opens its run when it starts, logs each epoch as the epoch ends (so the points carry their
real times and the run its true duration), and closes it FINISHED with the final metrics, the
files, the data set as an input and, for a training job, the network as an MLflow model; or
FAILED with the reason. A job killed mid-run leaves its run RUNNING and its id in the job folder
(mlflow_run.json): the next attempt reopens that run and goes on logging into it. Metric names
are grouped as the UI shows them (train/, valid/, test/).

The files stay the truth: every call to the store is guarded, and a store that fails or cannot be
reached costs the job nothing but the window (printed once, recorded under `tracking` in
metrics.json). After its first failure the job asks the store nothing more, and a tracking
server's HTTP calls give up within seconds rather than MLflow's four minutes of retries, so a dead
server never holds a job up. Parallel jobs share one sqlite store: writers lock it and two jobs creating its
schema at once corrupt its migration, so each call holds a file lock beside the database, and
transient failures are retried with backoff.
"""
from __future__ import annotations

import json
import logging
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from . import atomic
from .config import Tracking
from .damaged import DamagedFile, read_json

log = logging.getLogger("rectifier.tracking")
T = TypeVar("T")
DEFAULT_URI = "sqlite:///mlflow.db"     # MLflow's own default: mlflow.db in the working directory
ATTEMPTS = 8
# What a store says while other jobs write to it or race to create the same schema/experiment.
TRANSIENT = ("locked", "busy", "already exists", "unique constraint")
RUN_FILE = "mlflow_run.json"            # in the job folder: the run a killed attempt left open
KIND = {"mlflow.experimentKind": "custom_model_development"}    # the UI's model-training view
GROUPS = ("train", "valid", "test")
# A saved view of the runs table (the UI's Views menu; also opened by the URL ending
# #/experiments/<id>/runs?viewStateShareKey=table1): the UI shows no param or metric column by
# default, this one shows what tells runs apart and what they scored, best test error first.
# The UI fills whatever the state leaves out with its defaults.
VIEW_KEY = "table1"
VIEW_COLUMNS = [*(f"params.`{p}`" for p in ("dataset", "activation", "pretraining", "lr", "seed")),
                *(f"metrics.`{m}`" for m in ("test/error_pct", "valid/best_error_pct",
                                             "test/sparsity_pct_mean", "best_epoch")),
                "attributes.`Models`"]
# What a store that cannot be reached says (requests' and sqlite's words).
UNREACHABLE = ("max retries exceeded", "connection refused", "timed out", "connectionerror",
               "name or service not known", "unable to open database")
# MLflow's defaults retry a refused connection for about 250 s per call (7 retries, backoff 2):
# bounded here unless the user set them; a job then loses at most one call's retries.
HTTP_LIMITS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
               "MLFLOW_HTTP_REQUEST_TIMEOUT": "30"}


def redacted(uri: str) -> str:
    """`uri` without a password (MLFLOW_TRACKING_URI may carry user:password@): what
    metrics.json, the run file and the logs record."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def tracking_uri(cfg: Tracking) -> str:
    return cfg.uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI


def grouped(key: str) -> str:
    """train_nll -> train/nll, valid_error_pct -> valid/error_pct; other names as they are."""
    group, _, rest = key.partition("_")
    return f"{group}/{rest}" if group in GROUPS and rest else key


class Run:
    """One job's MLflow run. Every method returns normally whatever the store does."""

    def __init__(self, cfg: Tracking, out: Path):
        self.cfg, self.out, self.uri = cfg, Path(out), tracking_uri(cfg)
        self.shown_uri = redacted(self.uri)     # what files and logs say: no password
        self.run_id: str | None = None
        self.error: str | None = None
        self.unreachable = False
        self.client = None
        self.system = SystemSampler()
        if self.uri.startswith(("http://", "https://")):
            for key, value in HTTP_LIMITS.items():
                os.environ.setdefault(key, value)

    @classmethod
    def open(cls, cfg: Tracking, out: Path, name: str, params: dict[str, Any],
             tags: dict[str, str], description: str) -> Run:
        """Reopen the run this job's killed attempt left (its id in out/mlflow_run.json), or
        create one; log its params, tags and description."""
        run = cls(cfg, out)
        if cfg.enabled:
            run._guard(lambda: run._open(name, params, tags, description))
        return run

    def _open(self, name, params, tags, description) -> None:
        from mlflow.entities import Param, RunTag
        from mlflow.tracking import MlflowClient

        with _store_lock(self.uri):     # a new sqlite store migrates its schema here
            self.client = MlflowClient(tracking_uri=self.uri)
            self.client.search_experiments(max_results=1)
        previous = self.out / RUN_FILE
        left = self._left_open(previous)
        if left is not None:
            self.run_id = left
            self._call(lambda: self.client.update_run(left, status="RUNNING"))
            log.info("MLflow: continuing run %s of an earlier attempt", left)
        if self.run_id is None:
            experiment = self._call(self._experiment_id)
            created = self._call(lambda: self.client.create_run(experiment, run_name=name))
            self.run_id = created.info.run_id
            plist = [Param(k, str(v)) for k, v in params.items()]
            for start in range(0, len(plist), 100):              # log_batch: 100 params at most
                self._call(lambda s=start: self.client.log_batch(self.run_id,
                                                                 params=plist[s:s + 100]))
            atomic.write_json(previous, {"run_id": self.run_id, "uri": self.shown_uri})
        tags = {**tags, "mlflow.note.content": description}
        self._call(lambda: self.client.log_batch(self.run_id, tags=[
            RunTag(k, str(v)) for k, v in tags.items()]))

    def _left_open(self, previous: Path) -> str | None:
        """The run an earlier attempt of this job opened and did not close, if the store still
        has it (another store, or a run deleted since, and a new run is made)."""
        if not previous.exists():
            return None
        try:
            recorded = read_json(previous, ("run_id", "uri"))
        except DamagedFile as err:      # a pointer only: the job's run starts anew
            log.warning("%s; opening a new MLflow run instead", err)
            return None
        if recorded.get("uri") != self.shown_uri:
            return None
        try:
            found = self._call(lambda: self.client.get_run(recorded["run_id"]))
        except Exception:
            return None
        usable = found.info.lifecycle_stage == "active" and found.info.status != "FINISHED"
        return found.info.run_id if usable else None

    def log_metrics(self, values: dict[str, float], step: int) -> None:
        """Metrics at `step` (an epoch), stamped now, names grouped."""
        if self.run_id is None:
            return
        from mlflow.entities import Metric
        now = int(time.time() * 1000)
        batch = [Metric(grouped(k), float(v), now, step) for k, v in values.items()
                 if v is not None]
        self._guard(lambda: self._call(lambda: self.client.log_batch(self.run_id,
                                                                     metrics=batch)))

    def log_epoch(self, values: dict[str, float], step: int,
                  system_step: int | None = None) -> None:
        """An epoch's metrics, with the process's use of the machine since the last epoch
        (system/..., the UI's system metrics tab) at `system_step`: the job's epoch count where
        `step` restarts (each layer of a stack counts its own epochs)."""
        system = self.system.sample()
        if system_step is None or system_step == step:
            self.log_metrics({**values, **system}, step)
        else:
            self.log_metrics(values, step)
            self.log_metrics(system, system_step)

    def log_input(self, name: str, digest: str, source: str) -> None:
        """The data set the job read, by name and the digest of its prepared arrays."""
        if self.run_id is None:
            return
        from mlflow.entities import Dataset, DatasetInput, InputTag
        dataset = Dataset(name=name, digest=digest[:36], source_type="local", source=source)
        context = InputTag("mlflow.data.context", "training")
        self._guard(lambda: self._call(lambda: self.client.log_inputs(
            self.run_id, datasets=[DatasetInput(dataset, [context])])))

    def finish(self, metrics: dict[str, float], artifacts: list[Path],
               model: Path | None = None, tags: dict[str, str] | None = None) -> dict:
        """Final metrics (step 0), tags, the files, the network of checkpoint `model` as an
        MLflow model, then FINISHED. Returns what metrics.json records under `tracking`."""
        if self.run_id is not None:
            self.log_metrics(metrics, step=0)
            for key, value in (tags or {}).items():
                self._guard(lambda k=key, v=value: self._call(
                    lambda: self.client.set_tag(self.run_id, k, v)))
            for path in artifacts:
                self._guard(lambda p=path: self._call(
                    lambda: self.client.log_artifact(self.run_id, str(p))))
            if model is not None:
                self._guard(lambda: self._call(lambda: self._log_model(model)))
            # Closed whatever failed before (an unreachable store aside): a run left RUNNING
            # would never be closed, since Snakemake does not rerun a job that finished.
            if self._guard(lambda: self._call(
                    lambda: self.client.set_terminated(self.run_id, "FINISHED")), closing=True):
                (self.out / RUN_FILE).unlink(missing_ok=True)
        return self.record()

    def _log_model(self, checkpoint: Path) -> None:
        """The network as a pyfunc model from code (rectifier/mlflow_model.py) with the
        checkpoint as its artifact and, as its code, the package's modules the network needs
        (model.CODE; the whole package is over 50 files, one upload each): loading it reads the
        weights with torch.load(weights_only=True) and unpickles nothing."""
        import mlflow
        import torch

        from .model import CODE
        package = Path(__file__).resolve().parent
        mlflow.set_tracking_uri(self.uri)
        with tempfile.TemporaryDirectory() as folder, mlflow.start_run(run_id=self.run_id):
            code = Path(folder, package.name)
            code.mkdir()
            for name in CODE:
                shutil.copy(package / name, code / name)
            mlflow.pyfunc.log_model(
                name="model", python_model=str(package / "mlflow_model.py"),
                artifacts={"checkpoint": str(checkpoint)}, code_paths=[str(code)],
                pip_requirements=[f"torch=={torch.__version__.split('+')[0]}",
                                  f"mlflow=={mlflow.__version__}", "numpy"])

    def fail(self, reason: str) -> None:
        """Close the run FAILED, the reason in a tag (the job is about to raise)."""
        if self.run_id is None:
            return
        self._guard(lambda: self._call(lambda: self.client.set_tag(
            self.run_id, "failure", reason[:5000])))
        # The run file stays unless FAILED was recorded: the next attempt then reopens the run.
        if self._guard(lambda: self._call(
                lambda: self.client.set_terminated(self.run_id, "FAILED")), closing=True):
            (self.out / RUN_FILE).unlink(missing_ok=True)

    def record(self) -> dict:
        if not self.cfg.enabled:
            return {"status": "disabled"}
        if self.error is not None:
            return {"status": "failed", "uri": self.shown_uri, "error": self.error,
                    **({"run_id": self.run_id} if self.run_id else {})}
        return {"status": "ok", "uri": self.shown_uri, "run_id": self.run_id}

    def _guard(self, action: Callable[[], Any], closing: bool = False) -> bool:
        """Run `action`; True if it succeeded. A failure is recorded, printed, and swallowed:
        any failure of the store must not cost the job its results. Once the store proved
        unreachable it is not asked again (each call would wait out its own retries), except to
        close the run."""
        if self.unreachable and not closing:
            return False
        try:
            action()
            return True
        except Exception as err:
            message = f"{type(err).__name__}: {err}".splitlines()[0]
            secret = urlsplit(self.uri).password
            message = (message.replace(secret, "***") if secret else message)[:500]
            log.error("MLflow tracking at %s failed; the job goes on, its result files "
                      "complete: %s", self.shown_uri, message)
            self.error = self.error or message
            self.unreachable = self.unreachable or any(
                s in message.lower() for s in UNREACHABLE)
            return False

    def _call(self, call: Callable[[], T]) -> T:
        with _store_lock(self.uri):
            return _retry(call)

    def _experiment_id(self) -> str:
        found = self.client.get_experiment_by_name(self.cfg.experiment)
        if found is None:
            return self.client.create_experiment(self.cfg.experiment, tags={**KIND, **view()})
        # An older experiment gets what it lacks; a view the user has edited is left alone.
        for key, value in {**KIND, **view()}.items():
            if key not in found.tags or (key in KIND and found.tags[key] != value):
                self.client.set_experiment_tag(found.experiment_id, key, value)
        return found.experiment_id


def view() -> dict[str, str]:
    """The runs table's saved view, as the experiment tag the UI reads it from: an envelope
    (name, times in ms) around the view's state as a JSON string."""
    state = {"selectedColumns": VIEW_COLUMNS, "orderByKey": "metrics.`test/error_pct`",
             "orderByAsc": True}
    now = int(time.time() * 1000)
    envelope = {"name": "Table 1: test error by configuration", "createdAt": now,
                "updatedAt": now, "state": json.dumps(state)}
    return {f"mlflow.sharedViewState.{VIEW_KEY}": json.dumps(envelope)}


class SystemSampler:
    """What the job's process used since the previous sample: CPU (100 = one core busy), its
    resident memory, the machine's memory in use and, on CUDA, the GPU memory torch holds."""

    def __init__(self):
        import psutil
        self.process = psutil.Process()
        self.process.cpu_percent()          # the first reading starts the interval

    def sample(self) -> dict[str, float]:
        import psutil
        import torch
        values = {"system/cpu_utilization_percentage": self.process.cpu_percent(),
                  "system/process_memory_rss_megabytes": self.process.memory_info().rss / 2 ** 20,
                  "system/system_memory_usage_percentage": psutil.virtual_memory().percent}
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            values["system/gpu_memory_allocated_megabytes"] = torch.cuda.memory_allocated() / 2 ** 20
        return values


def _store_lock(uri: str):
    """An exclusive lock for a sqlite store, so that one job at a time writes to it."""
    if not uri.startswith("sqlite:///"):
        return nullcontext()
    from filelock import FileLock
    return FileLock(f"{uri.removeprefix('sqlite:///')}.lock", timeout=600)


def _retry(call: Callable[[], T]) -> T:
    """Retry a store call: sqlite answers 'database is locked' while another job writes, and
    two jobs creating the schema or the experiment at once make one of them fail once."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return call()
        except Exception as err:
            if attempt == ATTEMPTS or not any(t in str(err).lower() for t in TRANSIENT):
                raise
            delay = min(0.2 * 2 ** attempt, 5.0) * (0.5 + random.random())
            log.warning("MLflow call failed (%s), retry %d/%d in %.1fs",
                        str(err).splitlines()[0][:200], attempt, ATTEMPTS - 1, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")
