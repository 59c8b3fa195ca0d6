"""One training job: data in, a folder of results out, one MLflow run.

The folder holds metrics.json (what the tables are built from), history.csv (one row per epoch)
and checkpoint.pt (the best epoch's weights with the settings that made them). While the job runs,
resume.pt holds the last epoch's state; it is removed once the results are complete.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from . import atomic, data, provenance, tracking
from .config import Params
from .model import MLP
from .sparsity import LayerMeter
from .train import evaluate, fit

log = logging.getLogger("rectifier.job")


@dataclass(frozen=True)
class Job:
    dataset: str
    activation: str
    pretraining: str
    seed: int

    @property
    def name(self) -> str:
        return f"{self.dataset}/{self.activation}/{self.pretraining}/seed{self.seed}"


def run(params: Params, job: Job, prepared: Path, out: Path) -> dict:
    """Train and measure one network; write its results; log it to MLflow. Returns the metrics."""
    started = time.time()
    if job.pretraining != "none":
        raise ValueError(f"pretraining {job.pretraining!r} is not available")
    splits = data.load(prepared)
    device = provenance.pick_device(params.device)
    torch.manual_seed(job.seed)    # the one global seed; init and shuffling use their own generators
    tensors = {k: torch.from_numpy(getattr(splits, k)).to(device)
               for k in ("x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test")}
    hidden = params.hidden_for(job.dataset)
    model = MLP(splits.x_train.shape[1], hidden, splits.classes, job.activation,
                params.train.sign_trick, torch.Generator().manual_seed(job.seed)).to(device)
    settings = {**asdict(job), "hidden": list(hidden), **asdict(params.train),
                "data_sha256": splits.sha256}
    fingerprint = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()

    out.mkdir(parents=True, exist_ok=True)
    resume = out / "resume.pt"
    state, stopped = fit(model, (tensors["x_train"], tensors["y_train"]),
                         (tensors["x_valid"], tensors["y_valid"]), params.train, job.seed,
                         resume, fingerprint)
    model.load_state_dict(state.best_model)
    meters = [LayerMeter() for _ in hidden]
    test_nll, test_error = evaluate(model, tensors["x_test"], tensors["y_test"],
                                    params.train.eval_batch, meters)
    layers = [m.result() for m in meters]
    units = sum(layer["units"] for layer in layers)
    metrics = {
        **asdict(job),
        "test_error_pct": test_error, "test_nll": test_nll,
        "valid_error_pct": state.best_valid_error, "best_epoch": state.best_epoch,
        "epochs_run": state.epoch, "stopped": stopped,
        "sparsity_pct": [layer["sparsity_pct"] for layer in layers],
        "sparsity_pct_mean": sum(l["sparsity_pct"] * l["units"] for l in layers) / units,
        "dead_units": [layer["dead_units"] for layer in layers],
        "mean_activation": [layer["mean_activation"] for layer in layers],
        "hidden": list(hidden), "init": "glorot_uniform", **asdict(params.train),
        "n_train": len(splits.y_train), "n_valid": len(splits.y_valid),
        "n_test": len(splits.y_test), "classes": splits.classes,
        "wall_time_s": time.time() - started,
        "device": device.type, "device_name": provenance.device_name(device),
        **provenance.versions(), "git_commit": provenance.git_commit(),
        "data_sha256": splits.sha256, "fingerprint": fingerprint,
    }
    checkpoint = {"model": state.best_model, "settings": settings, "params": params.raw}
    atomic.write_with(out / "checkpoint.pt", lambda handle: torch.save(checkpoint, handle))
    atomic.write_text(out / "history.csv", _csv(state.history))
    atomic.write_json(out / "metrics.json", metrics)
    metrics["tracking"] = _track(params, job, metrics, state.history, out)
    atomic.write_json(out / "metrics.json", metrics)
    resume.unlink(missing_ok=True)
    log.info("%s: test error %.2f%%, sparsity %.1f%%, %.0f s", job.name, test_error,
             metrics["sparsity_pct_mean"], metrics["wall_time_s"])
    return metrics


def _csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _track(params: Params, job: Job, metrics: dict, history: list[dict], out: Path) -> dict:
    tags = {"dataset": job.dataset, "activation": job.activation,
            "pretraining": job.pretraining, "seed": str(job.seed), "device": metrics["device"],
            "git_commit": str(metrics["git_commit"]), "data_sha256": metrics["data_sha256"],
            "results": str(out)}
    logged = {k: metrics[k] for k in ("test_error_pct", "test_nll", "best_epoch", "epochs_run",
                                      "sparsity_pct_mean", "wall_time_s")}
    logged["best_valid_error_pct"] = metrics["valid_error_pct"]   # valid_error_pct: per epoch
    for name in ("sparsity_pct", "dead_units", "mean_activation"):
        logged.update({f"{name}_l{i + 1}": v for i, v in enumerate(metrics[name])})
    run_params = {**asdict(params.train), "hidden": metrics["hidden"], **asdict(job)}
    return tracking.log_run(params.tracking, job.name, run_params, tags, history, logged,
                            [out / "metrics.json", out / "history.csv", out / "checkpoint.pt"])
