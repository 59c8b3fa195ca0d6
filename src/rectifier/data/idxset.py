"""An IDX data set (MNIST or one declared in params.yaml): fetch its four files, read, split.

The test files give the test split. The training files give train and validation: the last
`valid_size` examples validate and the rest train, in file order (for MNIST the paper's
50,000 / 10,000 / 10,000). Pixels stay uint8 with x_scale 1/255.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rectifier.data import download, idx
from rectifier.data.prepared import Arrays
from rectifier.data.registry import FILE_KEYS, IdxSpec


def build(spec: IdxSpec, raw_dir: Path, data: Mapping[str, Any]) -> Arrays:
    """Fetch (or reuse) the verified raw files under raw_dir and split them."""
    fetched = download.fetch_set(spec.name, spec.urls,
                                 {spec.files[key]: spec.sha256[key] for key in FILE_KEYS},
                                 raw_dir, data)
    paths = {key: fetched[spec.files[key]] for key in FILE_KEYS}
    x_train, y_train = idx.read_examples(paths["train_images"], paths["train_labels"], spec.classes)
    x_test, y_test = idx.read_examples(paths["test_images"], paths["test_labels"], spec.classes)
    cut = len(x_train) - spec.valid_size
    if cut < 1:
        raise ValueError(f"{spec.name}: valid_size {spec.valid_size} leaves no training example "
                         f"out of {len(x_train)}")
    return Arrays(x_train=x_train[:cut], y_train=y_train[:cut],
                  x_valid=x_train[cut:], y_valid=y_train[cut:],
                  x_test=x_test, y_test=y_test, x_scale=1 / 255, classes=spec.classes,
                  source=spec.urls[0],
                  raw_sha256={path.name: spec.sha256[key] for key, path in paths.items()})
