"""What a job asks of the scheduler: its memory (Snakemake's `mem_mb`, so that `--resources` and
cluster executors place jobs by memory) and its wall time (`runtime`, minutes: SLURM's time
limit).

A training job holds the prepared splits as float32, a shuffled copy of the training split each
epoch, and a few copies of the network's weights (the current ones, the best epoch's, the resume
state, the update's temporaries), on top of the interpreter with torch and MLflow loaded (about
360 MB here). A pre-training job also holds, for the layer it trains, the codes of the layer
below on every training input three times (the codes, their shuffled and their corrupted
copies). Each job records its peak in metrics.json (`peak_rss_mb`); tests/test_pipeline.py
checks it against what is declared.
"""
from __future__ import annotations

import math
from pathlib import Path

from .damaged import read_json

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
        meta = read_json(prepared_json, ("sizes", "unlabelled", "n_features"))
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


# Wall time. A step of minibatch SGD costs 6 flop per weight and example (forward 2, backward
# 2, update 2), an auto-encoder's 14 (its 7 products); one core ran the fused MNIST step at
# 41-52 GFLOP/s (make bench). Declared at a quarter of that, for slower cluster cores and
# small networks that run far below the machine's rate, plus MIN_RUNTIME.
DECLARED_GFLOPS = 10.0
MIN_RUNTIME = 10                 # minutes added: start-up, data, MLflow, a slow shared disk
SMALL_JOB_RUNTIME = 30           # choosing a rate, tables, report, preparing a data set


def _widths(dataset, hidden, prepared_json, classes):
    examples, inputs = shape(dataset, prepared_json)
    return examples, (inputs, *hidden, classes)


def runtime_min(dataset: str, hidden: tuple[int, ...], epochs: int,
                prepared_json: str | Path | None = None, pretraining: bool = False,
                classes: int = 10) -> int:
    """`runtime` (minutes) of a job that trains the network `hidden` for at most `epochs`
    epochs (training), or pre-trains its stack at `epochs` per layer (pretraining). Every
    example counts as a training one: an over-estimate, as a time limit should be. A job stopped
    at its limit is not lost: rerun, it resumes from its last epoch."""
    examples, sizes = _widths(dataset, hidden, prepared_json, classes)
    if pretraining:
        flop = sum(14 * a * b for a, b in zip(sizes[:-2], sizes[1:-1])) * examples * epochs
    else:
        flop = 6 * sum(a * b for a, b in zip(sizes, sizes[1:])) * examples * epochs
    return MIN_RUNTIME + math.ceil(flop / (DECLARED_GFLOPS * 1e9) / 60)
