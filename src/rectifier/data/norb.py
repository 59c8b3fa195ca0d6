"""NORB and small NORB from their binary matrix files, downsampled to 2 x 32 x 32 in chunks.

Jittered-cluttered NORB (6 classes, the fifth object class plus "no object") has ten training
and two test files of 29,160 stereo pairs at 108x108: 8 GB as bytes, 32 GB as float32. Each file
is read a chunk of pairs at a time and each image averaged down to 32x32 (area averaging), so
memory holds one chunk of full-size pairs plus the small result (716 MB for the whole set).
Training pairs split into train and valid by a permutation drawn from `split_seed`: with
valid_size 58,428 the paper's 233,172 / 58,428, and its 58,320 test pairs. Small NORB (5
classes, 24,300 + 24,300 pairs at 96x96) is read the same way.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rectifier.data import download, norbfile
from rectifier.data.norbfile import NorbError
from rectifier.data.prepared import Arrays
from rectifier.data.registry import NorbSpec

CHUNK = 2_000            # stereo pairs per read: 47 MB at 108x108


def build(spec: NorbSpec, raw_dir: Path, data: Mapping[str, Any]) -> Arrays:
    paths = download.fetch_set(spec.name, spec.urls, spec.checksums, raw_dir, data, gunzip=False)
    x, y = _read(spec.train, paths, spec)
    x_test, y_test = _read(spec.test, paths, spec)
    if not 0 < spec.valid_size < len(y):
        raise ValueError(f"{spec.name}: valid_size {spec.valid_size} must leave training pairs "
                         f"out of {len(y)}")
    order = np.random.default_rng(spec.split_seed).permutation(len(y))
    train, valid = np.sort(order[spec.valid_size:]), np.sort(order[:spec.valid_size])
    return Arrays(x_train=x[train], y_train=y[train], x_valid=x[valid], y_valid=y[valid],
                  x_test=x_test, y_test=y_test, x_scale=1 / 255, classes=spec.classes,
                  source=spec.urls[0],
                  raw_sha256={p.name: download.digest_file(p) for p in paths.values()})


def downsample(pairs: np.ndarray, size: int) -> np.ndarray:
    """(n, 2, h, w) uint8 -> (n, 2 * size * size) uint8, each image area-averaged to size x size."""
    import torch  # here, so preparing any other data set never loads torch
    small = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(pairs).float(), size)
    return small.round().clamp(0, 255).to(torch.uint8).reshape(len(pairs), -1).numpy()


def _read(pairs: tuple[tuple[str, str], ...], paths: dict[str, Path],
          spec: NorbSpec) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for dat, cat in pairs:
        labels = norbfile.read(paths[cat])
        if labels.dtype != np.int32 or labels.ndim != 1:
            raise NorbError(f"{paths[cat]}: expected one int32 label per pair, got "
                            f"{labels.dtype} of shape {labels.shape}")
        labels = labels.astype(np.int64)
        images = []
        for header, chunk in norbfile.rows(paths[dat], CHUNK):
            if header.dtype != np.uint8 or len(header.shape) != 4 or header.shape[1] != 2:
                raise NorbError(f"{paths[dat]}: expected bytes of shape (n, 2, h, w), got "
                                f"{header.dtype} {header.shape}")
            images.append(downsample(np.array(chunk), spec.size))
        x = np.concatenate(images)
        if len(x) != len(labels):
            raise NorbError(f"{paths[cat]}: {len(labels)} labels for the {len(x)} pairs of "
                            f"{paths[dat].name}")
        bad = labels[(labels < 0) | (labels >= spec.classes)]
        if len(bad):
            raise NorbError(f"{paths[cat]}: label {bad[0]} out of range for {spec.classes} classes")
        xs.append(x)
        ys.append(labels)
    return np.concatenate(xs), np.concatenate(ys)
