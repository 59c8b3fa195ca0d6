"""MLflow, the window onto the result files: one run per job (training and pre-training).

A job logs its run once it has written its files (they stay the truth): params, the per-epoch
history (step = epoch), final metrics, tags and the files as artifacts. Parallel jobs share one
sqlite store: two of them creating its schema at once corrupt its migration, and writers lock it,
so each job logs its run holding a file lock beside the database (one run takes well under a
second). Calls that fail transiently are retried with backoff. If the store stays unreachable the
job still succeeds; the failure is printed and recorded in metrics.json.
"""
from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TypeVar

from .config import Tracking

log = logging.getLogger("rectifier.tracking")
T = TypeVar("T")
DEFAULT_URI = "sqlite:///mlflow.db"     # MLflow's own default: mlflow.db in the working directory
ATTEMPTS = 8
# What a store says while other jobs write to it or race to create the same schema/experiment.
TRANSIENT = ("locked", "busy", "already exists", "unique constraint")


def tracking_uri(cfg: Tracking) -> str:
    return cfg.uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI


def log_run(cfg: Tracking, run_name: str, params: dict[str, Any], tags: dict[str, str],
            history: list[dict], metrics: dict[str, float], artifacts: list[Path]) -> dict:
    """Log one run; return {"status": "ok", "run_id", "uri"}, or status failed/disabled."""
    if not cfg.enabled:
        return {"status": "disabled"}
    uri = tracking_uri(cfg)
    try:
        with _store_lock(uri):
            run_id = _log(uri, cfg.experiment, run_name, params, tags, history, metrics, artifacts)
    except Exception as err:  # any failure of the store must not cost the job its results
        message = f"{type(err).__name__}: {err}".splitlines()[0][:500]
        log.error("MLflow tracking at %s failed, the result files are complete: %s", uri, message)
        return {"status": "failed", "uri": uri, "error": message}
    return {"status": "ok", "uri": uri, "run_id": run_id}


def _log(uri, experiment, run_name, params, tags, history, metrics, artifacts) -> str:
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment_id = _retry(lambda: _experiment_id(client, experiment))
    run = _retry(lambda: client.create_run(experiment_id, run_name=run_name, tags=tags))
    run_id = run.info.run_id
    now = int(time.time() * 1000)
    series = [Metric(key, float(row[key]), now, int(row["epoch"]))
              for row in history for key in row if key != "epoch"]
    series += [Metric(key, float(value), now, 0) for key, value in metrics.items()]
    for start in range(0, len(series), 1000):          # log_batch takes 1000 metrics at most
        _retry(lambda start=start: client.log_batch(run_id, metrics=series[start:start + 1000]))
    plist = [Param(k, str(v)) for k, v in params.items()]
    for start in range(0, len(plist), 100):            # and 100 params
        _retry(lambda start=start: client.log_batch(run_id, params=plist[start:start + 100]))
    for path in artifacts:
        _retry(lambda path=path: client.log_artifact(run_id, str(path)))
    _retry(lambda: client.set_terminated(run_id, "FINISHED"))
    return run_id


def _store_lock(uri: str):
    """An exclusive lock for a sqlite store, so that one job at a time writes to it."""
    if not uri.startswith("sqlite:///"):
        return nullcontext()
    from filelock import FileLock
    return FileLock(f"{uri.removeprefix('sqlite:///')}.lock", timeout=600)


def _experiment_id(client, name: str) -> str:
    found = client.get_experiment_by_name(name)
    return found.experiment_id if found else client.create_experiment(name)


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
