"""Deviations from the paper's protocol that can be read off the runs themselves, and off the
pre-training jobs when given: the report lists them after those the pipeline states."""
from __future__ import annotations

from collections import Counter

import pandas as pd

from rectifier import paper
from rectifier.rounding import fixed
from rectifier.runs import threads
from rectifier.selection import at, groups, mark_selected, selected_runs, table1_runs, variants
from rectifier.verdicts import MIN_SEEDS
from rectifier.wording import PAPER_RATES, distinct, learning_rates, rates_tried, span

STOPPED = {"early_stopping": "stopped early", "max_epochs": "ran to max epochs"}


def detect_deviations(runs: pd.DataFrame, t1: pd.DataFrame,
                      pretraining: pd.DataFrame | None = None) -> list[str]:
    """Differences from the paper's protocol that can be read off the runs themselves (every
    point of a sweep: each chose its own rate) and the pre-training jobs, when given."""
    found = []
    points = [at(runs, p) for p in variants(runs)]
    datasets = list(dict.fromkeys(runs["dataset"]))
    for d in datasets:
        if paper.review_domain(d):
            found.append(f"Amazon reviews ({d}): the paper gives one accuracy for the benchmark "
                         "(a rectifier network), no figure per domain: Table 1 lists the "
                         "domain without one, and the Amazon section sets the accuracy beside "
                         "the benchmark's; split and vocabulary are ours.")
        elif not paper.in_paper(d):
            found.append(f"Data set {d} is not one of the paper's: it has no published figure, "
                         "so its rows compare activations with each other only.")
    missing = [d for d in paper.DATASETS if d not in datasets]
    if missing:
        why = [f"{d} ({paper.unavailable(d)})" for d in missing if paper.unavailable(d)]
        found.append("The paper's data sets not run here: " + ", ".join(missing)
                     + (f"; not available: {', '.join(why)}" if why else "") + ".")
    if "sigmoid" in set(runs["activation"]):
        found.append("Sigmoid networks are our extension: the paper only discusses them, so "
                     "their rows have no published figure.")
    if "dae" not in set(runs["pretraining"]):
        found.append("No network was pre-trained (denoising auto-encoders): the paper's "
                     "pre-training rows are not compared.")
    else:
        found.append(_pretraining_facts(pretraining))
    few = t1[t1["n_seeds"] < MIN_SEEDS]
    if len(few):
        found.append(f"{len(few)} of {len(t1)} configurations have fewer than {MIN_SEEDS} "
                     "seeds: their verdicts are inconclusive whatever the numbers.")
    seeds = sorted(set(t1["n_seeds"]))
    if len(seeds) > 1:
        found.append("Configurations have unequal numbers of seeds "
                     f"({', '.join(map(str, seeds))}).")
    stops = Counter(runs["stopped"])
    found.append("Stopping rule (not stated in the paper; ours): "
                 + ", ".join(f"{n} run(s) {STOPPED.get(s, s)}" for s, n in stops.items())
                 + f"; epochs run {span(runs['epochs_run'])}.")
    capped = pd.concat([selected_runs(p) for p in points])
    capped = capped[capped["stopped"] == "max_epochs"]
    if len(capped):
        found.append(f"{len(capped)} selected run(s) reached max_epochs "
                     f"({span(capped['epochs_run'])}) before early stopping could end them, "
                     "their validation error having improved within the last `patience` epochs: "
                     "a larger train.max_epochs continues them from their last epoch.")
    firsts = _chosen_on_first_seed(points)
    if firsts:
        found.append(firsts)
    tried = rates_tried(runs)
    if runs["lr"].nunique() == 1:
        found.append(f"One learning rate ({runs['lr'].iloc[0]}) for every configuration, not "
                     f"picked per configuration on validation error from {PAPER_RATES}.")
    elif set(tried) != {PAPER_RATES}:
        found.append(f"Learning rates tried per configuration: {distinct(tried)}, where the "
                     f"paper picks from {PAPER_RATES} on validation error.")
    if (runs["l1"] > 0).any():
        found.append("How the L1 penalty is normalised is not stated in the paper; ours: the "
                     "coefficient times the sum of |h| over every hidden unit of every layer, "
                     "averaged over the examples of the minibatch.")
    # A sweep's other L1 values are its points, not a deviation: Table 1's setting is judged.
    for key, published, judged in (("minibatch", paper.MINIBATCH, runs),
                                   ("l1", paper.L1, table1_runs(runs))):
        other = sorted(set(judged[key]) - {published})
        if other:
            found.append(f"{key} {', '.join(map(str, other))} where the paper uses {published}.")
    rect = runs[runs["activation"] == "rectifier"]
    if paper.SIGN_TRICK and len(rect) and not rect["sign_trick"].all():
        found.append("Some rectifier networks ran without the sign trick the paper uses.")
    for d, g in runs.groupby("dataset", sort=False):
        published = paper.hidden(d)
        shape = "-".join(map(str, published)) if published else None
        if shape and set(g["hidden"]) != {shape}:
            found.append(f"{d}: hidden layers {distinct(g['hidden'])}, paper {shape}.")
        split = paper.split(d)
        ours = set(zip(g["n_train"], g["n_valid"], g["n_test"]))
        if split and ours != {split}:
            found.append(f"{d}: split {' / '.join(f'{n:,}' for n in sorted(ours)[0])} "
                         f"(train / valid / test), paper {' / '.join(f'{n:,}' for n in split)}.")
    provisional = int((t1["paper_provisional"].astype(bool)).sum())
    if provisional:
        found.append(f"{provisional} of the paper's figures compared here are provisional (?): "
                     "not confirmed against the PDF.")
    commits = set(runs["git_commit"].dropna())
    if len(commits) > 1:
        found.append(f"The runs come from {len(commits)} different git commits.")
    missing = int(runs["git_commit"].isna().sum())
    if missing:
        found.append("No run recorded a git commit." if missing == len(runs)
                     else f"{missing} run(s) recorded no git commit.")
    dirty = int(runs["git_commit"].fillna("").str.endswith("-dirty").sum())
    if dirty:
        found.append(f"{dirty} run(s) came from a checkout with uncommitted changes (-dirty).")
    return found


