"""The IDX format (as MNIST): a strict reader, and images + labels read as one set of examples.

Layout: two zero bytes, a type code, the number of dimensions, each dimension as a big-endian
int32, then the data in C order. Only type 0x08 (unsigned byte) is read: the pipeline scales
pixels by 1/255, which would be wrong for any other type. Every inconsistency is refused with the
file's name, since a silently misread file would only show up as a strange error rate.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

_UBYTE = 0x08


class IdxError(ValueError):
    """A file is not valid IDX, or images and labels do not belong together."""


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file (uint8, shaped as its header says; read-only)."""
    path = Path(path)
    blob = path.read_bytes()
    if len(blob) < 4:
        raise IdxError(f"{path}: truncated: {len(blob)} bytes, shorter than the 4-byte magic number")
    if blob[0] != 0 or blob[1] != 0:
        raise IdxError(f"{path}: bad magic number {blob[:4].hex()}: an IDX file starts with 0000")
    if blob[2] != _UBYTE:
        raise IdxError(f"{path}: unsupported IDX type code 0x{blob[2]:02x} "
                       f"(only 0x{_UBYTE:02x}, unsigned byte, is read)")
    ndim = blob[3]
    start = 4 + 4 * ndim
    if ndim == 0 or len(blob) < start:
        raise IdxError(f"{path}: truncated or bad header: {ndim} dimensions, {len(blob)} bytes")
    dims = tuple(int(d) for d in np.frombuffer(blob, dtype=">i4", count=ndim, offset=4))
    size, found = math.prod(dims), len(blob) - start
    if found < size:
        raise IdxError(f"{path}: truncated: dimensions {dims} need {size} data bytes, found {found}")
    if found > size:
        raise IdxError(f"{path}: {found - size} trailing bytes after the {size} that dimensions "
                       f"{dims} describe")
    return np.frombuffer(blob, dtype=np.uint8, offset=start).reshape(dims)


def read_examples(images: str | Path, labels: str | Path, classes: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Images flattened to (n, features) uint8, and labels as int64 in [0, classes)."""
    x, y = read_idx(images), read_idx(labels)
    if x.ndim < 2:
        raise IdxError(f"{images}: images need at least 2 dimensions, found shape {x.shape}")
    if y.ndim != 1:
        raise IdxError(f"{labels}: labels need 1 dimension, found shape {y.shape}")
    if len(x) != len(y):
        raise IdxError(f"{images} holds {len(x)} images but {labels} holds {len(y)} labels")
    if len(y) and y.max() >= classes:
        raise IdxError(f"{labels}: label {y.max()} is out of range for {classes} classes")
    return x.reshape(len(x), -1), y.astype(np.int64)
