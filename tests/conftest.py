import os
import subprocess
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


# What only the full tier may start: a real pipeline, a server, a cluster, a browser. A test that
# starts one and is not marked slow fails, so the quick tier (make check) stays quick and the
# marking stays complete.
HEAVY = {"snakemake", "dvc", "mlflow", "slurmctld", "slurmd", "munged", "sbatch", "srun",
         "chromium", "chromedriver"}


def _program(args) -> str:
    argv = args.split() if isinstance(args, str) else [os.fspath(a) for a in args]
    if Path(argv[0]).name.startswith("python") and argv[1:2] == ["-m"] and len(argv) > 2:
        return argv[2]                      # python -m snakemake, python -m mlflow
    return Path(argv[0]).name


@pytest.fixture(autouse=True)
def _quick_tests_start_nothing_heavy(request, monkeypatch):
    if request.node.get_closest_marker("slow"):
        return
    started = subprocess.Popen.__init__

    def guarded(self, args, *rest, **kwargs):
        if _program(args) in HEAVY:
            raise AssertionError(f"{request.node.nodeid} starts {_program(args)}: mark it "
                                 "@pytest.mark.slow (the full tier)")
        started(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", guarded)


# The longest modules first: under --dist loadscope each module goes whole to the next free
# worker, so the SLURM cluster test (about 4.5 minutes) starts at once instead of last.
LONGEST = ("test_cluster.py", "test_pipeline_public.py", "test_damaged.py", "test_pipeline.py",
           "test_report.py", "test_dvc.py", "test_mlflow_server.py", "test_sweeps.py")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: LONGEST.index(item.path.name) if item.path.name in LONGEST
               else len(LONGEST))
