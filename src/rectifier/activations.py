"""The hidden-unit non-linearities the paper compares (sigmoid is our extension), and their
derivatives for the fused SGD step.

Each derivative takes the pre-activation z and the activation h = f(z) and returns f'(z) as
torch's own backward computes it, so the fused step and autograd agree to rounding.
"""
from collections.abc import Callable

import torch
import torch.nn.functional as F

Fn = Callable[[torch.Tensor], torch.Tensor]
Derivative = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

ACTIVATIONS: dict[str, Fn] = {
    "rectifier": torch.relu,      # max(0, x): exact zeros, hence truly sparse codes
    "tanh": torch.tanh,
    "softplus": F.softplus,       # log(1 + e^x): the smooth version of the rectifier
    "sigmoid": torch.sigmoid,
}

SOFTPLUS_THRESHOLD = 20.0         # torch's softplus is the identity above it, and so its slope 1

DERIVATIVES: dict[str, Derivative] = {
    "rectifier": lambda z, h: (h > 0).to(h.dtype),
    "tanh": lambda z, h: 1 - h * h,
    "softplus": lambda z, h: torch.where(z > SOFTPLUS_THRESHOLD, 1.0, torch.sigmoid(z)),
    "sigmoid": lambda z, h: h * (1 - h),
}


def activation(name: str) -> Fn:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; known: {sorted(ACTIVATIONS)}") from None


def derivative(name: str) -> Derivative:
    activation(name)      # the same error for an unknown name
    return DERIVATIVES[name]


def sign_pattern(units: int) -> torch.Tensor:
    """The paper's sign trick: the second half of a rectifier layer's units output -max(0, x),
    so that the layer's outputs are centred, as a tanh layer's are."""
    signs = torch.ones(units)
    signs[units // 2:] = -1.0
    return signs
