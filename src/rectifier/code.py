"""The code each step of the workflow runs, in one place: Snakemake reruns a rule when the digest
of its modules changes (a rule's command text alone hides an edit of the package), and DVC's
stages list the same files as deps (tests/test_dvc.py holds the two equal).

Paths are relative to src/rectifier; a folder stands for every file under it (its templates
too), caches aside. config.py is
left out of the computing steps: what it reads reaches them as params, which they track already.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent

# What a job runs besides its own step: the network, and reading the prepared data (its loader
# scales the inputs) and writing results atomically.
_NETWORK = ("activations.py", "fused.py", "model.py", "sparsity.py", "resume.py", "job.py",
            "labels.py", "names.py", "tracking.py", "provenance.py", "atomic.py", "damaged.py",
            "data/prepared.py", "data/download.py")
STEPS: dict[str, tuple[str, ...]] = {
    "prepare": ("config.py", "paper.py", "atomic.py", "damaged.py", "data"),
    "pretrain": _NETWORK + ("pretrain.py",),
    "train": _NETWORK + ("pretrain.py", "train.py", "mlflow_model.py"),
    "choose": ("paper.py", "names.py", "runs.py", "selection.py", "atomic.py", "damaged.py"),
    "tables": ("paper.py", "names.py", "runs.py", "selection.py", "verdicts.py", "tables.py",
               "rounding.py", "atomic.py", "damaged.py"),
    "report": ("paper.py", "names.py", "runs.py", "selection.py", "verdicts.py", "tables.py",
               "operating.py", "report", "experiments.py", "ablations.py", "deviations.py",
               "wording.py", "figures.py", "rounding.py", "atomic.py", "damaged.py"),
}


def files(step: str, package: Path = PACKAGE) -> list[Path]:
    """The source files of `step`, sorted."""
    found = []
    for name in STEPS[step]:
        path = package / name
        found += ([p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
                  if path.is_dir() else [path])
    return sorted(found)


def digest(step: str, package: Path = PACKAGE) -> str:
    """SHA-256 over the step's files (names and contents): what a rule records to rerun on."""
    sha = hashlib.sha256()
    for path in files(step, package):
        sha.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


def digests(package: Path = PACKAGE) -> dict[str, str]:
    """Every step's digest."""
    return {step: digest(step, package) for step in STEPS}
