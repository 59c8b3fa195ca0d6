# Targets and helpers; the only Python logic of the workflow.
import json

from rectifier.config import Params, check_overrides

PARAMS = Params.from_dict(config)  # the package's own checks: known data sets, etc.
check_overrides(config, "params.yaml")
DATA = config["data"]["root"]
RUN = "results/{dataset}/{activation}/{pretraining}/seed{seed}"
REPORT = ["reports/report.md", "reports/report.html"]
TABLES = [
    f"reports/tables/{name}.{ext}"
    for name in ("table1", "sparsity", "runs")
    for ext in ("csv", "md")
]
SUMMARY = "reports/metrics.json"  # for `dvc metrics show`
PLOTS = "reports/plots"  # for `dvc plots show`


wildcard_constraints:
    dataset="[a-z][a-z0-9_]*",
    activation="|".join(PARAMS.activations),
    pretraining="|".join(PARAMS.pretraining),
    seed=r"\d+",


def prepared(dataset):
    return f"{DATA}/{dataset}/prepared.npz"


def run_metrics():
    return expand(
        f"{RUN}/metrics.json",
        dataset=PARAMS.datasets,
        activation=PARAMS.activations,
        pretraining=PARAMS.pretraining,
        seed=PARAMS.seeds,
    )


def data_knobs(wildcards):
    """What decides a prepared data set's content (not where it is fetched from)."""
    data = config["data"]
    spec = data["digits"] if wildcards.dataset == "digits" else data["idx"].get(wildcards.dataset)
    return json.dumps(spec, sort_keys=True)


def train_knobs(wildcards):
    """What decides a run's result, so Snakemake reruns exactly the jobs whose knobs changed."""
    knobs = {
        "train": config["train"],
        "hidden": list(PARAMS.hidden_for(wildcards.dataset)),
        "device": config["device"],
    }
    return json.dumps(knobs, sort_keys=True)


def all_targets():
    return REPORT  # the report rule needs every other output
