"""Tiny files in the exact public formats of CIFAR10 (binary), NORB / small NORB (binary matrix,
gzipped) and the processed Amazon reviews, made here so the tests need no download.

Each maker returns {published file name: bytes as served} and the arrays the files hold, so a
test can check what the pipeline read against what was written.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import struct
import tarfile

import numpy as np

from rectifier.data import registry

NORB_MAGIC = {np.dtype(np.uint8): 0x1E3D4C55, np.dtype(np.int32): 0x1E3D4C54}


def pins(files: dict[str, bytes]) -> dict[str, str]:
    """data.checksums for these files: their SHA-256 as served."""
    return {name: "sha256:" + hashlib.sha256(blob).hexdigest() for name, blob in files.items()}


def tarball(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    """A .tar.gz of regular files (and symbolic links name -> target, to test refusal)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, blob in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buffer.getvalue()


def cifar10(per_batch: int = 4, test: int = 6, seed: int = 0, **extra) -> tuple[dict, dict]:
    """cifar-10-binary.tar.gz with five training batches and a test batch of random records."""
    rng = np.random.default_rng(seed)
    arrays, members = {}, {}
    for name, n in [*((f"data_batch_{i}.bin", per_batch) for i in range(1, 6)),
                    ("test_batch.bin", test)]:
        x = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        y = rng.integers(0, 10, n, dtype=np.uint8)
        arrays[name] = (x, y)
        members[f"cifar-10-batches-bin/{name}"] = np.column_stack([y, x]).tobytes()
    members["cifar-10-batches-bin/batches.meta.txt"] = b"airplane\nautomobile\n"
    members.update(extra)
    return {registry.CIFAR10_ARCHIVE: tarball(members)}, arrays


def norb_matrix(array: np.ndarray) -> bytes:
    """The NORB binary matrix format: magic, ndim, max(ndim, 3) sizes, little-endian data."""
    dims = [*array.shape, *[1] * (3 - array.ndim)]
    header = struct.pack(f"<ii{len(dims)}i", NORB_MAGIC[array.dtype], array.ndim, *dims)
    return header + array.astype(array.dtype.newbyteorder("<")).tobytes()


def norb(name: str, per_file: int = 3, seed: int = 0) -> tuple[dict, dict]:
    """Every (dat, cat) file of `name` (norb or smallnorb), gzipped, with constant-valued images
    (so their downsampled value is known), each left image's value distinct, labels in range."""
    spec_pairs, side, classes = ((registry.NORB_TRAIN + registry.NORB_TEST, 108, 6)
                                 if name == "norb" else
                                 (registry.SMALLNORB_TRAIN + registry.SMALLNORB_TEST, 96, 5))
    rng = np.random.default_rng(seed)
    files, arrays = {}, {}
    for i, (dat, cat) in enumerate(spec_pairs):
        values = rng.integers(0, 256, (per_file, 2), dtype=np.uint8)
        # Left images get distinct values (7 is prime to 256): a value names its pair.
        values[:, 0] = (7 * (np.arange(per_file) + i * per_file)) % 256
        images = np.broadcast_to(values[:, :, None, None], (per_file, 2, side, side)).copy()
        labels = rng.integers(0, classes, per_file).astype(np.int32)
        files[dat] = gzip.compress(norb_matrix(images), mtime=0)
        files[cat] = gzip.compress(norb_matrix(labels), mtime=0)
        arrays[dat] = (values, labels)
    return files, arrays


def review_line(terms: dict[str, int], label: str | None) -> str:
    pairs = [f"{term}:{count}" for term, count in terms.items()]
    return " ".join(pairs + ([f"#label#:{label}"] if label else [])) + "\n"


def amazon(domains=("books",), labelled: int = 20, unlabelled: int = 10,
           seed: int = 0) -> tuple[dict, dict]:
    """processed_acl.tar.gz: per domain, positive/negative/unlabeled.review lines of term:count.
    Positive reviews use "great", negative ones "bad", so the labels are learnable."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(30)] + ["not_bad", "very_good"]
    members, reviews = {}, {}
    for domain in domains:
        for part, label, cue in [("positive", "positive", "great"),
                                 ("negative", "negative", "bad"),
                                 ("unlabeled", "positive", "great")]:
            n = unlabelled if part == "unlabeled" else labelled
            lines = []
            for _ in range(n):
                terms = {w: int(rng.integers(1, 4)) for w in rng.choice(words, 5, replace=False)}
                terms[cue] = 1
                lines.append(review_line(terms, label))
            members[f"processed_acl/{domain}/{part}.review"] = "".join(lines).encode()
            reviews[(domain, part)] = lines
    return {registry.AMAZON_ARCHIVE: tarball(members)}, reviews
