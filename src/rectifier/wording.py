"""Values put into words, for the report and its list of deviations (rectifier.deviations):
distinct values with their counts, a span, learning rates as %g."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

from rectifier import paper
from rectifier.selection import KEY


def distinct(values: Iterable) -> str:
    """Distinct values with their counts when they differ, e.g. "cuda (10), cpu (2)"."""
    def show(v):
        if v is None or v != v:
            return "not recorded"
        if isinstance(v, (bool, np.bool_)):
            return "yes" if v else "no"
        if isinstance(v, float) and v.is_integer():   # an int column widened by a missing value
            return str(int(v))
        return str(v)
    counts = Counter(show(v) for v in values)
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{v} ({n})" for v, n in counts.most_common())


def span(values: pd.Series) -> str:
    low, high = values.min(), values.max()
    return str(low) if low == high else f"{low}–{high}"


def learning_rates(values: Iterable[float]) -> str:
    """Learning rates, larger first, as %g (0.0001, not 0.00)."""
    return ", ".join(f"{x:g}" for x in sorted(set(values), reverse=True))


PAPER_RATES = learning_rates(paper.LEARNING_RATES)


def rates_tried(lrs: pd.DataFrame) -> list[str]:
    """The rates tried, one entry per configuration."""
    return [learning_rates(g["lr"]) for _, g in lrs.groupby(KEY, sort=False)]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 run', '3 runs' ('1 configuration', '2 configurations'; `plural` where not noun + s)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
