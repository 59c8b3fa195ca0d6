"""CIFAR10 from its binary version: never a pickle, whatever the download holds.

cifar-10-binary.tar.gz unpacks (safely, see archive) to cifar-10-batches-bin/ with five training
batches and one test batch; each record is one label byte then 3,072 pixel bytes (the red, green
and blue 32x32 planes, row-major). The 50,000 training images train; the test batch's first
`valid_size` images validate and the rest test: with valid_size 5,000, the paper's 50k / 5k / 5k.
Pixels stay uint8 in the stored channel-major order, x_scale 1/255, the same preprocessing as
MNIST for every variant.
"""
from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rectifier.data import archive, download
from rectifier.data.prepared import Arrays
from rectifier.data.registry import CifarSpec

FOLDER = "cifar-10-batches-bin"
TRAIN = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST = "test_batch.bin"
RECORD = 1 + 3 * 32 * 32


class CifarError(ValueError):
    """A CIFAR10 batch file is malformed; the message names the file."""


def build(spec: CifarSpec, raw_dir: Path, data: Mapping[str, Any]) -> Arrays:
    tarball = download.fetch_set(spec.name, spec.urls, {spec.archive: spec.checksum}, raw_dir,
                                 data, gunzip=False)[spec.archive]
    digest = download.digest_file(tarball)
    # Named after the archive's content, so a different archive is never read from an old folder.
    target = raw_dir / f"unpacked-{digest[:16]}"
    for stale in raw_dir.glob("unpacked-*"):
        if stale != target:
            shutil.rmtree(stale)
    batches = archive.extract(tarball, target) / FOLDER
    parts = [read_batch(batches / name, spec.classes) for name in TRAIN]
    x_train, y_train = (np.concatenate(a) for a in zip(*parts))
    x_test, y_test = read_batch(batches / TEST, spec.classes)
    if not 0 < spec.valid_size < len(y_test):
        raise ValueError(f"{spec.name}: valid_size {spec.valid_size} must leave test images "
                         f"out of the {len(y_test)} in {TEST}")
    cut = spec.valid_size
    return Arrays(x_train=x_train, y_train=y_train, x_valid=x_test[:cut], y_valid=y_test[:cut],
                  x_test=x_test[cut:], y_test=y_test[cut:], x_scale=1 / 255,
                  classes=spec.classes, source=spec.urls[0] + spec.archive,
                  raw_sha256={spec.archive: digest})


def read_batch(path: Path, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(pixels uint8 (n, 3072), labels int64) of one batch file."""
    if not path.is_file():
        raise CifarError(f"{path}: missing from the archive")
    blob = np.fromfile(path, dtype=np.uint8)
    if len(blob) == 0 or len(blob) % RECORD:
        raise CifarError(f"{path}: {len(blob)} bytes is not a whole number of {RECORD}-byte "
                         "records (1 label byte + 3,072 pixel bytes)")
    records = blob.reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() >= classes:
        raise CifarError(f"{path}: label {labels.max()} out of range for {classes} classes")
    return records[:, 1:].copy(), labels
