"""Which data sets exist and where each comes from.

scikit-learn's embedded 8x8 digits (offline, split by a seed); IDX sets as MNIST, described by an
`IdxSpec` (params.yaml may declare more under data.idx without code); and the paper's other public
sets, each with its own reader: CIFAR10 (binary version), NORB (jittered-cluttered) and small
NORB (binary matrix files), and the Amazon reviews of Blitzer et al. (2007), one data set per
domain. Their split sizes come from params.yaml (data.<name>), so tests can shrink them; their
checksums are the published ones unless data.checksums pins others.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from rectifier import paper

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
# Built-in IDX sets by name.
BUILTIN_IDX: dict[str, IdxSpec] = {"mnist": MNIST}


@dataclass(frozen=True)
class CifarSpec:
    """CIFAR10's binary version: one archive; the 50,000 training images train, the first
    `valid_size` test images validate and the rest test (the paper's 50k / 5k / 5k)."""
    name: str
    urls: tuple[str, ...]
    archive: str
    checksum: str
    valid_size: int
    classes: int = 10


@dataclass(frozen=True)
class NorbSpec:
    """NORB in its binary matrix files, (dat, cat) pairs per split, downsampled to 2 x size x
    size; `valid_size` training pairs, drawn by `split_seed`, validate."""
    name: str
    urls: tuple[str, ...]
    train: tuple[tuple[str, str], ...]
    test: tuple[tuple[str, str], ...]
    checksums: Mapping[str, str]
    classes: int
    valid_size: int
    split_seed: int
    size: int = 32


@dataclass(frozen=True)
class AmazonSpec:
    """One domain of the processed Amazon reviews: binary bag of words over the `vocabulary`
    most frequent terms; the labelled reviews split by `split_seed`, the unlabelled ones kept
    for pre-training."""
    name: str
    urls: tuple[str, ...]
    archive: str
    checksum: str | None            # none is published: data.checksums pins one
    domain: str
    vocabulary: int
    valid_size: int
    test_size: int
    split_seed: int
    classes: int = 2


Spec = DigitsSpec | IdxSpec | CifarSpec | NorbSpec | AmazonSpec

CIFAR10_URLS = ("https://www.cs.toronto.edu/~kriz/",)
CIFAR10_ARCHIVE = "cifar-10-binary.tar.gz"
# Of the archive as served (170,052,171 bytes; MD5 c32a1d4ab5d03f1284b67883e8d87530).
CIFAR10_CHECKSUM = "sha256:c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"

NORB_URLS = ("https://cs.nyu.edu/~ylclab/data/norb-v1.0/",)
_NORB = "norb-5x{objects}x9x18x6x2x108x108-{split}-{i:02d}-{kind}.mat.gz"
NORB_TRAIN = tuple((_NORB.format(objects="46789", split="training", i=i, kind="dat"),
                    _NORB.format(objects="46789", split="training", i=i, kind="cat"))
                   for i in range(1, 11))
NORB_TEST = tuple((_NORB.format(objects="01235", split="testing", i=i, kind="dat"),
                   _NORB.format(objects="01235", split="testing", i=i, kind="cat"))
                  for i in range(1, 3))
# SHA-1 of the gzipped files as served; the only published checksums found for them.
NORB_CHECKSUMS = {name: f"sha1:{digest}" for name, digest in zip(
    [name for pair in NORB_TRAIN + NORB_TEST for name in pair],
    ["38789c74538b0a3f86a4f854f0f0e3482451fd09", "b9ed38a6af5d9287872ab7064c416fd35dcea79b",
     "a559ad82aad672ea281db8c437ea89ca6a76a9fa", "192e87e661f29890e0536bc6445b8fa43fbad832",
     "4318343182078b87af6e93eb7a1a0d63b55a7af4", "ca6f995f9f5b39ae614f8a355a70d53bf1ce4dff",
     "32e193bb7234de588b67592ce04c57cb5b36412a", "2353025bfcf02ec6fd91171fcf1f964c2ff1f00b",
     "0669b2942215f05c33d7be07df352d96b5a4bbe3", "931f63df18ec27e18a3859e35953a6f2a6478b11",
     "779bf6ce2e69cc8cabaf0a1716e6528313c250b0", "48b91f77aa94dfbd04ccf57b753e4cd42d0631cf",
     "ef6410b90cae2d11a4609787806ae44cb2bbe719", "f29cd673bd9840abf0fecd68a4d328b698f50cfa",
     "73302e20486b64824e29a907ec7a353c14c12215", "d3bc1d9111404d683b8ac6b7adb7e4fa972b765f",
     "26ad80a8b99283804ab69207f81ff902343037b3", "801d3b16f7813a9e383507a933b1d8a292f3722b",
     "f9d53d3cb99188b085ce304f826c95f1e3dc8e14", "1496bce011b0435da3f54e50560b66abfda9824e",
     "4a2a765a8a351e0c005aef54cf320ca53b04d50c", "ba6e05ca90b151997d3fca7082e7a6bd3a470fd4",
     "79e037950a5423fb126685705b4dfb874ca471f3", "13d11d472f26492e2ee68cf1cfccc23e143a97cb"])}

SMALLNORB_URLS = ("https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/",)
_SMALL = "smallnorb-5x{objects}x9x18x6x2x96x96-{split}-{kind}.mat.gz"
SMALLNORB_TRAIN = ((_SMALL.format(objects="46789", split="training", kind="dat"),
                    _SMALL.format(objects="46789", split="training", kind="cat")),)
SMALLNORB_TEST = ((_SMALL.format(objects="01235", split="testing", kind="dat"),
                   _SMALL.format(objects="01235", split="testing", kind="cat")),)
# SHA-256 of the gzipped files as served.
SMALLNORB_CHECKSUMS = {
    SMALLNORB_TRAIN[0][0]: "5ffd6272a07d32695ee1082a26a41a93a37aab8c28da047f8c34ed348d214873",
    SMALLNORB_TRAIN[0][1]: "2784e542c1922060691090952b6cd6278879a216c90f81476f0f00256d42cdaa",
    SMALLNORB_TEST[0][0]: "cf7104eed3e51174d2f65b66d1e5878b9da233b886f161b0d88f4510ba2c7474",
    SMALLNORB_TEST[0][1]: "ecaf6d5bb8c3bc5eab9cf0258f6d2198dd474e016e374836fc097f2e5ff509ff",
}

AMAZON_URLS = ("https://www.cs.jhu.edu/~mdredze/datasets/sentiment/",)
AMAZON_ARCHIVE = "processed_acl.tar.gz"
AMAZON_DOMAINS = ("books", "dvd", "electronics", "kitchen")



def _public(name: str, data: Mapping[str, Any]) -> Spec | None:
    """The built-in spec of a paper data set other than MNIST, or None."""
    if name == "cifar10":
        return CifarSpec(name, CIFAR10_URLS, CIFAR10_ARCHIVE,
                         _pinned(data, CIFAR10_ARCHIVE, CIFAR10_CHECKSUM),
                         valid_size=data["cifar10"]["valid_size"])
    if name in ("norb", "smallnorb"):
        urls, train, test, sums, classes = (
            (NORB_URLS, NORB_TRAIN, NORB_TEST, NORB_CHECKSUMS, 6) if name == "norb" else
            (SMALLNORB_URLS, SMALLNORB_TRAIN, SMALLNORB_TEST, SMALLNORB_CHECKSUMS, 5))
        return NorbSpec(name, urls, train, test,
                        MappingProxyType({f: _pinned(data, f, c) for f, c in sums.items()}),
                        classes, **data[name])
    domain = name.removeprefix("amazon_")
    if name.startswith("amazon_") and domain in AMAZON_DOMAINS:
        return AmazonSpec(name, AMAZON_URLS, AMAZON_ARCHIVE,
                          _pinned(data, AMAZON_ARCHIVE, None), domain, **data["amazon"])
    return None


def _pinned(data: Mapping[str, Any], file_name: str, published: str | None) -> str | None:
    return data["checksums"].get(file_name, published)


PUBLIC = ("cifar10", "norb", "smallnorb", *(f"amazon_{d}" for d in AMAZON_DOMAINS))


def idx_specs(data: Mapping[str, Any]) -> dict[str, IdxSpec]:
    """Every IDX set known under params.data: the built-in ones, then those declared."""
    declared = {name: IdxSpec.from_params(name, entry) for name, entry in data["idx"].items()}
    return {**BUILTIN_IDX, **declared}


def names(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Every data set name that prepare() accepts."""
    return (DIGITS, *BUILTIN_IDX, *PUBLIC, *data["idx"])


def resolve(data: Mapping[str, Any], name: str) -> Spec:
    """The spec of `name`; ValueError naming the known sets when there is none."""
    if name == DIGITS:
        return DigitsSpec(name=DIGITS, **data["digits"])
    if paper.unavailable(name):
        raise ValueError(f"data set {name!r} is not available ({paper.unavailable(name)})")
    specs = idx_specs(data)
    spec = specs.get(name) or _public(name, data)
    if spec is None:
        raise ValueError(f"unknown data set {name!r}; known: {list(names(data))} "
                         "(declare others under data.idx in params.yaml)")
    return spec
