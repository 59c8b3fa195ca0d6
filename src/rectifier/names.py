"""How jobs and their files are named, in one place: the workflow's targets, each job's own name
and folder, and the reader of results (rectifier.runs) all use these."""
import re

# The scaled softplus (1/a) softplus(a x), as params.schema.yaml spells it: a > 0, no leading
# zero. Parsing the name needs no torch, so the tables and the report read it from here.
SCALED_SOFTPLUS = re.compile(r"softplus_a(?P<a>[1-9][0-9]*(\.[0-9]+)?|0\.[0-9]*[1-9][0-9]*)")


def sharpness(name: str) -> float | None:
    """a of a scaled softplus `softplus_a<a>`; 1 for softplus; None for any other activation."""
    if name == "softplus":
        return 1.0
    found = SCALED_SOFTPLUS.fullmatch(name)
    return None if found is None else float(found["a"])


def family(name: str) -> str:
    """The activation a name belongs to: softplus for every scaled softplus."""
    return "softplus" if sharpness(name) is not None else name


def lr_label(lr: float) -> str:
    """A learning rate as it names a job: the shortest form, so 1.0 and 1 are one name ("1"),
    0.1 is "0.1" and 1e-4 "0.0001"."""
    return f"{float(lr):g}"


# Table 1's setting: its jobs' folders carry no segment for the L1 penalty or the labels.
TABLE1_L1, ALL_LABELS = 0.001, 1.0


def variant(l1: float = TABLE1_L1, label_fraction: float = ALL_LABELS) -> str:
    """The folder segment of a job outside Table 1's setting: "" for L1 0.001 on every label,
    else "l1_<penalty>/" and/or "labels<fraction>/". A function of the values alone, so a job
    has one folder whatever else a sweep runs (Figure 3's point at 0.001 is Table 1's job)."""
    return ((f"l1_{lr_label(l1)}/" if float(l1) != TABLE1_L1 else "")
            + (f"labels{lr_label(label_fraction)}/" if float(label_fraction) != ALL_LABELS else ""))


def parse_variant(segment: str) -> tuple[float, float]:
    """(l1, label fraction) of a variant segment (the inverse of variant)."""
    l1, fraction = TABLE1_L1, ALL_LABELS
    for part in filter(None, segment.split("/")):
        if part.startswith("l1_"):
            l1 = float(part.removeprefix("l1_"))
        elif part.startswith("labels"):
            fraction = float(part.removeprefix("labels"))
        else:
            raise ValueError(f"not a variant segment: {segment!r}")
    return l1, fraction


def job_id(dataset: str, activation: str, pretraining: str, lr: float, seed: int,
           l1: float = TABLE1_L1, label_fraction: float = ALL_LABELS) -> str:
    """A training job's folder under results/, which names it everywhere (histories, reports)."""
    return (f"{dataset}/{activation}/{pretraining}/{variant(l1, label_fraction)}"
            f"lr{lr_label(lr)}/seed{seed}")


def pretraining_job_id(dataset: str, activation: str, lr: float, seed: int) -> str:
    """A pre-training job's folder under pretrained/ (lr: the auto-encoders' rate)."""
    return f"{dataset}/{activation}/lr{lr_label(lr)}/seed{seed}"


def run_name(dataset: str, activation: str, pretraining: str, lr: float, seed: int,
             l1: float = TABLE1_L1, label_fraction: float = ALL_LABELS) -> str:
    """A job's MLflow run name: what tells runs apart first (the UI cuts long names at the end),
    the data set last. pretraining "pretrain" names a pre-training job (its rate: the
    auto-encoders')."""
    extra = variant(l1, label_fraction).replace("/", " ")
    return f"{activation} {pretraining} {extra}lr{lr_label(lr)} s{seed} {dataset}"


# The columns of a training job's history.csv, one row per epoch.
HISTORY_COLUMNS = ("epoch", "train_nll", "train_l1", "train_error_pct", "valid_nll",
                   "valid_error_pct", "seconds")
# A pre-training job's: one row per layer and epoch.
PRETRAIN_HISTORY_COLUMNS = ("layer", "epoch", "recon_loss", "l1", "seconds")
