"""Benchmark: the paper's SGD step (minibatch 10, 784-1000-1000-1000-10, rectifier, sign trick,
L1 penalty) by the fused engine, the autograd engine and a plain PyTorch DataLoader loop, side by
side on the same data; then the denoising auto-encoder step of both engines.

    python benchmarks/train_step.py [--steps 400] [--repeats 3]

Each engine is timed on one thread alone, then in two processes at once (one per core, as
`snakemake --cores 2` runs two jobs). Engines take turns within each repeat, so a slow spell of
the machine hits them alike; the median of the repeats is reported, and the spread (min-max).
Each rate in GFLOP/s stands beside the core's own rate on a large matrix product, measured in the
same run and the same processes. MNIST-shaped random data: the time does not depend on the values.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from rectifier.fused import FusedDenoisingStep, FusedStep
from rectifier.model import MLP
from rectifier.pretrain import AutogradDenoisingStep, DenoisingAutoEncoder
from rectifier.train import AutogradStep, _epoch, evaluate

SIZES = (784, 1000, 1000, 1000, 10)
MINIBATCH, LR, L1 = 10, 0.01, 0.001
MNIST_TRAIN, MNIST_VALID = 50_000, 10_000
WEIGHTS = sum(a * b for a, b in zip(SIZES, SIZES[1:]))
FLOP_PER_STEP = 6 * WEIGHTS * MINIBATCH      # forward 2, backward 2 + update 2 per weight, example
# The auto-encoder's 7 products of 2 flop per weight and example: encode the corrupted input,
# decode, back through the decoder, encode the clean input (the L1 penalty's), 3 updates of W.
DAE_FLOP_PER_STEP = 7 * 2 * 1000 * 1000 * MINIBATCH
TARGET_SPEEDUP, TARGET_EPOCH_S = 2.5, 16.0   # issue 8's targets


def network() -> MLP:
    return MLP(SIZES[0], SIZES[1:-1], SIZES[-1], "rectifier", True,
               torch.Generator().manual_seed(0))


def data(steps: int):
    g = torch.Generator().manual_seed(0)
    n = steps * MINIBATCH
    return torch.rand(n, SIZES[0], generator=g), torch.randint(0, SIZES[-1], (n,), generator=g)


def run_engine(name: str, x, y) -> float:
    """Seconds for one pass over (x, y) at minibatch 10, after a warm-up of the same loop on
    its first 100 examples."""
    net = network()
    if name == "DataLoader loop":
        optimiser = torch.optim.SGD(net.parameters(), lr=LR)

        def one_pass(xs, ys):
            for xb, yb in DataLoader(TensorDataset(xs, ys), batch_size=MINIBATCH, shuffle=True):
                logits, codes = net(xb)
                loss = F.cross_entropy(logits, yb) + L1 * sum(h.abs().sum(1).mean() for h in codes)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
    else:
        step = {"fused": FusedStep, "autograd": AutogradStep}[name](net, LR, L1)

        def one_pass(xs, ys):
            _epoch(step, net, xs, ys, MINIBATCH)
    one_pass(x[:100], y[:100])
    started = time.perf_counter()
    one_pass(x, y)
    return time.perf_counter() - started


def run_auto_encoder(name: str, steps: int) -> float:
    """Seconds for `steps` steps of the second layer's auto-encoder (1000 -> 1000, rectifier,
    softplus reconstruction, squared error), as pre-training runs it."""
    g = torch.Generator().manual_seed(0)
    clean = torch.relu(torch.randn(steps * MINIBATCH, 1000, generator=g))
    corrupted = clean * (torch.rand(clean.shape, generator=g) >= 0.25)
    dae = DenoisingAutoEncoder(1000, 1000, "rectifier", "softplus", "squared_error", False, g)
    step = {"fused": FusedDenoisingStep, "autograd": AutogradDenoisingStep}[name](dae, LR, L1)
    for i in range(0, 10 * MINIBATCH, MINIBATCH):
        step(corrupted[i:i + MINIBATCH], clean[i:i + MINIBATCH])
    started = time.perf_counter()
    for i in range(0, len(clean), MINIBATCH):
        step(corrupted[i:i + MINIBATCH], clean[i:i + MINIBATCH])
    return time.perf_counter() - started


def validation_pass() -> float:
    """Seconds to measure MNIST's 10,000 validation examples, as every epoch does."""
    x, y = torch.rand(MNIST_VALID, SIZES[0]), torch.randint(0, 10, (MNIST_VALID,))
    net = network()
    evaluate(net, x[:1000], y[:1000], 1000)
    started = time.perf_counter()
    evaluate(net, x, y, 1000)
    return time.perf_counter() - started


def products_alone(steps: int) -> float:
    """Seconds per step of the step's matrix products alone (3 forward, 2 backward, 3 updates
    of the hidden layers, and the output layer's), on the same shapes: the floor the fused step
    stands on, since it adds only elementwise work to them."""
    net = network()
    ws = [layer.weight.data for layer in (*net.hidden, net.output)]
    a = [torch.rand(MINIBATCH, w.shape[1]) for w in ws]
    g = [torch.rand(MINIBATCH, w.shape[0]) for w in ws]

    def step():
        for w, ai in zip(ws, a):
            ai @ w.t()
        for w, gi in zip(ws[1:], g[1:]):
            gi @ w
        for w, ai, gi in zip(ws, a, g):
            w.addmm_(gi.t(), ai, alpha=-1e-12)
    for _ in range(10):
        step()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - started) / steps


