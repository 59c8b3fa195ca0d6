"""One process per job folder. Two processes training into one folder would both write its
resume.pt, history and results, each over the other's (two queues once started the same job
minutes apart, and Snakemake's directory lock did not refuse the second). The lock is the
kernel's (flock): it goes with the process however that ends, so a killed job leaves none."""
from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK = "job.lock"


@contextmanager
def held(folder: Path, job: str) -> Iterator[None]:
    """Run the body as the only process using `folder`; fail at once, writing nothing, if
    another process holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "a process that did not say which"
            raise RuntimeError(f"{job}: {folder} is in use by {holder}; two processes would "
                               "overwrite each other's results: wait for it or stop it") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        yield
