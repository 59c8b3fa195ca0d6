# Targets and helpers; the only Python logic of the workflow.
import json
import os
from pathlib import Path

from rectifier.code import digests
from rectifier.config import Params, effective_file
from rectifier.names import lr_label

PARAMS = Params.from_dict(config)  # the package's own checks: known data sets, etc.
# The jobs read the params file this names: params.yaml, or the config as --configfile and
# --config changed it (written once, by digest). An environment variable, not a command-line
# argument, so that an edit of an unrelated knob does not change every rule's command.
os.environ["RECTIFIER_PARAMS"] = str(effective_file(config, "params.yaml"))
DATA = config["data"]["root"]
# Digests of the code behind each step (rectifier.code), read from the package beside the
# Snakefile; the steps take them among their params, so an edit of a module reruns its steps.
CODE = digests(Path(workflow.basedir) / "src" / "rectifier")
RUN = "results/{dataset}/{activation}/{pretraining}/lr{lr}/seed{seed}"
STACK = "pretrained/{dataset}/{activation}/seed{seed}"
STACKS = "pretrained/stacks.txt"  # the list of stacks: the pretrain phase's one sure output
REPORT = ["reports/report.md", "reports/report.html"]
TABLES = [
    f"reports/tables/{name}.{ext}"
    for name in (
        "table1",
        "sparsity",
        "runs",
        "learning_rates",
        "pretraining_effect",
        "comparisons",
    )
    for ext in ("csv", "md")
]
SUMMARY = "reports/metrics.json"  # for `dvc metrics show`
PLOTS = "reports/plots"  # for `dvc plots show`


wildcard_constraints:
    dataset="[a-z][a-z0-9_]*",
    activation="|".join(PARAMS.activations),
    pretraining="|".join(PARAMS.pretraining),
    seed=r"\d+",
    lr=r"[0-9.e+-]+",


def prepared(dataset):
    return f"{DATA}/{dataset}/prepared.npz"


def run_metrics():
    return expand(
        f"{RUN}/metrics.json",
        dataset=PARAMS.datasets,
        activation=PARAMS.activations,
        pretraining=PARAMS.pretraining,
        lr=[lr_label(lr) for lr in PARAMS.learning_rates],  # as names.job_id names it
        seed=PARAMS.seeds,
    )


def stacks(name="stack.pt"):
    if "dae" not in PARAMS.pretraining:
        return []
    return expand(
        f"{STACK}/{name}",
        dataset=PARAMS.datasets,
        activation=PARAMS.activations,
        seed=PARAMS.seeds,
    )


def train_inputs(wildcards):
    """The prepared data, and the pre-trained stack when the run fine-tunes one."""
    inputs = {"data": prepared(wildcards.dataset)}
    if wildcards.pretraining == "dae":
        inputs["stack"] = expand(f"{STACK}/stack.pt", **wildcards)[0]
    return inputs


def data_knobs(wildcards):
    """What decides a prepared data set's content (not where it is fetched from): its split
    settings and, for the paper's public sets, the checksums pinned in params.yaml."""
    data, name = config["data"], wildcards.dataset
    if name == "digits":
        return json.dumps(data["digits"], sort_keys=True)
    if name == "mnist" or name in data["idx"]:
        return json.dumps(data["idx"].get(name), sort_keys=True)
    section = "amazon" if name.startswith("amazon_") else name    # the paper's public sets
    return json.dumps({"split": data[section], "checksums": data["checksums"]}, sort_keys=True)


def train_knobs(wildcards):
    """What decides a run's result, so Snakemake reruns exactly the jobs whose knobs changed."""
    train = {k: v for k, v in config["train"].items() if k != "lr"}  # lr: a wildcard
    knobs = {
        "train": train,
        "hidden": list(PARAMS.hidden_for(wildcards.dataset)),
        "device": config["device"],
    }
    return json.dumps(knobs, sort_keys=True)


def pretrain_knobs(wildcards):
    """What decides a stack: changing a fine-tuning knob does not redo pre-training."""
    knobs = {
        "pretrain": config["pretrain"],
        "sign_trick": config["train"]["sign_trick"],  # enters a signed stack
        "hidden": list(PARAMS.hidden_for(wildcards.dataset)),
        "device": config["device"],
    }
    return json.dumps(knobs, sort_keys=True)


def all_targets():
    return REPORT + [STACKS]  # the report rule needs every other output