def matmul_rate(n: int = 2000) -> float:
    """The core's GFLOP/s on a large float32 matrix product: what the machine can do."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b
    started = time.perf_counter()
    for _ in range(3):
        a @ b
    return 3 * 2 * n ** 3 / (time.perf_counter() - started) / 1e9


ENGINES = ("fused", "autograd", "DataLoader loop")


def measure(steps: int, repeats: int, barrier=None) -> dict:
    """Per engine: the seconds per step of each repeat; plus the validation pass, the matrix
    product rate and the auto-encoder steps. With a barrier, two processes start each
    measurement together."""
    torch.set_num_threads(1)
    x, y = data(steps)
    times = {name: [] for name in (*ENGINES, "dae fused", "dae autograd", "valid", "matmul",
                                   "products")}

    def timed(key, fn):
        if barrier is not None:
            barrier.wait()
        times[key].append(fn())

    for _ in range(repeats):
        timed("matmul", matmul_rate)
        for name in ENGINES:
            timed(name, lambda name=name: run_engine(name, x, y) / steps)
        for name in ("fused", "autograd"):
            timed(f"dae {name}", lambda name=name: run_auto_encoder(name, steps // 2) / (steps // 2))
        timed("valid", validation_pass)
        timed("products", lambda: products_alone(steps))
    return times


def _worker(steps, repeats, barrier, queue):
    queue.put(measure(steps, repeats, barrier))


def two_at_once(steps: int, repeats: int) -> list[dict]:
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(steps, repeats, barrier, queue))
               for _ in range(2)]
    for w in workers:
        w.start()
    results = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    return results


def report(title: str, runs: list[dict]) -> dict:
    """Print one table; return each engine's median seconds per step and the epoch times."""
    pooled = {k: [v for run in runs for v in run[k]] for k in runs[0]}
    median = {k: statistics.median(v) for k, v in pooled.items()}
    rate = median["matmul"]
    valid = median["valid"]
    print(f"\n{title}: a large matrix product runs at {rate:.1f} GFLOP/s per core "
          f"(min-max {min(pooled['matmul']):.1f}-{max(pooled['matmul']):.1f})")
    print(f"{'engine':<22}{'ms/step':>9}{'min-max':>15}{'GFLOP/s':>9}{'of core':>9}"
          f"{'MNIST epoch':>13}")
    epochs = {}
    for name in ENGINES + ("dae fused", "dae autograd"):
        s, flop = median[name], (DAE_FLOP_PER_STEP if name.startswith("dae") else FLOP_PER_STEP)
        gflops = flop / s / 1e9
        steps_per_epoch = MNIST_TRAIN // MINIBATCH
        epoch = s * steps_per_epoch + (0 if name.startswith("dae") else valid)
        epochs[name] = epoch
        spread = f"{1e3 * min(pooled[name]):.2f}-{1e3 * max(pooled[name]):.2f}"
        label = {"dae fused": "auto-encoder, fused", "dae autograd": "auto-encoder, autograd"}
        print(f"{label.get(name, name):<22}{1e3 * s:9.2f}{spread:>15}{gflops:9.1f}"
              f"{100 * gflops / rate:8.0f}%{epoch:11.1f} s")
    print(f"(MNIST epoch: 5,000 steps, plus the 10,000-example validation pass "
          f"({valid:.2f} s) for the networks; the auto-encoder row is one layer's epoch)")
    products = median["products"]
    print(f"What bounds the step: its matrix products alone take {1e3 * products:.2f} ms "
          f"({FLOP_PER_STEP / products / 1e9:.1f} GFLOP/s), "
          f"{100 * products / median['fused']:.0f}% of the fused step")
    return {"median": median, "epochs": epochs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="steps per engine and repeat")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"torch {torch.__version__}; {args.steps} steps of minibatch {MINIBATCH} per engine "
          f"and repeat, {args.repeats} repeats; network {'-'.join(map(str, SIZES))}, "
          f"{FLOP_PER_STEP / 1e6:.0f} MFLOP per step")
    alone = report("One thread, one process", [measure(args.steps, args.repeats)])
    both = report("Two processes at once, one thread each (figures pooled over both)",
                  two_at_once(args.steps, args.repeats))
    m = alone["median"]
    print("\nSpeed-ups, one thread: fused over the DataLoader loop "
          f"{m['DataLoader loop'] / m['fused']:.2f}x, over autograd "
          f"{m['autograd'] / m['fused']:.2f}x; auto-encoder fused over autograd "
          f"{m['dae autograd'] / m['dae fused']:.2f}x")
    speedup = m["DataLoader loop"] / m["fused"]
    epoch = both["epochs"]["fused"]
    print(f"Target: fused >= {TARGET_SPEEDUP}x the DataLoader loop on one thread: "
          f"{speedup:.2f}x, {'met' if speedup >= TARGET_SPEEDUP else 'NOT met'}")
    print(f"Target: an MNIST epoch <= {TARGET_EPOCH_S:.0f} s per job with two jobs at once: "
          f"{epoch:.1f} s, {'met' if epoch <= TARGET_EPOCH_S else 'NOT met'}")
    # The fused step adds only elementwise work to the products: were that work free, these
    # would be the best any step built on this BLAS could reach.
    b = both["median"]
    best_epoch = b["products"] * (MNIST_TRAIN // MINIBATCH) + b["valid"]
    print(f"Ceiling on this machine's BLAS (the products alone, nothing else): "
          f"{m['DataLoader loop'] / m['products']:.2f}x on one thread, an MNIST epoch of "
          f"{best_epoch:.1f} s with two jobs at once")


if __name__ == "__main__":
    main()
