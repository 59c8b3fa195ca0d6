"""The resume checkpoint of a job: written atomically after every epoch, read back only by a job
with the same fingerprint (settings and data), and never unpickled (weights_only). A damaged one
is said and set aside: the job starts over, since resuming is a shortcut to the same result."""
import logging
from pathlib import Path

import torch

from . import atomic
from .damaged import DamagedFile, load_torch

log = logging.getLogger("rectifier.resume")


def save(path: Path, fingerprint: str, state: dict) -> None:
    payload = {"fingerprint": fingerprint, **state}
    atomic.write_with(path, lambda handle: torch.save(payload, handle))


def load(path: Path, fingerprint: str) -> dict | None:
    """The saved state, or None when there is none or it belongs to other settings."""
    if not path.exists():
        return None
    try:
        saved = load_torch(path, map_location="cpu")
    except DamagedFile as err:      # a shortcut only: the job starts over and ends the same
        log.warning("%s; starting afresh instead", err)
        return None
    if saved.pop("fingerprint", None) != fingerprint:
        log.warning("%s belongs to a run with other settings: starting afresh", path)
        return None
    return saved
