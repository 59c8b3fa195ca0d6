"""Helpers for the tests: tiny params, and running the package's CLI as a user would."""
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

TINY = {
    "datasets": ["digits"],
    "activations": ["rectifier", "tanh"],
    "seeds": [1],
    "model.hidden": [32, 32],
    "train.max_epochs": 2,
    "train.patience": 5,
    "train.lr": 0.05,
    "device": "cpu",
}


def tiny_raw(**overrides) -> dict:
    """The project's params.yaml with the tiny settings and `overrides` (dotted keys; use
    double underscores for dots in keyword arguments) applied."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    for dotted, value in {**TINY, **{k.replace("__", "."): v for k, v in overrides.items()}}.items():
        node = raw
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node[key]
        node[leaf] = value
    return raw


def write_params(folder: Path, **overrides) -> Path:
    path = Path(folder) / "params.yaml"
    path.write_text(yaml.safe_dump(tiny_raw(**overrides), sort_keys=False))
    return path


def rectifier(*args, cwd: Path, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Run `python -m rectifier ARGS` in `cwd`."""
    result = subprocess.run([sys.executable, "-m", "rectifier", *map(str, args)], cwd=cwd,
                            capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"rectifier {args} failed:\n{result.stderr[-3000:]}")
    return result

