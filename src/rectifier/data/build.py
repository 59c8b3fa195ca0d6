"""prepare(): turn a data set name into <root>/<name>/prepared.npz and its prepared.json."""
from __future__ import annotations

from pathlib import Path

from rectifier import atomic
from rectifier.config import Params
from rectifier.data import amazon, cifar, digits, idxset, norb, prepared, registry

BUILDERS = {registry.IdxSpec: idxset.build, registry.CifarSpec: cifar.build,
            registry.NorbSpec: norb.build, registry.AmazonSpec: amazon.build}


def prepare(params: Params, name: str) -> Path:
    """Build the prepared files of `name` (raw downloads under <root>/<name>/raw/); return the npz.

    Rerunning is cheap and changes nothing: verified raw files are reused, and the same arrays
    give byte-identical output.
    """
    spec = registry.resolve(params.data, name)
    npz = prepared_path(params, name)
    folder = npz.parent
    if isinstance(spec, registry.DigitsSpec):
        arrays = digits.build(spec)
    else:
        arrays = BUILDERS[type(spec)](spec, folder / "raw", params.data)
    sha256 = prepared.save(npz, name, arrays)
    atomic.write_json(folder / "prepared.json", {
        "name": name,
        "source": arrays.source,
        "sizes": {split: len(getattr(arrays, f"y_{split}")) for split in prepared.SPLITS},
        "unlabelled": 0 if arrays.x_unlabelled is None else len(arrays.x_unlabelled),
        "n_features": arrays.x_train.shape[1],
        "classes": arrays.classes,
        "x_scale": arrays.x_scale,
        "sha256": sha256,
        "raw_sha256": arrays.raw_sha256,
    })
    return npz


def prepared_path(params: Params, name: str) -> Path:
    return Path(params.data["root"]) / name / "prepared.npz"
