"""The two kinds of job: data in, a folder of results out, one MLflow run each (rectifier.tracking:
opened as the job starts, one point per epoch as it ends, closed with the files and the model).

A training job's folder holds metrics.json (what the tables are built from), history.csv (one row
per epoch) and checkpoint.pt (the best epoch's weights with the settings that made them). A
pre-training job's folder holds stack.pt (the auto-encoders' encoders), metrics.json and
history.csv. resume.pt holds a job's last epoch: a killed job resumes from it. A training job keeps
it when done, so that raising train.max_epochs or train.patience later extends the run rather than
restarting it; a pre-training job removes it.
"""
from __future__ import annotations

import csv
import getpass
import hashlib
import io
import json
import logging
import resource
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from . import atomic, code, data, provenance
from .config import Params
from .damaged import DamagedFile, load_torch
from .labels import labelled_subset
from .model import MLP
from .names import (
    ALL_LABELS,
    HISTORY_COLUMNS,
    PRETRAIN_HISTORY_COLUMNS,
    TABLE1_L1,
    job_id,
    pretraining_job_id,
    run_name,
)
from .pretrain import code_sparsity, fine_tuning_state, pretrain, stack_signs
from .sparsity import LayerMeter
from .tracking import Run
from .train import evaluate, fit

log = logging.getLogger("rectifier.job")
SPLITS = ("x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test")
BUDGET = ("max_epochs", "patience")


@dataclass(frozen=True)
class Job:
    dataset: str
    activation: str
    pretraining: str
    seed: int
    lr: float                     # the rate of the job's SGD: fine-tuning's, or pre-training's
    stage: str = "train"          # train | pretrain
    l1: float = TABLE1_L1         # fine-tuning's L1 penalty (pre-training has its own)
    label_fraction: float = ALL_LABELS    # of the training labels fine-tuning sees

    @property
    def name(self) -> str:
        if self.stage == "pretrain":
            return pretraining_job_id(self.dataset, self.activation, self.lr, self.seed)
        return job_id(self.dataset, self.activation, self.pretraining, self.lr, self.seed,
                      self.l1, self.label_fraction)

    @property
    def run_name(self) -> str:
        if self.stage == "pretrain":
            return run_name(self.dataset, self.activation, "pretrain", self.lr, self.seed)
        return run_name(self.dataset, self.activation, self.pretraining, self.lr, self.seed,
                        self.l1, self.label_fraction)


