"""The report's first table: each of the paper's claims and cells that our runs can judge, ours
beside the paper's, with the verdict and a link to the section that shows how it was reached."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pandas as pd

from rectifier.experiments import CANNOT, Claim
from rectifier.report.findings import findings
from rectifier.report.page import anchor
from rectifier.report.views import paper_cell
from rectifier.rounding import fixed, signed
from rectifier.wording import count

VERDICT_ORDER = ("reproduced", "not reproduced", "inconclusive")


def headline(loaded: dict[str, pd.DataFrame], sections: dict[str, str],
             claims: Mapping[str, list[Claim]] | None = None) -> pd.DataFrame:
    """Rows: the paper's three MNIST findings (report.findings), Table 1's cells per data set (a
    tally of verdicts), the comparisons of activations,
    the effect of pre-training, exact sparsity, and the other experiments' claims (from
    rectifier.experiments.claims); `sections` names the heading of each."""
    link = lambda text, key: f"[{text}](#{anchor(sections[key])})"
    found = findings(loaded)
    rows = [(link(f"mnist, finding {i}: {finding}", key), ours, paper_side, verdict)
            for i, finding, ours, paper_side, verdict, key in found]
    t1 = loaded["table1"]
    for dataset, g in t1[t1["paper"].notna()].groupby("dataset", sort=False):
        tally = Counter(v.split(" (")[0] for v in g["verdict"])   # inconclusive (1 seed; ...)
        rows.append((link(f"{dataset}: Table 1 cells", "table1"),
                     count(len(g), "cell"), "", ", ".join(
                         f"{tally[v]} {v}" for v in (*VERDICT_ORDER, *sorted(set(tally) - set(
                             VERDICT_ORDER))) if tally[v])))
    differences = (("comparisons", "{dataset}, {pretraining}: {a} − {b}, its size"),
                   ("pretraining_effect", "{dataset}, {activation}: with − without pre-training"))
    for key, label in differences:
        for r in loaded[key].to_dict("records"):
            if r["paper_difference"] == r["paper_difference"]:      # the paper has a figure
                rows.append((link(label.format(**r), key), signed(r['difference']),
                             paper_cell(r["paper_difference"], r["paper_provisional"],
                                        signed=True), r["verdict"]))
    sp = loaded["sparsity"]
    in_findings = ({("mnist", "rectifier", "none")} if any(row[0] == 3 for row in found)
                   else set())
    for r in sp[sp["paper"].notna()].to_dict("records"):
        if (r["dataset"], r["activation"], r["pretraining"]) in in_findings:
            continue                                # finding 3 above says it
        rows.append((link(f"{r['dataset']}, {r['activation']} ({r['pretraining']}): exact "
                          "sparsity %", "sparsity"),
                     fixed(r['sparsity_mean'], 1), fixed(r['paper'], 1), r["verdict"]))
    for key, experiment in (claims or {}).items():
        rows += [(link(f"{c.dataset}, {c.claim}", key), c.ours, c.paper,
                  c.verdict + ("" if c.verdict == CANNOT or not c.basis else f" ({c.basis})"))
                 for c in experiment]
    return pd.DataFrame(rows, columns=["claim or cell", "ours", "paper", "verdict"])


def unjudged(runs: pd.DataFrame) -> str:
    """Why there is no headline row: the data sets run have no published figure."""
    names = ", ".join(dict.fromkeys(runs["dataset"]))
    return (f"None of the data sets run ({names}) has a published figure in the paper, so no "
            "claim or cell of the paper is judged here: the tables compare activations with "
            "each other only.")


HEADINGS = {"table1": "Table 1: test error (%)",
            "comparisons": "The paper's comparisons of activations",
            "pretraining_effect": "Effect of pre-training", "sparsity": "Exact sparsity",
            "ablations": "Ablations: what the paper's open choices change"}