PAPER_GRID = {0.1, 0.01, 0.001, 0.0001}


def _chosen_on_first_seed(points: list[pd.DataFrame]) -> str:
    """selection.seeds `first`, read off each sweep point's runs: configurations (at a point)
    whose seeds did not all run
    every rate, with the jobs this saved against the whole grid and what they would have cost:
    each skipped job at the mean core time of its configuration's candidates not chosen, which
    are the same jobs on the seeds that chose."""
    ran, whole, partial, saved_s = 0, 0, 0, 0.0
    for _, g in (item for runs in points for item in groups(mark_selected(runs))):
        rates, seeds = g["lr"].nunique(), g["seed"].nunique()
        ran, whole = ran + len(g), whole + rates * seeds
        if len(g) < rates * seeds:
            partial += 1
            others = g[~g["selected"]]
            saved_s += (rates * seeds - len(g)) * (others["wall_time_s"] * threads(others)).mean()
    if not partial:
        return ""
    return (f"In {partial} configuration(s) the learning rate was chosen on the seeds that ran "
            "every rate (selection.seeds: first), and the other seeds ran the chosen rate only, "
            "where the paper's grid runs every rate on every seed: "
            f"{ran} fine-tuning jobs instead of {whole}, saving about {fixed(saved_s / 3600)} "
            "core-hours (each job skipped at the mean time of its configuration's candidates "
            "not chosen).")


def _pretraining_facts(pre: pd.DataFrame | None) -> str:
    """The pre-training hyper-parameters as the jobs' files record them, beside the paper's."""
    if pre is None or not len(pre):
        return ("Networks were fine-tuned from pre-trained stacks, but no pre-training job's "
                "files were given: the pre-training hyper-parameters are not reported here.")
    if pre["lr"].nunique() == 1:
        rate = (f"learning rate fixed at {pre['lr'].iloc[0]:g}, not picked on reconstruction "
                f"error from {PAPER_RATES} as the paper does")
    else:
        rate = (f"learning rate chosen per activation on the first layer's validation "
                f"reconstruction cost from {learning_rates(pre['lr'])}"
                + (" (the paper's grid)" if set(pre["lr"]) == PAPER_GRID else ""))
    return (f"Pre-training hyper-parameters (noise, epochs per layer, learning rate), from the "
            f"pre-training jobs: masking noise {distinct(pre['noise'])} (paper: "
            f"{paper.DAE_MASKING}); {distinct(pre['epochs'])} epochs per layer (not stated in "
            f"the paper); {rate}.")