def run(params: Params, job: Job, prepared: Path, out: Path, stack: Path | None = None) -> dict:
    """Train (fine-tune, from `stack` when pre-trained) and measure one network; write its
    results; log it to MLflow. Returns the metrics."""
    started = time.time()
    if (job.pretraining == "dae") != (stack is not None):
        raise ValueError(f"pretraining {job.pretraining!r} needs a pre-trained stack exactly "
                         f"when it is 'dae' (stack: {stack})")
    cfg = replace(params.train, lr=job.lr, l1=job.l1, label_fraction=job.label_fraction)
    splits, device, tensors = _load(params, job, prepared)
    labelled = labelled_subset(splits.y_train, job.label_fraction, job.seed)
    if len(labelled) < len(splits.y_train):        # fewer labels: fine-tune on a subset
        keep = torch.from_numpy(labelled).to(device)
        tensors["x_train"], tensors["y_train"] = tensors["x_train"][keep], tensors["y_train"][keep]
    remake = "delete its folder and `snakemake` pre-trains the stack again"
    pretrained = load_torch(stack, remake, map_location=device) if stack else None
    if pretrained is not None and not {"encoders", "signed"} <= set(pretrained):
        raise DamagedFile(stack, "not a stack: it lacks 'encoders' or 'signed'", remake)
    if pretrained and pretrained.get("diverged"):
        raise ValueError(f"{stack}: its pre-training diverged ({pretrained['diverged']}); "
                         "no network fine-tunes from it")
    model = initial_model(params, job, splits.n_features, splits.classes, pretrained).to(device)
    hidden = params.hidden_for(job.dataset)
    # The code is in the fingerprint too: a state saved by other code is not resumed, so a job
    # rerun after an edit (Snakemake sees the same digest, rectifier.code) trains afresh.
    settings = {**asdict(job), "hidden": list(hidden), **asdict(cfg),
                "data_sha256": splits.sha256,
                "stack_sha256": data.download.digest_file(stack) if stack else None,
                "code_sha256": code.digest("train")}
    # The stopping budget stays out of the fingerprint: fit() checks that a saved state is one a
    # run with this budget would have reached, so a longer budget continues the run.
    fingerprint = _fingerprint({k: v for k, v in settings.items() if k not in BUDGET})

    out.mkdir(parents=True, exist_ok=True)
    tags = {"pretraining": job.pretraining, "stage": "train"}
    if stack:
        tags["pretrain_run_id"] = str(_pretrain_run_id(stack))
    tracked = _open_run(params, job, out, asdict(cfg), tags, device, splits, prepared,
                        "fine-tuned from a pre-trained stack" if stack else
                        "trained from Glorot's initialisation",
                        init="dae" if stack else "glorot_uniform")
    ran = []                                        # the epochs this process runs

    def on_epoch(row: dict) -> None:
        ran.append(row)
        tracked.log_epoch(_per_epoch(row), row["epoch"])

    try:
        state, stopped = fit(model, (tensors["x_train"], tensors["y_train"]),
                             (tensors["x_valid"], tensors["y_valid"]), cfg, job.seed,
                             out / "resume.pt", fingerprint, on_epoch=on_epoch)
    except BaseException as err:        # killed by a signal too: the run says why it ended
        tracked.fail(f"{type(err).__name__}: {err}")
        raise
    if state.diverged:      # nothing to test: the run counts as infinitely bad on validation
        test_nll = test_error = valid_error = None
        measures = dict.fromkeys(("sparsity_pct", "sparsity_pct_mean", "dead_units",
                                  "mean_activation"))
    else:
        model.load_state_dict(state.best_model)
        meters = [LayerMeter() for _ in hidden]
        test_nll, test_error = evaluate(model, tensors["x_test"], tensors["y_test"],
                                        cfg.eval_batch, meters)
        valid_error, measures = state.best_valid_error, _layer_measures([m.result() for m in meters])
    metrics = {
        **asdict(job),
        "test_error_pct": test_error, "test_nll": test_nll,
        "valid_error_pct": valid_error, "best_epoch": state.best_epoch,
        "epochs_run": state.epoch, "stopped": stopped, "diverged": state.diverged or None,
        **measures,
        "hidden": list(hidden), "init": "dae" if stack else "glorot_uniform",
        **asdict(cfg),
        "n_train": len(splits.y_train), "n_labelled": len(labelled),
        "n_valid": len(splits.y_valid),
        "n_test": len(splits.y_test), "classes": splits.classes,
        **_provenance(started - _earlier_s(state.history, ran), device, splits),
        "code_sha256": settings["code_sha256"], "fingerprint": fingerprint,
    }
    checkpoint = {"model": state.best_model, "settings": settings, "params": params.raw}
    atomic.write_with(out / "checkpoint.pt", lambda handle: torch.save(checkpoint, handle))
    final = {"test_error_pct": test_error, "test_nll": test_nll, "best_epoch": state.best_epoch,
             "epochs_run": state.epoch, "valid_best_error_pct": valid_error,
             "test_sparsity_pct_mean": metrics["sparsity_pct_mean"]}
    _finish(tracked, metrics, final, "test", state.history, out, "checkpoint.pt",
            {"diverged": state.diverged} if state.diverged else {},
            model=None if state.diverged else out / "checkpoint.pt")
    if state.diverged:
        log.warning("%s: diverged (%s), %.0f s", job.name, state.diverged, metrics["wall_time_s"])
    else:
        log.info("%s: test error %.2f%%, sparsity %.1f%%, %.0f s", job.name, test_error,
                 metrics["sparsity_pct_mean"], metrics["wall_time_s"])
    return metrics


