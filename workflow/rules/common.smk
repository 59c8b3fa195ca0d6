# Targets and helpers; the only Python logic of the workflow.
import json
import os
import re
from pathlib import Path

from rectifier import plan
from rectifier.code import digests
from rectifier.damaged import read_choice
from rectifier.config import Params, effective_file
from rectifier.names import lr_label, parse_variant, variant
from rectifier.resources import SMALL_JOB_MB, SMALL_JOB_RUNTIME, network_mb, runtime_min

PARAMS = Params.from_dict(config)  # the package's own checks: known data sets, etc.
# A design under which a verdict cannot come out "reproduced" is flagged before any job runs.
for flag in plan.warnings(PARAMS):
    logger.warning(f"Verdict design: {flag} (python -m rectifier plan)")
# The jobs read the params file this names: params.yaml, or the config as --configfile and
# --config changed it (written once, by digest). An environment variable, not a command-line
# argument, so that an edit of an unrelated knob does not change every rule's command.
os.environ.update(RECTIFIER_PARAMS=str(effective_file(config, "params.yaml")))
DATA = config["data"]["root"]
# Every output but the data (results/, pretrained/, reports/, logs/) lies under `outputs`: an
# experiment's config names its own folder, so its jobs, report and DVC stage stand apart.
OUTPUTS = config.get("outputs", ".")


def out(path):
    """`path` under the outputs folder ("results/x", not "./results/x", for the default)."""
    return os.path.normpath(os.path.join(OUTPUTS, path))


