"""Benchmark: one epoch of the paper's training step (minibatch 10, 784-1000-1000-1000-10, rectifier,
L1 penalty) as rectifier.train runs it, beside a plain PyTorch DataLoader loop on the same model.

    python benchmarks/train_step.py [--examples 5000] [--threads N] [--repeats 3]

Prints milliseconds per step, steps per second, the arithmetic rate, and the ratio. MNIST-shaped
random data: the timing does not depend on the pixel values.
"""
import argparse
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from rectifier.config import Train
from rectifier.model import MLP
from rectifier.sparsity import l1_penalty
from rectifier.train import _epoch

HIDDEN = (1000, 1000, 1000)


def model() -> MLP:
    return MLP(784, HIDDEN, 10, "rectifier", True, torch.Generator().manual_seed(0))


def ours(x, y, cfg) -> float:
    net = model()
    optimiser = torch.optim.SGD(net.parameters(), lr=cfg.lr)
    started = time.perf_counter()
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(1))
    _epoch(net, optimiser, x[order], y[order], cfg)
    return time.perf_counter() - started


def dataloader(x, y, cfg) -> float:
    net = model()
    optimiser = torch.optim.SGD(net.parameters(), lr=cfg.lr)
    loader = DataLoader(TensorDataset(x, y), batch_size=cfg.minibatch, shuffle=True)
    started = time.perf_counter()
    net.train()
    for xb, yb in loader:
        logits, codes = net(xb)
        loss = F.cross_entropy(logits, yb) + l1_penalty(codes, cfg.l1)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = Train(minibatch=10, lr=0.01, max_epochs=1, patience=1, l1=0.001, sign_trick=True,
                eval_batch=1000)
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(args.examples, 784, generator=g), torch.randint(0, 10, (args.examples,), generator=g)
    steps = -(-args.examples // cfg.minibatch)
    weights = sum(a * b for a, b in zip((784, *HIDDEN), (*HIDDEN, 10)))
    flop_per_step = 6 * weights * cfg.minibatch     # forward 2, backward 4 per weight and example
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.examples} examples, "
          f"{steps} steps of minibatch {cfg.minibatch}, best of {args.repeats}")
    results = {}
    for name, loop in (("rectifier.train", ours), ("DataLoader loop", dataloader)):
        best = min(loop(x, y, cfg) for _ in range(args.repeats))
        results[name] = best
        print(f"{name:16s} {1000 * best / steps:7.3f} ms/step  {steps / best:8.1f} steps/s  "
              f"{flop_per_step * steps / best / 1e9:6.1f} GFLOP/s  "
              f"MNIST epoch (50,000 examples): {best / steps * 5000:6.1f} s")
    ratio = results["DataLoader loop"] / results["rectifier.train"]
    print(f"speed-up of rectifier.train over the DataLoader loop: {ratio:.2f}x")


if __name__ == "__main__":
    main()
