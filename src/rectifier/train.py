"""Supervised training as the paper: plain minibatch SGD at a constant learning rate on the
negative log-likelihood plus the L1 activation penalty; early stopping on validation error,
keeping the best epoch's weights. A run whose loss stops being finite ends there, diverged, with
the reason kept: a candidate learning rate too large for its network, which selection skips.

Two engines run the SGD step (`train.engine`): `fused` (rectifier.fused, by hand, the default) and
`autograd` (`AutogradStep` below, torch.optim.SGD on autograd's gradients), the reference a
reader checks against the paper. They compute the same updates (tests/test_fused.py).

A checkpoint is written atomically after every epoch; a job started again with the same
fingerprint resumes from it and ends exactly where an uninterrupted run would, because every
epoch's shuffling is drawn from its own generator seeded by (seed, epoch). For the same reason a
finished run given a larger budget (max_epochs, patience) continues from its last epoch.
"""
from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import resume
from .config import Train
from .fused import FusedStep
from .sparsity import LayerMeter, l1_penalty

log = logging.getLogger("rectifier.train")


@dataclass
class State:
    """Everything a resumed run needs; plain tensors and numbers, so weights_only loading works."""
    epoch: int = 0
    best_epoch: int = 0
    best_valid_error: float = float("inf")
    bad_epochs: int = 0
    best_model: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    diverged: str = ""          # why the loss stopped being finite; empty while it is finite


def fit(model: torch.nn.Module, train: tuple, valid: tuple, cfg: Train, seed: int,
        checkpoint: Path, fingerprint: str,
        on_epoch: Callable[[dict], None] | None = None) -> tuple[State, str]:
    """Train until early stopping or max_epochs; return the final state and why it stopped.
    `on_epoch` gets each epoch's history row once the epoch is checkpointed."""
    x, y = train
    state = _resume(checkpoint, fingerprint, model, cfg) or State()
    step = sgd_step(model, cfg)
    while state.epoch < cfg.max_epochs and state.bad_epochs < cfg.patience and not state.diverged:
        state.epoch += 1
        started = time.perf_counter()
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(
            seed * 100_003 + state.epoch)).to(x.device)
        sums = _epoch(step, model, x[order], y[order], cfg.minibatch)
        nll, l1, errors = (float(s) / len(x) for s in sums)
        valid_nll = valid_error = math.nan
        if not math.isfinite(nll + l1):
            state.diverged = f"training loss became {nll + l1}"
        else:
            valid_nll, valid_error = evaluate(model, *valid, cfg.eval_batch)
            if not math.isfinite(valid_nll):
                state.diverged = f"validation NLL became {valid_nll}"
        if state.diverged:
            state.diverged += f" at epoch {state.epoch} (train.lr={cfg.lr:g})"
            log.warning("diverged: %s; the run ends here and is not selectable", state.diverged)
            _save(checkpoint, fingerprint, model, state)
            break
        if valid_error < state.best_valid_error:
            state.best_epoch, state.best_valid_error, state.bad_epochs = state.epoch, valid_error, 0
            state.best_model = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            state.bad_epochs += 1
        state.history.append({
            "epoch": state.epoch, "train_nll": nll, "train_l1": l1,
            "train_error_pct": 100.0 * errors, "valid_nll": valid_nll,
            "valid_error_pct": valid_error, "seconds": time.perf_counter() - started})
        log.info("epoch %d: train nll %.4f, l1 %.4f, valid error %.2f%% (best %.2f%% at %d)",
                 state.epoch, nll, l1, valid_error, state.best_valid_error, state.best_epoch)
        _save(checkpoint, fingerprint, model, state)
        if on_epoch:
            on_epoch(state.history[-1])
    stopped = ("diverged" if state.diverged else
               "early_stopping" if state.bad_epochs >= cfg.patience else "max_epochs")
    return state, stopped


class AutogradStep:
    """The reference SGD step: autograd's gradients of the mean NLL plus the L1 penalty, then
    torch.optim.SGD. Called as FusedStep, with the same result."""

    def __init__(self, model: torch.nn.Module, lr: float, l1: float):
        self.model, self.l1 = model, l1
        self.optimiser = torch.optim.SGD(model.parameters(), lr=lr)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logits, codes = self.model(x)
        nll = F.cross_entropy(logits, y)
        l1 = l1_penalty(codes, self.l1)
        self.optimiser.zero_grad(set_to_none=True)
        (nll + l1).backward()
        self.optimiser.step()
        with torch.no_grad():
            return torch.stack((nll * len(x), l1 * len(x), (logits.argmax(1) != y).sum())).double()


ENGINES = {"fused": FusedStep, "autograd": AutogradStep}


def sgd_step(model: torch.nn.Module, cfg: Train):
    """The SGD step of `cfg.engine` for `model`: step(x, y) -> (summed NLL, L1, errors)."""
    return ENGINES[cfg.engine](model, cfg.lr, cfg.l1)


def _epoch(step, model, xs, ys, minibatch: int) -> torch.Tensor:
    """One pass over pre-shuffled data; returns summed NLL, summed L1 and the error count.
    Slicing contiguous tensors (no DataLoader) and summing on the device (no sync per step)."""
    model.train()
    sums = torch.zeros(3, dtype=torch.float64, device=xs.device)
    steps = range(0, len(xs), minibatch)
    for i in tqdm(steps, leave=False, disable=not sys.stderr.isatty(), unit="step"):
        sums += step(xs[i:i + minibatch], ys[i:i + minibatch])
    return sums.cpu()


@torch.no_grad()
def evaluate(model, x, y, batch: int, meters: list[LayerMeter] | None = None) -> tuple[float, float]:
    """Mean NLL and error (%) on (x, y); feeds each hidden layer's codes to `meters` if given."""
    model.eval()
    nll, errors = 0.0, 0
    for i in range(0, len(x), batch):
        logits, codes = model(x[i:i + batch])
        nll += float(F.cross_entropy(logits, y[i:i + batch], reduction="sum"))
        errors += int((logits.argmax(1) != y[i:i + batch]).sum())
        for meter, h in zip(meters or (), codes):
            meter.update(h)
    return nll / len(x), 100.0 * errors / len(x)


def _save(path: Path, fingerprint: str, model, state: State) -> None:
    # Plain SGD keeps no state of its own: the weights and the schedule are all a resume needs.
    resume.save(path, fingerprint, {"model": model.state_dict(), **state.__dict__})


def _reachable(state: State, cfg: Train) -> bool:
    """Whether a run with this budget would reach `state` without stopping before it: only then is
    continuing from it the same as running with this budget from the start."""
    best, bad = float("inf"), 0
    # Every epoch before the saved one must have let the run go on. The saved epoch has a row,
    # except when it diverged: then every row is such an epoch.
    for row in state.history if state.diverged else state.history[:-1]:
        best, bad = (row["valid_error_pct"], 0) if row["valid_error_pct"] < best else (best, bad + 1)
        if bad >= cfg.patience:
            return False
    return state.epoch <= cfg.max_epochs


def _resume(path: Path, fingerprint: str, model, cfg: Train) -> State | None:
    saved = resume.load(path, fingerprint)
    if saved is None:
        return None
    model_state = saved.pop("model")
    state = State(**saved)
    if not _reachable(state, cfg):
        log.warning("%s went past where max_epochs=%d, patience=%d stop: starting afresh",
                    path, cfg.max_epochs, cfg.patience)
        return None
    model.load_state_dict(model_state)
    device = next(model.parameters()).device
    state.best_model = {k: v.to(device) for k, v in state.best_model.items()}
    log.info("resuming from %s after epoch %d", path, state.epoch)
    return state
