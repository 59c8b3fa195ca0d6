"""Helpers for the tests: tiny params, and running the package's CLI as a user would."""
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

TEST_CONFIG = ROOT / ".test" / "config.yaml"


def _flat(node: dict, prefix: str = "") -> dict:
    """{"train": {"lr": 1}} -> {"train.lr": 1}"""
    flat = {}
    for key, value in node.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


# The workflow's tiny config (.test/config.yaml), narrowed to unit size: one seed, no
# pre-training; a test that wants them says so.
TINY = {**_flat(yaml.safe_load(TEST_CONFIG.read_text())), "seeds": [1], "pretraining": ["none"]}


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

