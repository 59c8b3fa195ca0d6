"""The hidden-unit non-linearities the paper compares (sigmoid is our extension), and their
derivatives for the fused SGD step.

The scaled softplus of the paper's smoothness experiment, (1/a) softplus(a x), is spelled
`softplus_a<a>` (softplus_a3: a = 3): softplus_a1 is softplus itself, and the larger a, the
closer to the rectifier (within log(2)/a everywhere).

Each derivative takes the pre-activation z and the activation h = f(z) and returns f'(z) as
torch's own backward computes it, so the fused step and autograd agree to rounding.
"""
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .names import sharpness

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
    a = sharpness(name)
    if a is not None and name != "softplus":
        # torch's softplus with beta is exactly (1/beta) log(1 + e^(beta x)), linear above
        # beta x > 20.
        return lambda x: F.softplus(x, beta=a, threshold=SOFTPLUS_THRESHOLD)
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; known: {sorted(ACTIVATIONS)} and "
                         "softplus_a<a>, the scaled softplus (1/a) softplus(a x)") from None


def derivative(name: str) -> Derivative:
    activation(name)      # the same error for an unknown name
    a = sharpness(name)
    if a is not None and name != "softplus":
        return lambda z, h: torch.where(a * z > SOFTPLUS_THRESHOLD, 1.0, torch.sigmoid(a * z))
    return DERIVATIVES[name]


def sign_pattern(units: int) -> torch.Tensor:
    """The paper's sign trick: the second half of a rectifier layer's units output -max(0, x),
    so that the layer's outputs are centred, as a tanh layer's are."""
    signs = torch.ones(units)
    signs[units // 2:] = -1.0
    return signs
