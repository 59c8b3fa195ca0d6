"""Which data sets exist and where each comes from.

Two kinds: scikit-learn's embedded 8x8 digits (offline, split by a seed), and IDX sets as MNIST,
described by an `IdxSpec`. MNIST is built in; params.yaml may declare more under data.idx
without code, and they become the same `IdxSpec`.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

# The four files of an IDX set, keyed as in params.yaml's data.idx.<name>.files.
FILE_KEYS = ("train_images", "train_labels", "test_images", "test_labels")


@dataclass(frozen=True)
class DigitsSpec:
    """sklearn.datasets.load_digits, split once into train/valid/test by split_seed."""
    name: str
    valid_fraction: float
    test_fraction: float
    split_seed: int


@dataclass(frozen=True)
class IdxSpec:
    """An IDX data set: four files fetched from `urls` (tried in order), checked by SHA-256.

    `sha256` is of each file's decompressed content, so a mirror may recompress freely.
    The last `valid_size` training examples become the validation set.
    """
    name: str
    urls: tuple[str, ...]
    files: Mapping[str, str]
    sha256: Mapping[str, str]
    classes: int
    valid_size: int

    @classmethod
    def from_params(cls, name: str, entry: Mapping[str, Any]) -> IdxSpec:
        """The spec of a set declared under data.idx (already schema-validated)."""
        return cls(name=name, urls=tuple(entry["urls"]),
                   files=MappingProxyType({k: entry["files"][k] for k in FILE_KEYS}),
                   sha256=MappingProxyType({k: entry["sha256"][k].lower() for k in FILE_KEYS}),
                   classes=entry["classes"], valid_size=entry["valid_size"])


# The paper's MNIST split (50k/10k/10k): the first 50,000 training images train, the last 10,000
# validate, and the 10,000 test images test. SHA-256 of the decompressed files as published.
MNIST = IdxSpec.from_params("mnist", {
    "urls": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
             "https://storage.googleapis.com/cvdf-datasets/mnist/",
             "http://yann.lecun.com/exdb/mnist/"],
    "files": {"train_images": "train-images-idx3-ubyte.gz",
              "train_labels": "train-labels-idx1-ubyte.gz",
              "test_images": "t10k-images-idx3-ubyte.gz",
              "test_labels": "t10k-labels-idx1-ubyte.gz"},
    "sha256": {"train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
               "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
               "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
               "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
    "classes": 10,
    "valid_size": 10_000,
})

DIGITS = "digits"
# Built-in IDX sets by name; with DIGITS these are config.BUILTIN_DATASETS.
BUILTIN_IDX: dict[str, IdxSpec] = {"mnist": MNIST}


def idx_specs(data: Mapping[str, Any]) -> dict[str, IdxSpec]:
    """Every IDX set known under params.data: the built-in ones, then those declared."""
    declared = {name: IdxSpec.from_params(name, entry) for name, entry in data["idx"].items()}
    return {**BUILTIN_IDX, **declared}


def names(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Every data set name that prepare() accepts."""
    return (DIGITS, *idx_specs(data))


def resolve(data: Mapping[str, Any], name: str) -> DigitsSpec | IdxSpec:
    """The spec of `name`; ValueError naming the known sets when there is none."""
    if name == DIGITS:
        return DigitsSpec(name=DIGITS, **data["digits"])
    specs = idx_specs(data)
    if name not in specs:
        raise ValueError(f"unknown data set {name!r}; known: {list(names(data))} "
                         "(declare others under data.idx in params.yaml)")
    return specs[name]
