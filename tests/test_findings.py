"""The paper's three MNIST findings, judged from the report's tables (made up for each case)."""
import math

import pandas as pd

from rectifier.report.findings import findings


def comparison(b, pretraining="none", difference=-0.5, low=-0.8, high=-0.2,
               verdict="reproduced"):
    return {"dataset": "mnist", "pretraining": pretraining, "a": "rectifier", "b": b,
            "difference": difference, "paper_difference": -0.2, "diff_ci90_low": low,
            "diff_ci90_high": high, "verdict": verdict}


def tables(comparisons=(), effect=(), sparsity=()):
    return {"comparisons": pd.DataFrame(list(comparisons), columns=list(comparison("x"))),
            "pretraining_effect": pd.DataFrame(list(effect), columns=[
                "dataset", "activation", "difference", "paper_difference", "verdict"]),
            "sparsity": pd.DataFrame(list(sparsity), columns=[
                "dataset", "activation", "pretraining", "sparsity_mean"])}


def verdicts(loaded):
    return {row[0]: row[4] for row in findings(loaded)}


def test_finding_1_is_judged_by_the_direction_of_both_differences():
    both_below = [comparison("tanh"), comparison("softplus")]
    assert verdicts(tables(both_below)) == {1: "reproduced"}
    # ours much larger than the paper's difference: Table 1's rule would call the cell not
    # reproduced, but the rectifier still beats tanh
    wide = [comparison("tanh", difference=-1.5, low=-1.8, high=-1.2, verdict="not reproduced"),
            comparison("softplus")]
    assert verdicts(tables(wide)) == {1: "reproduced"}
    worse = [comparison("tanh", difference=0.5, low=0.2, high=0.8), comparison("softplus")]
    assert verdicts(tables(worse)) == {1: "not reproduced"}
    straddles = [comparison("tanh", low=-0.8, high=0.1), comparison("softplus")]
    assert verdicts(tables(straddles)) == {1: "inconclusive"}
    one_seed = [comparison("tanh", low=math.nan, high=math.nan,
                           verdict="inconclusive (1 seed; a verdict needs 3)"),
                comparison("softplus")]
    assert verdicts(tables(one_seed)) == {1: "inconclusive (1 seed; a verdict needs 3)"}
    assert verdicts(tables(both_below[:1])) == {1: "inconclusive (not both comparisons run)"}


def test_finding_2_needs_every_cell_it_rests_on():
    dae = [comparison("tanh", "dae"), comparison("softplus", "dae")]
    gain = {"dataset": "mnist", "activation": "rectifier", "difference": -0.2,
            "paper_difference": -0.23, "verdict": "reproduced"}
    assert verdicts(tables(dae, [gain]))[2] == "reproduced"
    assert verdicts(tables(dae, [{**gain, "verdict": "not reproduced"}]))[2] == "not reproduced"
    assert verdicts(tables(dae, [{**gain, "verdict": "inconclusive (2 seeds)"}]))[2] == \
        "inconclusive"
    row = next(r for r in findings(tables(dae, [gain])) if r[0] == 2)
    assert "gains 0.23 points" in row[1] and row[2].endswith("gain +0.20")


def test_finding_3_sets_our_exact_sparsity_beside_the_papers():
    rows = findings(tables(sparsity=[{"dataset": "mnist", "activation": "rectifier",
                                      "pretraining": "none", "sparsity_mean": 85.04}]))
    assert [(r[0], r[2], r[3]) for r in rows] == [(3, "85.0%", "83.4%")]
    assert findings(tables()) == []
