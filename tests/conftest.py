import os
import sys
from pathlib import Path

import pytest
from helpers import write_params

# The pipeline's tools (snakemake, dvc, python) come from the environment running the tests.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
os.environ["DVC_NO_ANALYTICS"] = "1"
os.environ.pop("MLFLOW_TRACKING_URI", None)
os.environ.pop("RECTIFIER_DATA_MIRRORS", None)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A working folder holding a tiny params.yaml, made the current directory."""
    write_params(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path
