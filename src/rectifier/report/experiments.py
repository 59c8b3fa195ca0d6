"""The report's sections on the paper's other experiments, each present when the runs hold it:
the sparsity sweep (Figure 3), fewer labels (Figure 4) and smoothness. Each: the paper's
statement, our figure (the paper's figures beside ours where it gives numbers), our verdict in
one sentence."""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from rectifier import experiments, figures, paper
from rectifier.report.page import Document
from rectifier.report.views import labels, pm
from rectifier.rounding import fixed

NORB_ONLY = ("The paper ran it on NORB, which cannot be downloaded here; its NORB figures stay "
             "beside ours for reference, not as a target.")


HEADINGS = {"figure3": "Sparsity sweep (Figure 3)", "figure4": "Fewer labels (Figure 4)",
            "smoothness": "Smoothness of the non-linearity"}


def _verdicts(doc: Document, claims: list[experiments.Claim]) -> None:
    """One sentence per data set."""
    for dataset in dict.fromkeys(c.dataset for c in claims):
        doc.para(f"**Verdict ({dataset}).** "
                 + experiments.sentence([c for c in claims if c.dataset == dataset]))


def sections(doc: Document, runs: pd.DataFrame, claims: Mapping[str, list]) -> None:
    """The sections of the experiments the runs hold; `claims` from experiments.claims."""
    networks = experiments.sparsity_sweep(runs)
    if "figure3" in claims:            # some data set ran the sweep
        doc.heading(HEADINGS["figure3"])
        doc.para(f"**Paper.** {paper.FIGURE3}")
        doc.para(f"**Ours.** {len(networks)} rectifier networks, L1 "
                 f"{', '.join(f'{x:g}' for x in sorted(set(networks['l1'])))}, "
                 + (f"at the one rate run, {runs['lr'].iloc[0]:g}" if runs["lr"].nunique() == 1
                    else "each at the rate chosen at its L1 value")
                 + "; exact sparsity over all hidden units on the test set.")
        doc.figure("figure3", figures.sparsity_sweep(networks),
                   "Test error against exact sparsity, one dot per network, coloured by its L1 "
                   "penalty (grey: none); dashed: the paper's 85%. A triangle at the top edge "
                   "is a network off the scale (beyond 5 times the median error), its error "
                   "written beside it.")
        _verdicts(doc, claims["figure3"])

    curves = experiments.label_curves(runs)
    if "figure4" in claims:
        doc.heading(HEADINGS["figure4"])
        doc.para(f"**Paper.** {paper.FIGURE4} " + (NORB_ONLY if "norb" not in set(
            curves["dataset"]) else ""))
        doc.figure("figure4", figures.label_curves(curves),
                   "Test error against the labelled fraction of the training set (log scale), "
                   "mean ± sd over seeds (band); dashed: pre-trained.")
        doc.table(pd.DataFrame({
            "data set": curves["dataset"], "activation": curves["activation"],
            "pre-training": curves["pretraining"],
            "labels": labels(curves["label_fraction"]),
            "labelled": [f"{n:,}" for n in curves["n_labelled"]], "n seeds": curves["n_seeds"],
            "rate (of those tried)": [f"{lr:g} (of {n})" for lr, n in zip(
                curves["lr"], curves["rates_tried"])],
            "ended at the epoch cap": [f"{k} of {n}" if k else "" for k, n in zip(
                curves["at_cap"], curves["n_seeds"])],
            "test error %": [pm(m, s) for m, s in zip(curves["test_error_mean"],
                                                      curves["test_error_sd"])]}))
        _verdicts(doc, claims["figure4"])

    table = experiments.smoothness(runs)
    if "smoothness" in claims:
        doc.heading(HEADINGS["smoothness"])
        doc.para(f"**Paper.** {paper.SMOOTHNESS} NORB test error: "
                 + ", ".join(f"{'rectifier' if a == float('inf') else f'a = {a:g}'} {fixed(e)}%"
                             for a, e in paper.SMOOTHNESS_ERRORS.items())
                 + ". " + (NORB_ONLY if "norb" not in set(table["dataset"]) else ""))
        doc.figure("smoothness", figures.smoothness(table),
                   "Test error against the sharpness a (log scale; the rectifier is a → ∞), "
                   "mean ± sd over seeds, without pre-training; black: the paper's NORB figures.")
        doc.table(pd.DataFrame({
            "data set": table["dataset"], "activation": table["activation"],
            "a": ["∞" if a == float("inf") else f"{a:g}" for a in table["a"]],
            "n seeds": table["n_seeds"],
            "test error %": [pm(m, s) for m, s in zip(table["test_error_mean"],
                                                      table["test_error_sd"])],
            "paper (NORB)": ["" if p != p else fixed(p) for p in table["paper_norb"]]}))
        _verdicts(doc, claims["smoothness"])
