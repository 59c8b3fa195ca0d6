"""How jobs and their files are named, in one place: the workflow's targets, each job's own name
and folder, and the reader of results (rectifier.runs) all use these."""


def lr_label(lr: float) -> str:
    """A learning rate as it names a job: the shortest form, so 1.0 and 1 are one name ("1"),
    0.1 is "0.1" and 1e-4 "0.0001"."""
    return f"{float(lr):g}"


def job_id(dataset: str, activation: str, pretraining: str, lr: float, seed: int) -> str:
    """A training job's folder under results/, which names it everywhere (histories, reports)."""
    return f"{dataset}/{activation}/{pretraining}/lr{lr_label(lr)}/seed{seed}"


def pretraining_job_id(dataset: str, activation: str, lr: float, seed: int) -> str:
    """A pre-training job's folder under pretrained/ (lr: the auto-encoders' rate)."""
    return f"{dataset}/{activation}/lr{lr_label(lr)}/seed{seed}"


def run_name(dataset: str, activation: str, pretraining: str, lr: float, seed: int) -> str:
    """A job's MLflow run name: what tells runs apart first (the UI cuts long names at the end),
    the data set last. pretraining "pretrain" names a pre-training job (its rate: the
    auto-encoders')."""
    return f"{activation} {pretraining} lr{lr_label(lr)} s{seed} {dataset}"


# The columns of a training job's history.csv, one row per epoch.
HISTORY_COLUMNS = ("epoch", "train_nll", "train_l1", "train_error_pct", "valid_nll",
                   "valid_error_pct", "seconds")