def run_pretraining(params: Params, job: Job, prepared: Path, out: Path) -> dict:
    """Pre-train the stack of denoising auto-encoders for one (data set, activation, seed) at the
    rate job.lr. A stack that diverges is written as such (not selectable, nothing fine-tunes
    from it), so the other candidate rates go on."""
    started = time.time()
    cfg = replace(params.pretrain, lr=job.lr, l1=params.pretrain_l1(job.activation))
    splits, device, tensors = _load(params, job, prepared, ("x_train", "x_valid"))
    hidden = params.hidden_for(job.dataset)
    settings = {"dataset": job.dataset, "activation": job.activation, "seed": job.seed,
                "hidden": list(hidden), **asdict(cfg),
                "sign_trick": params.train.sign_trick, "data_sha256": splits.sha256,
                "code_sha256": code.digest("pretrain")}
    fingerprint = _fingerprint(settings)
    out.mkdir(parents=True, exist_ok=True)
    resume = out / "resume.pt"
    inputs = tensors["x_train"]
    if splits.x_unlabelled is not None:     # reviews: the unlabelled ones pre-train too
        inputs = torch.cat([inputs, torch.from_numpy(splits.x_unlabelled).to(device)])
    signs = stack_signs(hidden, job.activation, cfg, params.train.sign_trick, device)
    tracked = _open_run(params, job, out, asdict(cfg), {"stage": "pretrain"}, device, splits,
                        prepared, "a stack of denoising auto-encoders")
    ran = []                                        # the epochs this process runs

    def on_epoch(row: dict) -> None:
        ran.append(row)
        tracked.log_epoch({f"train_recon_loss_l{row['layer']}": row["recon_loss"],
                           f"train_l1_l{row['layer']}": row["l1"]}, row["epoch"],
                          system_step=(row["layer"] - 1) * cfg.epochs + row["epoch"])

    try:
        stack = pretrain(inputs, hidden, job.activation, cfg, job.seed, resume, fingerprint,
                         signs, valid=tensors["x_valid"], on_epoch=on_epoch)
    except BaseException as err:
        tracked.fail(f"{type(err).__name__}: {err}")
        raise
    if stack.diverged:
        measures = {"recon_loss": None, "valid_recon_loss": None,
                    **dict.fromkeys(("sparsity_pct", "sparsity_pct_mean", "dead_units",
                                     "mean_activation"))}
    else:
        # Codes measured on the validation set: the test set stays for the fine-tuned networks.
        layers = code_sparsity(tensors["x_valid"], stack.encoders, job.activation,
                               params.train.eval_batch, signs)
        final = {row["layer"]: row["recon_loss"] for row in stack.history}
        measures = {"recon_loss": [final[k] for k in sorted(final)],
                    "valid_recon_loss": stack.valid_recon, **_layer_measures(layers)}
    metrics = {
        **asdict(job), **measures, "diverged": stack.diverged or None,
        "input_scale": stack.scales,      # text recipe: what each layer's input was divided by
        "hidden": list(hidden), **asdict(cfg),
        "n_train": len(splits.y_train), "n_pretrain": len(inputs),
        **_provenance(started - _earlier_s(stack.history, ran), device, splits),
        "code_sha256": settings["code_sha256"], "fingerprint": fingerprint,
    }
    payload = {"encoders": stack.encoders, "settings": settings,
               "signed": signs[0] is not None, "diverged": stack.diverged or None}
    atomic.write_with(out / "stack.pt", lambda handle: torch.save(payload, handle))
    final = {f"valid_recon_loss_l{i + 1}": v
             for i, v in enumerate(metrics["valid_recon_loss"] or ())}
    final["valid_sparsity_pct_mean"] = metrics["sparsity_pct_mean"]
    # Codes measured on the validation set: their per-layer measures go under valid/.
    _finish(tracked, metrics, final, "valid", stack.history, out, "stack.pt",
            {"diverged": stack.diverged} if stack.diverged else {},
            columns=PRETRAIN_HISTORY_COLUMNS)
    resume.unlink(missing_ok=True)
    if stack.diverged:
        log.warning("%s: diverged (%s), %.0f s", job.name, stack.diverged, metrics["wall_time_s"])
    else:
        log.info("%s: pre-trained %d layers, validation reconstruction %s, %.0f s", job.name,
                 len(hidden), ", ".join(f"{v:.3f}" for v in stack.valid_recon),
                 metrics["wall_time_s"])
    return metrics


def initial_model(params: Params, job: Job, n_in: int, classes: int,
                  stack: dict | None) -> MLP:
    """The network before fine-tuning: Glorot-initialised, its hidden layers replaced by the
    pre-trained stack's encoders when there is one (the output layer is always fresh)."""
    model = MLP(n_in, params.hidden_for(job.dataset), classes, job.activation,
                params.train.sign_trick, torch.Generator().manual_seed(job.seed))
    if stack is not None:
        if stack["signed"] and not model.use_signs:
            raise ValueError("the pre-trained stack was trained with the sign trick "
                             "(pretrain.signed_codes) and the network has none")
        signs = {i: model.signs(i) for i in range(len(model.hidden)) if model.use_signs}
        state = fine_tuning_state(stack["encoders"], signs, stack["signed"])
        try:
            missing, unexpected = model.load_state_dict(state, strict=False)
        except RuntimeError as err:     # layer sizes differ
            raise ValueError(f"the pre-trained stack does not fit the network: {err}") from None
        if unexpected or any(k.startswith("hidden.") for k in missing):
            raise ValueError(f"the pre-trained stack does not fit the network: missing "
                             f"{missing}, unexpected {unexpected}")
    return model


def _load(params: Params, job: Job, prepared: Path, keys: tuple[str, ...] = SPLITS):
    """The prepared splits, the device, and the arrays `keys` as tensors on it."""
    splits = data.load(prepared)
    device = provenance.pick_device(params.device)
    torch.manual_seed(job.seed)    # the one global seed; init, shuffles and noise have their own
    tensors = {k: torch.from_numpy(getattr(splits, k)).to(device) for k in keys}
    return splits, device, tensors


