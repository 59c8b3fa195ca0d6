"""Data sets: fetch, verify, split once, and store as prepared.npz for every training job.

    npz = prepare(params, "mnist")   # <root>/mnist/prepared.npz (+ prepared.json, raw/)
    splits = load(npz)               # Splits: x float32 in [0, 1], y int64, classes, sha256
"""
from rectifier.data.build import prepare, prepared_path
from rectifier.data.download import DownloadError
from rectifier.data.idx import IdxError
from rectifier.data.prepared import Splits, load
from rectifier.data.registry import IdxSpec, names

__all__ = ["prepare", "prepared_path", "load", "Splits", "DownloadError", "IdxError", "IdxSpec", "names"]
