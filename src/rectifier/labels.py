"""Fewer labels (the paper's Figure 4): the class-balanced subset of the training examples that
fine-tuning sees when `train.label_fraction` is below 1. Pre-training still sees every training
input; validation and test sets stay whole."""
from __future__ import annotations

import numpy as np


def labelled_subset(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted indices of `fraction` of the examples, taken from each class in proportion to its
    size (round(fraction x its count), at least one), so the classes keep their shares. Drawn
    by the seed, one permutation per class: a smaller fraction's subset lies inside a larger
    one's, so a curve over fractions adds labels rather than changing them."""
    if not 0 < fraction <= 1:
        raise ValueError(f"label fraction {fraction} is not in (0, 1]")
    if fraction == 1:
        return np.arange(len(labels))
    rng = np.random.default_rng([seed, 0x1AB15])     # its own stream: the init keeps the seed's
    chosen = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        keep = max(1, round(fraction * len(members)))
        chosen.append(rng.permutation(members)[:keep])
    return np.sort(np.concatenate(chosen))
