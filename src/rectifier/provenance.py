"""What produced a result: device, software versions, commit. Recorded with every run."""
import os
import platform
import socket
import subprocess
from functools import cache
from pathlib import Path

import torch

from .config import ROOT


def pick_device(choice: str) -> torch.device:
    """auto: CUDA when present, else the CPU. An explicit cuda without a GPU is an error."""
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device: cuda was asked for in params.yaml but torch sees no CUDA device")
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(choice)


def device_name(device: torch.device) -> str:
    """The GPU's name; for the CPU its model and the instruction set torch's kernels use: the
    same job has rounded differently on two machines (docs/protocol.md)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{cpu_model()} ({torch.backends.cpu.get_cpu_capability()})"


@cache
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@cache
def git_commit() -> str | None:
    """The checkout's commit, with '-dirty' when tracked files differ from it; None outside git."""
    try:
        run = lambda *args: subprocess.run(["git", *args], cwd=ROOT, capture_output=True,
                                           text=True, timeout=10)
        head = run("rev-parse", "HEAD")
        if head.returncode != 0:
            return None
        dirty = run("status", "--porcelain", "--untracked-files=no").stdout.strip()
        return head.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def versions() -> dict[str, str]:
    return {
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
    }


def where() -> dict[str, str | None]:
    """Where the job ran: the host, and the SLURM job (and array task) when a scheduler ran it."""
    array = os.environ.get("SLURM_ARRAY_TASK_ID")
    return {"host": socket.gethostname(), "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
            **({"slurm_array_task_id": array} if array else {})}
