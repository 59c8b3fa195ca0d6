"""How often a verdict rule calls a cell "not reproduced" when it is: the paper's figure drawn as
one more run of the very network we ran (3 seeds and the figure from one normal law, MNIST-like:
mean 1.45 %, sd 0.1 points, 10,000 test examples). Our rule (rectifier.verdicts, margin 0.2)
beside the rule it replaced (reproduced within our seeds' [min, max] or within mean ± 2 sd).

    python benchmarks/verdict_rule.py [--draws 2000] [--seed 0]
"""
import argparse

import numpy as np

from rectifier.verdicts import NOT_REPRODUCED, Side, cell


def old_rule_rejects(seeds: np.ndarray, figure: float) -> bool:
    mean, sd = seeds.mean(), seeds.std(ddof=1)
    return not (seeds.min() <= figure <= seeds.max() or abs(mean - figure) <= 2 * sd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    ours = old = 0
    for _ in range(args.draws):
        draws = 1.45 + 0.1 * rng.standard_normal(4)
        seeds, figure = draws[:3], float(draws[3])
        ours += cell(Side(tuple(seeds), 10_000), figure, margin=0.2).verdict == NOT_REPRODUCED
        old += old_rule_rejects(seeds, figure)
    print(f"{args.draws} draws: 'not reproduced' by our rule {ours} "
          f"({100 * ours / args.draws:.1f} %), by the old rule {old} "
          f"({100 * old / args.draws:.1f} %)")


if __name__ == "__main__":
    main()
