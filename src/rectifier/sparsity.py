"""Measures of a hidden layer's code and the L1 activation penalty: pure tensor math.

`h` is one layer's activations for a batch, shape (examples, units), taken before the sign
trick (which flips signs and so changes neither zeros nor magnitudes).
"""
from dataclasses import dataclass

import torch


def l1_penalty(hiddens: list[torch.Tensor], coefficient: float) -> torch.Tensor:
    """coefficient x sum over hidden units of |h|, averaged over the examples of the minibatch."""
    return coefficient * sum(h.abs().sum(dim=1).mean() for h in hiddens)


@dataclass
class LayerMeter:
    """Accumulates one layer's measures over batches, so a large test set never has to be held."""
    zeros: int = 0
    count: int = 0
    total: float = 0.0
    alive: torch.Tensor | None = None    # units seen non-zero at least once

    def update(self, h: torch.Tensor) -> None:
        self.zeros += int((h == 0).sum())
        self.count += h.numel()
        self.total += float(h.sum(dtype=torch.float64))
        seen = (h != 0).any(dim=0)
        self.alive = seen if self.alive is None else self.alive | seen

    def result(self) -> dict[str, float]:
        examples = self.count // self.alive.numel()
        return {
            "sparsity_pct": 100.0 * self.zeros / self.count,
            "dead_units": int((~self.alive).sum()),
            "mean_activation": self.total / self.count,
            "units": int(self.alive.numel()),
            "examples": examples,
        }