def _layer_measures(layers: list[dict]) -> dict:
    units = sum(layer["units"] for layer in layers)
    return {
        "sparsity_pct": [layer["sparsity_pct"] for layer in layers],
        "sparsity_pct_mean": sum(x["sparsity_pct"] * x["units"] for x in layers) / units,
        "dead_units": [layer["dead_units"] for layer in layers],
        "mean_activation": [layer["mean_activation"] for layer in layers],
    }


def _provenance(started: float, device: torch.device, splits) -> dict:
    return {"wall_time_s": time.time() - started, "peak_rss_mb": _peak_mb(),
            "device": device.type, "threads": torch.get_num_threads(),
            "device_name": provenance.device_name(device), **provenance.versions(),
            **provenance.where(),
            "git_commit": provenance.git_commit(), "data_sha256": splits.sha256}


def _earlier_s(history: list[dict], ran: list[dict]) -> float:
    """The epochs' time of a resumed job's earlier processes (every history row but the `ran`
    this one added), so that wall_time_s covers the whole job, not its last process only."""
    return sum(row["seconds"] for row in history[:len(history) - len(ran)])


def _peak_mb() -> float:
    """Peak memory of the process so far (Linux reports KiB): what rectifier.resources
    declares to the scheduler."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _fingerprint(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def _pretrain_run_id(stack: Path) -> str | None:
    """The MLflow run of the pre-training job that made `stack` (its metrics.json is beside it)."""
    try:
        return json.loads((Path(stack).parent / "metrics.json").read_text())["tracking"]["run_id"]
    except (OSError, KeyError, ValueError):
        return None


def _csv(rows: list[dict], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    # A run that diverged in its first epoch has no row: the header alone.
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else list(columns),
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _open_run(params: Params, job: Job, out: Path, knobs: dict, tags: dict,
              device: torch.device, splits, prepared: Path, what: str,
              init: str = "glorot_uniform") -> Run:
    """The job's MLflow run, opened as the job starts (or reopened after a killed attempt)."""
    hidden = list(params.hidden_for(job.dataset))
    commit = provenance.git_commit()
    tags = {"dataset": job.dataset, "activation": job.activation, "seed": str(job.seed),
            "device": device.type, "git_commit": str(commit), "data_sha256": splits.sha256,
            "results": str(out), "mlflow.user": getpass.getuser(),
            "mlflow.source.name": f"python -m rectifier {job.stage}", "mlflow.source.type": "JOB",
            **({"mlflow.source.git.commit": commit.removesuffix("-dirty")} if commit else {}),
            **{k: str(v) for k, v in provenance.where().items() if v is not None}, **tags}
    description = (f"{job.name}: a {'-'.join(map(str, hidden))} {job.activation} network on "
                   f"{job.dataset}, {what}, seed {job.seed}, learning rate {job.lr:g}. Its files "
                   f"(the truth the tables are built from): {out}/")
    tracked = Run.open(params.tracking, out, job.run_name, {
        **knobs, "hidden": hidden, "dataset": job.dataset, "activation": job.activation,
        "seed": job.seed, "pretraining": job.pretraining, "init": init}, tags, description)
    tracked.log_input(job.dataset, splits.sha256, str(prepared))
    return tracked


def _per_epoch(row: dict) -> dict:
    """A history row as MLflow metrics: train/nll, valid/error_pct, ..., train/seconds."""
    return {("train_seconds" if k == "seconds" else k): v for k, v in row.items() if k != "epoch"}


def _finish(tracked: Run, metrics: dict, final: dict, measured_on: str, history: list[dict],
            out: Path, weights: str, tags: dict, model: Path | None = None,
            columns: tuple[str, ...] = HISTORY_COLUMNS) -> None:
    """Write history.csv and metrics.json, close the MLflow run (final metrics, the files, the
    model) and record how that went. The files are complete before MLflow is asked for anything.
    `measured_on` (test, valid): where the per-layer measures were taken, their metrics' group."""
    atomic.write_text(out / "history.csv", _csv(history, columns))
    atomic.write_json(out / "metrics.json", metrics)
    for key in ("sparsity_pct", "dead_units", "mean_activation"):
        final.update({f"{measured_on}_{key}_l{i + 1}": v
                      for i, v in enumerate(metrics[key] or ())})
    final.update(wall_time_s=metrics["wall_time_s"], peak_rss_mb=_peak_mb())
    metrics["tracking"] = tracked.finish(final, [out / "metrics.json", out / "history.csv",
                                                 out / weights], model=model, tags=tags)
    metrics["peak_rss_mb"] = _peak_mb()        # MLflow's logging included
    atomic.write_json(out / "metrics.json", metrics)
