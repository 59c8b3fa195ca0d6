"""The NORB binary matrix format: the -dat.mat and -cat.mat files of NORB and small NORB.

Header, little-endian int32s: a magic number naming the element type (0x1E3D4C55 bytes,
0x1E3D4C54 int32, ...), the number of dimensions n, then max(n, 3) sizes (unused ones are 1).
The elements follow, row-major. Files may be gzipped (as published). rows() yields the first
dimension in slices, so a file far larger than memory converts piece by piece, and checks that
the body holds exactly what the header promises.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

MAGIC = {0x1E3D4C55: np.uint8, 0x1E3D4C54: np.int32, 0x1E3D4C56: np.int16,
         0x1E3D4C51: np.float32, 0x1E3D4C53: np.float64}
_MAX_DIMS = 8


class NorbError(ValueError):
    """A NORB matrix file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Header:
    dtype: np.dtype
    shape: tuple[int, ...]


def open_file(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")


def read_header(f: BinaryIO, path: Path) -> Header:
    head = _exactly(f, 8, path, "the header")
    magic, ndim = struct.unpack("<ii", head)
    if magic not in MAGIC:
        raise NorbError(f"{path}: magic number {magic:#x} is not a NORB matrix "
                        f"(known: {', '.join(hex(m) for m in MAGIC)})")
    if not 1 <= ndim <= _MAX_DIMS:
        raise NorbError(f"{path}: {ndim} dimensions; expected 1 to {_MAX_DIMS}")
    sizes = struct.unpack(f"<{max(ndim, 3)}i", _exactly(f, 4 * max(ndim, 3), path, "the header"))
    shape = sizes[:ndim]
    if any(d < 1 for d in shape):
        raise NorbError(f"{path}: dimension sizes {shape} must be positive")
    return Header(np.dtype(MAGIC[magic]).newbyteorder("<"), tuple(shape))


def rows(path: Path, chunk: int) -> Iterator[tuple[Header, np.ndarray]]:
    """(header, array of up to `chunk` rows) in file order; NorbError when the body is short
    or longer than the header says."""
    with open_file(path) as f:
        header = read_header(f, path)
        row_shape = header.shape[1:]
        row_bytes = header.dtype.itemsize * int(np.prod(row_shape, dtype=np.int64))
        left = header.shape[0]
        while left:
            k = min(chunk, left)
            blob = _exactly(f, k * row_bytes, path,
                            f"{header.shape[0]} rows (ended after {header.shape[0] - left})")
            yield header, np.frombuffer(blob, header.dtype).reshape(k, *row_shape)
            left -= k
        if f.read(1):
            raise NorbError(f"{path}: data after the {header.shape[0]} rows the header declares")


def read(path: Path) -> np.ndarray:
    """A whole (small) matrix, as the label (-cat) files are."""
    parts = [array for _, array in rows(path, 1 << 20)]
    return np.concatenate(parts)


def _exactly(f: BinaryIO, n: int, path: Path, what: str) -> bytes:
    try:
        blob = f.read(n)
    except (EOFError, OSError, zlib.error) as err:     # BadGzipFile is an OSError
        raise NorbError(f"{path}: unreadable while reading {what}: {err}") from None
    if len(blob) != n:
        raise NorbError(f"{path}: truncated: the file ends before {what}")
    return blob
