"""prepared.npz: a data set's three splits in one file, written atomically, read back fast.

Layout (an uncompressed .npz, read with allow_pickle=False):
    x_train, x_valid, x_test   (n, features) in the source dtype (uint8 for images)
    y_train, y_valid, y_test   (n,) int64 in [0, classes)
    x_unlabelled               (optional) examples without labels, for pre-training only
    x_scale                    features = x.astype(float32) * x_scale
    classes, name              scalars
Keeping the source dtype makes MNIST's file 4x smaller than float32 and keeps the raw values.
The zip entries carry a fixed timestamp, so the same arrays always give the same bytes and the
same SHA-256 (a rerun of prepare changes nothing that DVC or a result's provenance records).
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rectifier import atomic
from rectifier.damaged import read_npz

SPLITS = ("train", "valid", "test")
ARRAYS = tuple(f"{v}_{split}" for split in SPLITS for v in "xy")


@dataclass(frozen=True, eq=False)
class Arrays:
    """A data set as its source gives it (stored dtype, unscaled): what save() writes."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    x_scale: float
    classes: int
    source: str                                   # where it came from, for prepared.json
    raw_sha256: dict[str, str] = field(default_factory=dict)  # verified raw file -> SHA-256
    x_unlabelled: np.ndarray | None = None        # extra inputs for pre-training (reviews)


@dataclass(frozen=True, eq=False)
class Splits:
    """A prepared data set ready to train on: x float32 scaled, y int64."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int
    name: str
    sha256: str                                   # of the prepared.npz bytes it was read from
    x_unlabelled: np.ndarray | None = None        # inputs without labels (pre-training only)

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]


def save(path: str | Path, name: str, arrays: Arrays) -> str:
    """Write prepared.npz atomically; return its SHA-256."""
    for split in SPLITS:
        x, y = getattr(arrays, f"x_{split}"), getattr(arrays, f"y_{split}")
        if x.ndim != 2 or len(x) != len(y):
            raise ValueError(f"{name}: {split} has x of shape {x.shape} and {len(y)} labels")
    entries = {key: np.asarray(getattr(arrays, key)) for key in ARRAYS}
    entries.update({f"y_{s}": entries[f"y_{s}"].astype(np.int64) for s in SPLITS})
    entries.update(x_scale=np.float64(arrays.x_scale), classes=np.int64(arrays.classes),
                   name=np.str_(name))
    if arrays.x_unlabelled is not None:
        entries["x_unlabelled"] = np.asarray(arrays.x_unlabelled)
    blob = _npz_bytes(entries)
    atomic.write_bytes(path, blob)
    return hashlib.sha256(blob).hexdigest()


def load(path: str | Path) -> Splits:
    """Read prepared.npz; hashing the very bytes parsed makes `sha256` exact."""
    blob = Path(path).read_bytes()
    npz = read_npz(blob, path, ARRAYS + ("x_scale", "classes", "name"),
                   "delete it and `snakemake` (or `python -m rectifier prepare`) prepares the "
                   "data set again")
    scale = np.float32(npz["x_scale"])
    keys = ARRAYS + (("x_unlabelled",) if "x_unlabelled" in npz else ())
    columns = {key: np.multiply(npz[key], scale, dtype=np.float32) if key[0] == "x"
               else npz[key] for key in keys}
    return Splits(**columns, classes=int(npz["classes"]), name=str(npz["name"]),
                  sha256=hashlib.sha256(blob).hexdigest())


def _npz_bytes(entries: dict[str, np.ndarray]) -> bytes:
    """np.savez's format, minus the wall-clock timestamps it puts in each zip entry."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for key, value in entries.items():
            # ZipInfo's default date_time is fixed (1980-01-01).
            with zf.open(zipfile.ZipInfo(f"{key}.npy"), "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.asanyarray(value), allow_pickle=False)
    return buffer.getvalue()
