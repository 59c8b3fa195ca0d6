"""One error for a file the pipeline wrote and reads back, found damaged (empty, cut short, not
its format, a key missing): a full disk, a killed copy or a bad sync leave such files. The message
names the file, says what is wrong with it and how to mend it; the CLI prints it on one line.
Reading each kind of file goes through here, so each is read one way."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np


class DamagedFile(ValueError):
    """A file the pipeline wrote is not what it wrote."""

    def __init__(self, path: str | Path, what: str, remedy: str | None = None):
        self.path = Path(path)
        super().__init__(f"{path}: {what}; {remedy or remedy_for(path)}")


def remedy_for(path: str | Path) -> str:
    """A published file (under a published folder's runs/, beside its params.yaml) is restored
    from git; anything else the workflow makes again."""
    for folder in Path(path).resolve().parents:
        if folder.name == "runs" and (folder.parent / "params.yaml").exists():
            return f"this is a published file: restore it with `git checkout -- {path}`"
    return "delete it and `snakemake` makes it again"


def read_json(path: str | Path, keys: tuple[str, ...] = (), remedy: str | None = None) -> dict:
    """A JSON object holding `keys`."""
    try:
        found = json.loads(Path(path).read_bytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DamagedFile(path, f"not valid JSON ({err})", remedy) from None
    if not isinstance(found, dict):
        raise DamagedFile(path, "not a JSON object", remedy)
    missing = [k for k in keys if k not in found]
    if missing:
        raise DamagedFile(path, f"missing required key(s) {missing}", remedy)
    return found


def read_choice(path: str | Path) -> float:
    """The rate a choice (rate.json) holds."""
    found = read_json(path, ("lr",))
    if not isinstance(found["lr"], int | float) or isinstance(found["lr"], bool):
        raise DamagedFile(path, f"'lr' must be a number, got {found['lr']!r}")
    return float(found["lr"])


def read_npz(blob: bytes, path: str | Path, keys: tuple[str, ...],
             remedy: str | None = None) -> dict[str, np.ndarray]:
    """The arrays `keys` of an .npz file's bytes (and any other it holds)."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            missing = [k for k in keys if k not in npz.files]
            if missing:
                raise DamagedFile(path, f"missing array(s) {missing}", remedy)
            return {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        if isinstance(err, DamagedFile):
            raise
        raise DamagedFile(path, f"not a readable .npz file ({type(err).__name__}: {err})",
                          remedy) from None


def read_csv(path: str | Path, remedy: str | None = None, columns: tuple[str, ...] = (),
             **options):
    """A CSV file as a DataFrame holding `columns` (pandas.read_csv's `options`)."""
    import pandas as pd
    try:
        found = pd.read_csv(path, **options)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DamagedFile(path, f"not a readable CSV file ({type(err).__name__}: {err})",
                          remedy) from None
    missing = [c for c in columns if c not in found.columns]
    if missing:
        raise DamagedFile(path, f"missing column(s) {missing}", remedy)
    return found


def load_torch(path: str | Path, remedy: str | None = None, **kwargs):
    """A torch file (a stack, a checkpoint, a resume state), never unpickled."""
    import pickle

    import torch
    try:
        return torch.load(path, weights_only=True, **kwargs)
    except FileNotFoundError:
        raise
    except (RuntimeError, EOFError, OSError, pickle.UnpicklingError, zipfile.BadZipFile,
            ValueError, KeyError) as err:
        raise DamagedFile(path, f"not a readable torch file ({type(err).__name__}: "
                          f"{str(err).splitlines()[0] if str(err) else ''})", remedy) from None
