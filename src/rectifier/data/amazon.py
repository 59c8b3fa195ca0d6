"""Amazon reviews of Blitzer et al. (2007), processed version, one data set per domain.

processed_acl.tar.gz holds processed_acl/<domain>/{positive,negative,unlabeled}.review; each line
is one review as `term:count` pairs and a final `#label#:positive|negative`. The archive is read
member by member, never unpacked. As the paper did for its review data: a binary bag of words over
the `vocabulary` most frequent terms, counted as document frequency over the training and
unlabelled reviews (never the held-out ones; ties broken alphabetically). The 2,000 labelled
reviews are permuted by `split_seed`: `test_size` test, `valid_size` validate, the rest train.
The unlabelled reviews are stored beside the splits for the auto-encoders' pre-training.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rectifier.data import archive, download
from rectifier.data.prepared import Arrays
from rectifier.data.registry import AmazonSpec

LABELS = {"negative": 0, "positive": 1}
PARTS = ("positive", "negative", "unlabeled")
COUNT = re.compile("[0-9]+")


class ReviewError(ValueError):
    """A .review file is malformed; the message names the file and line."""


def build(spec: AmazonSpec, raw_dir: Path, data: Mapping[str, Any]) -> Arrays:
    tarball = download.fetch_set(spec.name, spec.urls, {spec.archive: spec.checksum}, raw_dir,
                                 data, gunzip=False)[spec.archive]
    wanted = {f"processed_acl/{spec.domain}/{part}.review": part for part in PARTS}
    reviews = {}
    for name, blob in archive.files(tarball):
        if name in wanted:
            reviews[wanted[name]] = parse(blob, f"{tarball}:{name}")
    missing = [name for name, part in wanted.items() if part not in reviews]
    if missing:
        raise ReviewError(f"{tarball}: no {', '.join(missing)} in the archive")
    labelled = []
    for part in ("positive", "negative"):
        for number, (terms, label) in enumerate(reviews[part], 1):
            if label not in (-1, LABELS[part]):
                raise ReviewError(f"{tarball}: review {number} of {part}.review is labelled "
                                  f"{label}, not {part}")
            labelled.append((terms, LABELS[part]))
    held = spec.valid_size + spec.test_size
    if not 0 < held < len(labelled):
        raise ValueError(f"{spec.name}: valid_size + test_size = {held} must leave training "
                         f"reviews out of {len(labelled)}")
    order = np.random.default_rng(spec.split_seed).permutation(len(labelled))
    test, valid, train = (order[:spec.test_size], order[spec.test_size:held], order[held:])
    unlabelled = [terms for terms, _ in reviews["unlabeled"]]
    terms = vocabulary([labelled[i][0] for i in train] + unlabelled, spec.vocabulary)

    def split(indices):
        return (bag_of_words([labelled[i][0] for i in indices], terms),
                np.array([labelled[i][1] for i in indices], dtype=np.int64))

    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = map(split, (train, valid, test))
    return Arrays(x_train=x_train, y_train=y_train, x_valid=x_valid, y_valid=y_valid,
                  x_test=x_test, y_test=y_test, x_scale=1.0, classes=spec.classes,
                  source=spec.urls[0] + spec.archive,
                  raw_sha256={spec.archive: download.digest_file(tarball)},
                  x_unlabelled=bag_of_words(unlabelled, terms))


def parse(blob: bytes, where: str) -> list[tuple[set[str], int]]:
    """(terms present, label) per review line; the label is -1 where none is given. Tokens are
    separated by single spaces; a term may itself hold ':' (the count follows the last one)."""
    reviews = []
    for number, line in enumerate(blob.split(b"\n"), 1):
        tokens = [t for t in line.rstrip(b"\r").split(b" ") if t]
        if not tokens:
            continue
        terms, label = set(), -1
        for token in tokens:
            term, colon, count = token.decode("utf-8", "surrogateescape").rpartition(":")
            if not colon or not term:
                raise ReviewError(f"{where}, line {number}: {token!r} is not term:count")
            if term == "#label#":
                if count not in LABELS:
                    raise ReviewError(f"{where}, line {number}: label {count!r} is not one of "
                                      f"{sorted(LABELS)}")
                label = LABELS[count]
            elif not COUNT.fullmatch(count) or int(count) < 1:
                raise ReviewError(f"{where}, line {number}: count {count!r} of {term!r} is not "
                                  "a positive whole number")
            else:
                terms.add(term)
        reviews.append((terms, label))
    return reviews


def vocabulary(documents: list[set[str]], size: int) -> dict[str, int]:
    """The `size` terms in most documents (ties alphabetical), each with its column."""
    frequency = Counter(term for document in documents for term in document)
    ranked = sorted(frequency, key=lambda term: (-frequency[term], term))[:size]
    return {term: column for column, term in enumerate(ranked)}


def bag_of_words(documents: list[set[str]], terms: dict[str, int]) -> np.ndarray:
    """Binary (document, term) presence, uint8."""
    x = np.zeros((len(documents), len(terms)), dtype=np.uint8)
    for row, document in enumerate(documents):
        x[row, [terms[t] for t in document if t in terms]] = 1
    return x
