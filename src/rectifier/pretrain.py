"""Unsupervised pre-training as the paper: a stack of denoising auto-encoders trained greedily, one
hidden layer at a time, each on the (noise-free) codes of the layers below.

Each auto-encoder corrupts its input with masking noise (each value set to 0 with probability
`pretrain.noise`), encodes it with the network's activation, and decodes with tied weights
(the transpose of the encoder's, for every activation alike) and a reconstruction unit chosen by
the range of what it reconstructs (`reconstruction()`). Its cost is the reconstruction cost plus
the L1 penalty on the code of the clean input (as the authors' library builds it, before the
noise); plain minibatch SGD at a constant learning rate, as fine-tuning, by the engine
`pretrain.engine` names: fused (rectifier.fused) or autograd (the reference below).

The sign trick in a stack (`pretrain.signed_codes`, rectifier networks with train.sign_trick):
by default as the authors' library (deepANN/ANN.py), each auto-encoder reads the signed code of
the layer below, its own code carries its layer's signs into the tied decoder, and its
reconstruction carries the signs of the layer below; the stack is then exactly the network's
hidden layers. With signed_codes false the auto-encoders see unsigned codes and the signs are
folded into the layer above at fine-tuning: a different model, not a relabelling, since the tied
decoder then reads unsigned codes.

Like training, every epoch is checkpointed atomically, and each (layer, epoch) draws its shuffle and
its noise from its own seeded generator, so a killed job resumes to the same weights.
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from . import resume
from .activations import activation, sign_pattern
from .config import Pretrain
from .fused import FusedDenoisingStep
from .names import family
from .sparsity import LayerMeter, l1_penalty

log = logging.getLogger("rectifier.pretrain")


def reconstruction(activation_name: str, layer: int, recipe: str) -> tuple[str, str]:
    """(reconstruction unit, cost) for the auto-encoder of hidden layer `layer` (0 = the first,
    which reconstructs the inputs, pixels in [0, 1]; the others reconstruct the codes below).

    rectifier, image recipe (the paper's best for images): softplus units, squared error.
    rectifier, text recipe: code clipped to [0, 1], sigmoid units, cross-entropy.
    softplus (scaled or not): non-negative inputs and codes, so as the rectifier's image recipe.
    sigmoid: inputs and codes in [0, 1]: sigmoid units, cross-entropy.
    tanh: pixels (layer 0) as sigmoid; tanh codes in [-1, 1] with tanh units, squared error.
    """
    if activation_name == "rectifier":
        return ("sigmoid", "cross_entropy") if recipe == "text" else ("softplus", "squared_error")
    if family(activation_name) == "softplus":
        return "softplus", "squared_error"
    if activation_name == "sigmoid" or layer == 0:
        return "sigmoid", "cross_entropy"
    return "tanh", "squared_error"


class DenoisingAutoEncoder(nn.Module):
    """One layer: code = activation(W x~ + b); reconstruction = unit(W^T (s_out code) + c),
    compared with s_in x, where s_out are this layer's signs and s_in those of the layer below
    (the sign trick; None without it, and s_in None for the first layer, which reads the inputs).
    s_in x is the unsigned code below: with s = +-1, (s u - x)^2 = (u - s x)^2 exactly."""

    def __init__(self, n_in: int, n_hidden: int, activation_name: str, unit: str, cost: str,
                 clip_code: bool, generator: torch.Generator,
                 signs_in: torch.Tensor | None = None, signs_out: torch.Tensor | None = None):
        super().__init__()
        self.register_buffer("signs_in", signs_in)
        self.register_buffer("signs_out", signs_out)
        self.encoder = nn.Linear(n_in, n_hidden)
        nn.init.xavier_uniform_(self.encoder.weight, generator=generator)  # as model.MLP
        nn.init.zeros_(self.encoder.bias)
        self.decoder_bias = nn.Parameter(torch.zeros(n_in))
        self.activation_name = activation_name
        self.act, self.unit, self.cost, self.clip_code = (activation(activation_name), unit,
                                                          cost, clip_code)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        code = self.act(self.encoder(x))
        return code.clamp(max=1.0) if self.clip_code else code

    def loss(self, corrupted: torch.Tensor, clean: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Reconstruction cost (summed over inputs, averaged over examples) and the code of the
        clean input, which the L1 penalty takes."""
        code = self.encode(corrupted)
        signed = code * self.signs_out if self.signs_out is not None else code
        pre = F.linear(signed, self.encoder.weight.t(), self.decoder_bias)
        target = clean * self.signs_in if self.signs_in is not None else clean
        if self.cost == "cross_entropy":
            cost = F.binary_cross_entropy_with_logits(pre, target, reduction="none")
        else:
            unit = {"softplus": F.softplus, "tanh": torch.tanh}[self.unit]
            cost = (unit(pre) - target) ** 2
        return cost.sum(dim=1).mean(), self.encode(clean)


@dataclass
class Stack:
    """The pre-trained encoders so far and the progress through the greedy schedule."""
    layer: int = 0                      # the layer being trained
    epoch: int = 0                      # epochs done in that layer
    encoders: dict = field(default_factory=dict)   # MLP state-dict keys: hidden.<i>.weight/bias
    current: dict = field(default_factory=dict)    # the state of the auto-encoder in training
    history: list[dict] = field(default_factory=list)
    scales: list[float] = field(default_factory=list)  # each finished layer's input scale
    valid_recon: list[float] = field(default_factory=list)  # each finished layer's cost on the
                                                            # validation set (selects the rate)
    diverged: str = ""                  # why a cost stopped being finite; empty while it is


def stack_signs(hidden: tuple[int, ...], activation_name: str, cfg: Pretrain, sign_trick: bool,
                device: torch.device | str = "cpu") -> list[torch.Tensor | None]:
    """Each hidden layer's signs as the auto-encoders see them: the network's (sign_pattern)
    when the stack is signed (rectifier, train.sign_trick, pretrain.signed_codes), else None."""
    signed = cfg.signed_codes and sign_trick and activation_name == "rectifier"
    return [sign_pattern(units).to(device) if signed else None for units in hidden]


def pretrain(x: torch.Tensor, hidden: tuple[int, ...], activation_name: str, cfg: Pretrain,
             seed: int, checkpoint: Path, fingerprint: str,
             signs: list[torch.Tensor | None] | None = None,
             valid: torch.Tensor | None = None,
             on_epoch: Callable[[dict], None] | None = None) -> Stack:
    """Train the stack layer by layer on the training inputs x at the one rate cfg.lr; return the
    stack, finished or diverged (`diverged` says where; the layers below are kept). `signs`: each
    layer's signs in a signed stack (stack_signs), None for an unsigned one. `valid`: inputs on
    which each finished auto-encoder's reconstruction cost is measured (Stack.valid_recon).
    `on_epoch` gets each epoch's history row once the epoch is checkpointed."""
    stack = _resume(checkpoint, fingerprint) or Stack()
    stack.encoders = {k: v.to(x.device) for k, v in stack.encoders.items()}
    sizes = (x.shape[1], *hidden)
    signs = signs or [None] * len(hidden)
    while stack.layer < len(hidden) and not stack.diverged:
        k = stack.layer
        unit, cost = reconstruction(activation_name, k, cfg.recipe)
        text = cost == "cross_entropy" and activation_name == "rectifier"
        dae = DenoisingAutoEncoder(sizes[k], sizes[k + 1], activation_name, unit, cost,
                                   clip_code=text,
                                   generator=torch.Generator().manual_seed(seed * 1000 + k),
                                   signs_in=signs[k - 1] if k else None,
                                   signs_out=signs[k]).to(x.device)
        if stack.current:
            dae.load_state_dict(stack.current)
        inputs = _codes_below(x, stack.encoders, k, activation_name, signs)
        # Text recipe: a cross-entropy target must lie in [0, 1], and a rectifier code below may
        # not. As the authors, the code below is divided by its largest value; the stack keeps
        # that scale in this layer's weights, so the network computes what the encoder did.
        scale = float(inputs.abs().max()) if text and k else 1.0
        scale = scale or 1.0        # all zero: nothing to rescale
        inputs.div_(scale)
        step = ENGINES[cfg.engine](dae, cfg.lr, cfg.l1)
        while stack.epoch < cfg.epochs:
            stack.epoch += 1
            started = time.perf_counter()
            recon, l1 = _epoch(step, inputs, cfg, seed * 100_003 + 1_009 * k + stack.epoch)
            if not (math.isfinite(recon) and math.isfinite(l1)):
                stack.diverged = (f"layer {k + 1}'s cost became {recon + l1} at epoch "
                                  f"{stack.epoch} (pretrain.lr={cfg.lr:g})")
                log.warning("diverged: %s; the stack ends here and is not selectable",
                            stack.diverged)
                _save(checkpoint, fingerprint, stack)
                return stack
            stack.history.append({"layer": k + 1, "epoch": stack.epoch, "recon_loss": recon,
                                  "l1": l1, "seconds": time.perf_counter() - started})
            log.info("layer %d epoch %d: reconstruction %.4f, l1 %.4f", k + 1, stack.epoch, recon, l1)
            stack.current = {n: t.detach().clone() for n, t in dae.state_dict().items()}
            _save(checkpoint, fingerprint, stack)
            if on_epoch:
                on_epoch(stack.history[-1])
        if valid is not None:
            below = _codes_below(valid, stack.encoders, k, activation_name, signs) / scale
            stack.valid_recon.append(reconstruction_cost(dae, below))
        stack.encoders[f"hidden.{k}.weight"] = dae.encoder.weight.detach() / scale
        stack.encoders[f"hidden.{k}.bias"] = dae.encoder.bias.detach().clone()
        stack.scales.append(scale)
        stack.layer, stack.epoch, stack.current = k + 1, 0, {}
        _save(checkpoint, fingerprint, stack)
    return stack


@torch.no_grad()
def reconstruction_cost(dae: DenoisingAutoEncoder, inputs: torch.Tensor,
                        batch: int = 1000) -> float:
    """The auto-encoder's reconstruction cost of uncorrupted `inputs` (summed over the values,
    averaged over examples): what a pre-training rate is chosen on, measured on validation."""
    total = 0.0
    for i in range(0, len(inputs), batch):
        part = inputs[i:i + batch]
        total += float(dae.loss(part, part)[0]) * len(part)
    return total / len(inputs)


class AutogradDenoisingStep:
    """The reference step: autograd's gradients of the reconstruction cost plus the L1 penalty on
    the code, then torch.optim.SGD. Returns the summed cost and L1 term, as FusedDenoisingStep."""

    def __init__(self, dae: DenoisingAutoEncoder, lr: float, l1: float):
        self.dae, self.l1 = dae, l1
        self.optimiser = torch.optim.SGD(dae.parameters(), lr=lr)

    def __call__(self, corrupted: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
        cost, code = self.dae.loss(corrupted, clean)
        l1 = l1_penalty([code], self.l1)
        self.optimiser.zero_grad(set_to_none=True)
        (cost + l1).backward()
        self.optimiser.step()
        with torch.no_grad():
            return (torch.stack((cost, l1)) * len(code)).double()


ENGINES = {"fused": FusedDenoisingStep, "autograd": AutogradDenoisingStep}


def _epoch(step, inputs: torch.Tensor, cfg: Pretrain, seed: int) -> tuple[float, float]:
    """One pass of minibatch SGD on masked inputs; the mean reconstruction cost and L1 term."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(inputs), generator=generator).to(inputs.device)
    keep = (torch.rand(inputs.shape, generator=generator) >= cfg.noise).to(inputs.device)
    clean = inputs[order]
    corrupted = clean * keep        # masking noise: each value set to 0 with probability noise
    sums = torch.zeros(2, dtype=torch.float64, device=inputs.device)
    for i in range(0, len(clean), cfg.minibatch):
        sums += step(corrupted[i:i + cfg.minibatch], clean[i:i + cfg.minibatch])
    recon, l1 = (float(s) / len(clean) for s in sums.cpu())
    return recon, l1


def _up(h: torch.Tensor, encoders: dict, k: int, act, signs) -> tuple[torch.Tensor, torch.Tensor]:
    """Layer k's code of h, and what it passes up (the code with its signs, in a signed stack)."""
    code = act(F.linear(h, encoders[f"hidden.{k}.weight"], encoders[f"hidden.{k}.bias"]))
    return code, (code * signs[k] if signs and signs[k] is not None else code)


@torch.no_grad()
def _codes_below(x: torch.Tensor, encoders: dict, layer: int, activation_name: str,
                 signs: list | None = None) -> torch.Tensor:
    """The noise-free input of layer `layer`: x passed through the trained encoders below it
    (signed codes in a signed stack)."""
    act = activation(activation_name)
    for k in range(layer):
        _, x = _up(x, encoders, k, act, signs)
    return x


@torch.no_grad()
def code_sparsity(x: torch.Tensor, encoders: dict, activation_name: str, batch: int,
                  signs: list | None = None) -> list[dict]:
    """Each layer's measures (exact sparsity, dead units, mean) on the codes of x."""
    act = activation(activation_name)
    meters = [LayerMeter() for _ in range(len(encoders) // 2)]
    for i in range(0, len(x), batch):
        h = x[i:i + batch]
        for k, meter in enumerate(meters):     # one pass up the stack per batch
            code, h = _up(h, encoders, k, act, signs)
            meter.update(code)
    return [meter.result() for meter in meters]


def fine_tuning_state(encoders: dict, signs: dict[int, torch.Tensor], signed: bool) -> dict:
    """The stack as the network's hidden layers. A signed stack already reads signed codes, as the
    network does: its encoders are the hidden layers as they are. An unsigned stack's
    auto-encoders saw unsigned codes; the network feeds layer k+1 the code of layer k times its
    signs, so layer k+1's input weights take the same signs and compute what the stack computed."""
    state = dict(encoders)
    if signed:
        return state
    for k, sign in signs.items():
        key = f"hidden.{k + 1}.weight"
        if key in state:
            state[key] = state[key] * sign.to(state[key].device)
    return state


def _save(path: Path, fingerprint: str, stack: Stack) -> None:
    resume.save(path, fingerprint, stack.__dict__)


def _resume(path: Path, fingerprint: str) -> Stack | None:
    saved = resume.load(path, fingerprint)
    if saved is None:
        return None
    log.info("resuming pre-training from %s at layer %d, epoch %d", path, saved["layer"] + 1,
             saved["epoch"])
    return Stack(**saved)
