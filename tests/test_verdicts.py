"""The verdict rule: an equivalence test against a margin fixed before the run."""
import math

import numpy as np
import pytest

from rectifier.verdicts import (
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    Side,
    binomial_se,
    cell,
    comparison,
)

MNIST_TEST = 10_000


def test_binomial_floor():
    assert binomial_se(1.5, MNIST_TEST) == pytest.approx(100 * math.sqrt(0.015 * 0.985 / 1e4))
    # Seeds that agree to the last digit still carry the test set's own noise.
    assert Side((1.43, 1.43, 1.43), MNIST_TEST).sd == pytest.approx(binomial_se(1.43, MNIST_TEST))


def test_close_and_tight_is_reproduced_far_is_not_spread_is_inconclusive():
    tight = Side((1.40, 1.42, 1.44, 1.41, 1.45, 1.43, 1.42, 1.44), MNIST_TEST)
    assert cell(tight, 1.43, margin=0.2).verdict == REPRODUCED
    far = Side((2.20, 2.25, 2.23), MNIST_TEST)
    result = cell(far, 1.43, margin=0.2)
    assert result.verdict == NOT_REPRODUCED and result.ci95[0] > 0.2
    # 0.4 points off with 3 seeds: the floored spread (0.13 points, t with 2 dof) cannot
    # tell it from the margin.
    assert cell(Side((1.80, 1.85, 1.83), MNIST_TEST), 1.43, margin=0.2).verdict == INCONCLUSIVE
    wide = Side((1.0, 1.9, 1.4), MNIST_TEST)
    assert cell(wide, 1.43, margin=0.2).verdict == INCONCLUSIVE


def test_spread_no_longer_buys_a_verdict():
    """The old rule (within mean +- 2 sd) called digits softplus (31.01 +- 22.82) reproduced for
    any figure from -14.6 to 76.6; a wide spread now decides nothing."""
    softplus = Side((14.76, 21.17, 57.10), 359)
    for figure in (15.0, 31.0, 60.0):
        assert cell(softplus, figure, margin=1.0).verdict == INCONCLUSIVE


def test_fewer_than_three_seeds_is_inconclusive_with_the_reason():
    result = cell(Side((1.43, 1.44), MNIST_TEST), 1.43, margin=0.2)
    assert result.verdict == INCONCLUSIVE and "2 seeds" in result.reason
    assert math.isnan(result.ci90[0])


def test_paper_as_one_more_draw_is_seldom_called_not_reproduced():
    """Where the paper's figure is one more run of the very network we ran, 'not reproduced'
    must be rare: at most the 2.5% of a one-sided 95% interval, here over 2,000 draws."""
    rng = np.random.default_rng(0)
    wrong = 0
    for _ in range(2000):
        draws = 1.45 + 0.1 * rng.standard_normal(4)
        ours, figure = Side(tuple(draws[:3]), MNIST_TEST), float(draws[3])
        wrong += cell(ours, figure, margin=0.2).verdict == NOT_REPRODUCED
    assert wrong / 2000 < 0.05


def test_a_comparison_is_judged_on_the_difference_of_differences():
    rectifier = Side((1.40, 1.42, 1.45, 1.43, 1.41), MNIST_TEST)
    tanh = Side((1.58, 1.55, 1.57, 1.59, 1.56), MNIST_TEST)
    same = comparison(rectifier, tanh, 1.43 - 1.57, margin=0.2)
    assert same.difference == pytest.approx(rectifier.mean - tanh.mean + 0.14)
    assert same.verdict == REPRODUCED
    worse = Side((1.90, 1.92, 1.88, 1.91, 1.89), MNIST_TEST)     # the rectifier behind tanh
    assert comparison(worse, tanh, 1.43 - 1.57, margin=0.2).verdict == NOT_REPRODUCED
    assert comparison(rectifier, Side((1.5, 1.6), MNIST_TEST), -0.14, 0.2).verdict == INCONCLUSIVE


def test_no_error_on_any_seed_is_judged_not_divided_by_zero():
    perfect = Side((0.0, 0.0, 0.0), MNIST_TEST)
    assert comparison(perfect, perfect, 0.0, margin=0.2).verdict == REPRODUCED
    assert comparison(perfect, perfect, 1.0, margin=0.2).verdict == NOT_REPRODUCED
