"""scikit-learn's 8x8 digits: 1,797 examples, 64 features in 0..16, 10 classes; no download.

The set ships inside the scikit-learn wheel, so the default pipeline runs offline. It is split
once, shuffled by `split_seed` and stratified by class (each split keeps the class balance of
the whole): round(test_fraction * 1797) examples test, round(valid_fraction * 1797) validate,
the rest train. With params.yaml's 0.2 / 0.2 that is 1,079 train / 359 valid / 359 test.
Pixels are stored as uint8 with x_scale 1/16, so features lie in [0, 1].
"""
from __future__ import annotations

import numpy as np

from rectifier.data.prepared import Arrays
from rectifier.data.registry import DigitsSpec

SOURCE = "sklearn.datasets.load_digits"


def build(spec: DigitsSpec) -> Arrays:
    """The digits split into train/valid/test as the spec says (same seed, same split)."""
    from sklearn.datasets import load_digits  # imported here: slow, and digits only
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x, y = bunch.data.astype(np.uint8), bunch.target.astype(np.int64)  # values are whole 0..16
    n_test, n_valid = round(spec.test_fraction * len(y)), round(spec.valid_fraction * len(y))
    # Integer sizes make the counts exact, whatever rounding train_test_split would apply.
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=n_test, stratify=y, random_state=spec.split_seed)
    x_train, x_valid, y_train, y_valid = train_test_split(
        x_rest, y_rest, test_size=n_valid, stratify=y_rest, random_state=spec.split_seed)
    return Arrays(x_train=x_train, y_train=y_train, x_valid=x_valid, y_valid=y_valid,
                  x_test=x_test, y_test=y_test, x_scale=1 / 16,
                  classes=len(bunch.target_names), source=SOURCE)