# Digests of the code behind each step (rectifier.code), read from the package beside the
# Snakefile; the steps take them among their params, so an edit of a module reruns its steps.
CODE = digests(Path(workflow.basedir) / "src" / "rectifier")
# {variant}: "" in Table 1's setting, else the L1 penalty and/or the labels' fraction
# (rectifier.names.variant), so Table 1's jobs keep their folders whatever a sweep adds.
RUN = out("results/{dataset}/{activation}/{pretraining}/{variant}lr{lr}/seed{seed}")
STACK = out("pretrained/{dataset}/{activation}/lr{lr}/seed{seed}")
# The rate chosen among candidates, with the table it was chosen on (checkpoints: the jobs of
# the seeds that did not run every candidate follow from it; selection.seeds `first`).
PRETRAINING_RATE = out("pretrained/{dataset}/{activation}/rate.json")
TRAINING_RATE = out("results/{dataset}/{activation}/{pretraining}/{variant}rate.json")
# the list of stacks: the pretrain phase's one sure output
STACKS = out("pretrained/stacks.txt")
REPORT = [out("reports/report.md"), out("reports/report.html")]
TABLES = [
    out(f"reports/tables/{name}.{ext}")
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
SUMMARY = out("reports/metrics.json")  # for `dvc metrics show`
PLOTS = out("reports/plots")  # for `dvc plots show`


wildcard_constraints:
    dataset="[a-z][a-z0-9_]*",
    activation="|".join(map(re.escape, PARAMS.activations)),
    pretraining="|".join(PARAMS.pretraining),
    seed=r"\d+",
    lr=r"[0-9.e+-]+",
    variant=r"(l1_[0-9.e+-]+/)?(labels[0-9.e+-]+/)?",


def prepared(dataset):
    return f"{DATA}/{dataset}/prepared.npz"


def rates(candidates, seed, choice):
    """The rate labels a seed runs: every candidate when it is one of the seeds that choose
    (selection.seeds), else the one `choice()` reads from the choice (a checkpoint)."""
    if len(candidates) == 1 or seed in PARAMS.candidate_seeds():
        return [lr_label(lr) for lr in candidates]
    return [choice()]


def chosen(checkpoint, **wildcards):
    """The rate label a choice (checkpoint) wrote for these wildcards."""
    path = checkpoint.get(**wildcards).output[0]
    return lr_label(read_choice(path))


# Each swept value of train.l1 and train.label_fraction is a result of its own (a variant);
# train.l1 may differ by activation.
VARIANTS = {a: [variant(*point) for point in PARAMS.sweep_points(a)] for a in PARAMS.activations}


def run_metrics(wildcards=None):
    """Every training job's metrics.json: an input function, since under selection.seeds
    `first` the rate of the other seeds' jobs is a checkpoint's choice."""
    targets = []
    for d in PARAMS.datasets:
        for a in PARAMS.activations:
            for p in PARAMS.pretraining:
                for v in VARIANTS[a]:
                    for s in PARAMS.seeds:
                        choice = lambda: chosen(
                            checkpoints.training_rate,
                            dataset=d,
                            activation=a,
                            pretraining=p,
                            variant=v,
                        )
                        for lr in rates(PARAMS.learning_rates, s, choice):
                            run = RUN.format(
                                dataset=d, activation=a, pretraining=p, variant=v, lr=lr, seed=s
                            )
                            targets.append(os.path.join(run, "metrics.json"))
    return targets


def candidate_runs(wildcards):
    """A configuration's candidates: every rate on the seeds that choose."""
    return expand(
        f"{RUN}/metrics.json",
        **wildcards,
        lr=[lr_label(x) for x in PARAMS.learning_rates],
        seed=PARAMS.candidate_seeds(),
    )


def stack_rate(dataset, activation):
    """The pre-training rate an activation chose on validation reconstruction."""
    if len(PARAMS.pretraining_rates) == 1:
        return lr_label(PARAMS.pretraining_rates[0])
    return chosen(checkpoints.pretraining_rate, dataset=dataset, activation=activation)


def stacks(wildcards=None, name="stack.pt"):
    """Every pre-training job's `name`: the candidates, and the chosen rate's other seeds."""
    if "dae" not in PARAMS.pretraining:
        return []
    paths = []
    for d in PARAMS.datasets:
        for a in PARAMS.activations:
            for s in PARAMS.seeds:
                choice = lambda: stack_rate(d, a)
                paths += [
                    os.path.join(STACK.format(dataset=d, activation=a, lr=lr, seed=s), name)
                    for lr in rates(PARAMS.pretraining_rates, s, choice)
                ]
    return paths


def candidate_stacks(wildcards):
    """An activation's candidate stacks: every pre-training rate on the seeds that choose."""
    return expand(
        f"{STACK}/metrics.json",
        **wildcards,
        lr=[lr_label(x) for x in PARAMS.pretraining_rates],
        seed=PARAMS.candidate_seeds(),
    )


def train_inputs(wildcards):
    """The prepared data, and the pre-trained stack when the run fine-tunes one."""
    inputs = {"data": prepared(wildcards.dataset)}
    if wildcards.pretraining == "dae":
        lr = stack_rate(wildcards.dataset, wildcards.activation)
        inputs["stack"] = os.path.join(STACK.format(**{**wildcards, "lr": lr}), "stack.pt")
    return inputs


def memory_mb(wildcards, rule):
    """mem_mb of a job on a data set's network (rectifier.resources); prepare holds the data."""
    hidden = () if rule == "prepare" else PARAMS.hidden_for(wildcards.dataset)
    return network_mb(
        wildcards.dataset,
        hidden,
        f"{DATA}/{wildcards.dataset}/prepared.json",
        pretraining=rule == "pretrain",
    )


def runtime(wildcards, rule):
    """runtime (minutes, SLURM's time limit) of a training or pre-training job: from the data
    set, the network and the epoch budget (rectifier.resources)."""
    epochs = config["pretrain"]["epochs"] if rule == "pretrain" else config["train"]["max_epochs"]
    return runtime_min(
        wildcards.dataset,
        PARAMS.hidden_for(wildcards.dataset),
        epochs,
        f"{DATA}/{wildcards.dataset}/prepared.json",
        pretraining=rule == "pretrain",
    )


# A GPU for each training and pre-training job when params.yaml asks for CUDA (auto cannot know
# what a cluster's nodes hold: a cluster user says cuda).
GPUS = 1 if config["device"] == "cuda" else 0


def data_knobs(wildcards):
    """What decides a prepared data set's content (not where it is fetched from): its split
    settings and, for the paper's public sets, the checksums pinned in params.yaml."""
    data, name = config["data"], wildcards.dataset
    if name == "digits":
        return json.dumps(data["digits"], sort_keys=True)
    if name == "mnist" or name in data["idx"]:
        return json.dumps(data["idx"].get(name), sort_keys=True)
    section = "amazon" if name.startswith("amazon_") else name  # the paper's public sets
    return json.dumps({"split": data[section], "checksums": data["checksums"]}, sort_keys=True)


def train_knobs(wildcards):
    """What decides a run's result, so Snakemake reruns exactly the jobs whose knobs changed."""
    # lr, l1 and label_fraction are wildcards: a value added to a sweep reruns no other job
    train = {k: v for k, v in config["train"].items() if k not in ("lr", "l1", "label_fraction")}
    knobs = {
        "train": train,
        "hidden": list(PARAMS.hidden_for(wildcards.dataset)),
        "device": config["device"],
    }
    return json.dumps(knobs, sort_keys=True)


def pretrain_knobs(wildcards):
    """What decides a stack: changing a fine-tuning knob does not redo pre-training."""
    pretrain = {k: v for k, v in config["pretrain"].items() if k != "lr"}  # lr: a wildcard
    if isinstance(pretrain["l1"], dict):  # per activation: a stack's is its own activation's
        pretrain["l1"] = PARAMS.pretrain_l1(wildcards.activation)
    knobs = {
        "pretrain": pretrain,
        "sign_trick": config["train"]["sign_trick"],  # enters a signed stack
        "hidden": list(PARAMS.hidden_for(wildcards.dataset)),
        "device": config["device"],
    }
    return json.dumps(knobs, sort_keys=True)


def choices(which):
    """Every rate.json of the pre-training or training choices the workflow makes. Listed among
    the targets up front: an input function stops at the first checkpoint not yet run, so
    without them the configurations' candidates would run one configuration after another."""
    if which == "pretraining" and "dae" in PARAMS.pretraining and len(PARAMS.pretraining_rates) > 1:
        return expand(PRETRAINING_RATE, dataset=PARAMS.datasets, activation=PARAMS.activations)
    if (
        which == "training"
        and len(PARAMS.learning_rates) > 1
        and PARAMS.candidate_seeds() != PARAMS.seeds
    ):
        return [
            path
            for a in PARAMS.activations
            for path in expand(
                TRAINING_RATE,
                dataset=PARAMS.datasets,
                activation=a,
                pretraining=PARAMS.pretraining,
                variant=VARIANTS[a],
            )
        ]
    return []


def all_targets():
    # The report rule needs every other output; the choices are listed for parallelism.
    return REPORT + [STACKS] + choices("pretraining") + choices("training")


def variant_options(wildcards):
    """The train command's --l1 and --label-fraction, read back from the job's folder."""
    l1, fraction = parse_variant(wildcards.variant)
    return f"--l1 {l1!r} --label-fraction {fraction!r}"
