"""Benchmark: how long one fine-tuning epoch of each data set takes on this machine, rectifier
network, minibatch 10, the engine of params.yaml (train.engine), with the data set's input size,
hidden layers (params.yaml) and training set size. A few hundred steps on random inputs are
timed (the time does not depend on the values) and scaled to a whole epoch; MNIST is the
baseline the other rows are set against.

    python benchmarks/epoch_time.py [--steps 300] [--threads 1]
"""
import argparse
import time

import torch

from rectifier import config
from rectifier.model import MLP
from rectifier.train import _epoch, sgd_step

# Data set -> (inputs, training examples, classes) as the pipeline prepares them by default.
SHAPES = {"mnist": (784, 50_000, 10), "digits": (64, 1_079, 10), "cifar10": (3072, 50_000, 10),
          "norb": (2048, 233_172, 6), "smallnorb": (2048, 20_000, 5),
          "amazon_books": (5000, 1_400, 2)}


def seconds_per_step(n_in: int, hidden, classes: int, steps: int, cfg) -> float:
    net = MLP(n_in, hidden, classes, "rectifier", True, torch.Generator().manual_seed(0))
    step = sgd_step(net, cfg)
    x = torch.rand(steps * cfg.minibatch, n_in)
    y = torch.randint(0, classes, (steps * cfg.minibatch,))
    _epoch(step, net, x[:20 * cfg.minibatch], y[:20 * cfg.minibatch], cfg.minibatch)   # warm up
    started = time.perf_counter()
    _epoch(step, net, x, y, cfg.minibatch)
    return (time.perf_counter() - started) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    params = config.load(config.ROOT / "params.yaml")
    cfg = params.train.__class__(**{**params.train.__dict__, "lr": 0.01})
    print(f"{args.steps} steps per data set, {args.threads} thread(s), minibatch {cfg.minibatch}, "
          f"{cfg.engine} engine")
    print(f"{'data set':<14}{'network':<24}{'ms/step':>9}{'s/epoch':>10}{'x MNIST':>9}")
    baseline = None
    for name, (n_in, n_train, classes) in SHAPES.items():
        hidden = params.hidden_for(name)
        step = seconds_per_step(n_in, hidden, classes, args.steps, cfg)
        epoch = step * n_train / cfg.minibatch
        baseline = baseline or epoch
        shape = "-".join(map(str, (n_in, *hidden, classes)))
        print(f"{name:<14}{shape:<24}{1000 * step:>9.2f}{epoch:>10.1f}{epoch / baseline:>9.2f}")


if __name__ == "__main__":
    main()
