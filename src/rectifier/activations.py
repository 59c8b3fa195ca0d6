"""The hidden-unit non-linearities the paper compares (sigmoid is our extension)."""
from collections.abc import Callable

import torch
import torch.nn.functional as F

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "rectifier": torch.relu,      # max(0, x): exact zeros, hence truly sparse codes
    "tanh": torch.tanh,
    "softplus": F.softplus,       # log(1 + e^x): the smooth version of the rectifier
    "sigmoid": torch.sigmoid,
}


def activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; known: {sorted(ACTIVATIONS)}") from None


def sign_pattern(units: int) -> torch.Tensor:
    """The paper's sign trick: the second half of a rectifier layer's units output -max(0, x),
    so that the layer's outputs are centred, as a tanh layer's are."""
    signs = torch.ones(units)
    signs[units // 2:] = -1.0
    return signs
