"""The memory a job needs, declared to the scheduler (Snakemake's `mem_mb`, so that `--resources`
and cluster executors place jobs by memory).

A training job holds the prepared splits as float32, a shuffled copy of the training split each
epoch, and a few copies of the network's weights (the current ones, the best epoch's, the resume
state, the update's temporaries), on top of the interpreter with torch and MLflow loaded (about
360 MB here). A pre-training job also holds, for the layer it trains, the codes of the layer
below on every training input three times (the codes, their shuffled and their corrupted
copies). Each job records its peak in metrics.json (`peak_rss_mb`); tests/test_pipeline.py
checks it against what is declared.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

BASE_MB = 500                    # interpreter, torch, MLflow (360 MB measured), and margin
SMALL_JOB_MB = 1000              # choosing a rate, tables, report (pandas, matplotlib)
MB = 2 ** 20

# Examples (all splits and unlabelled inputs) and input width of the built-in sets, for a plan
# made before a set is prepared; once it is, its prepared.json is read instead.
SHAPES = {"digits": (1_797, 64), "mnist": (70_000, 784), "cifar10": (60_000, 3_072),
          "norb": (349_920, 2_048), "smallnorb": (48_600, 2_048)}
AMAZON_SHAPE = (30_000, 5_000)   # the largest domain's reviews, labelled and not, at 5,000 terms
UNKNOWN_SHAPE = (100_000, 3_072)  # an IDX set not yet prepared: a generous guess


def shape(dataset: str, prepared_json: str | Path | None = None) -> tuple[int, int]:
    """(examples, inputs) of a data set: from its prepared.json when there is one."""
    if prepared_json and Path(prepared_json).exists():
        meta = json.loads(Path(prepared_json).read_text())
        return sum(meta["sizes"].values()) + meta["unlabelled"], meta["n_features"]
    if dataset.startswith("amazon_"):
        return AMAZON_SHAPE
    return SHAPES.get(dataset, UNKNOWN_SHAPE)


def network_mb(dataset: str, hidden: tuple[int, ...], prepared_json: str | Path | None = None,
               pretraining: bool = False, classes: int = 10) -> int:
    """mem_mb of a job that trains (or pre-trains) the network `hidden` on `dataset`; with no
    hidden layers, of preparing the data set."""
    examples, inputs = shape(dataset, prepared_json)
    sizes = (inputs, *hidden, classes)
    weights = sum(a * b + b for a, b in zip(sizes, sizes[1:])) * 4 / MB
    data = examples * inputs * 4 / MB
    codes = 3 * examples * max(sizes[:-1]) * 4 / MB if pretraining else 0.0
    return math.ceil(BASE_MB + 2 * data + codes + 10 * weights)
