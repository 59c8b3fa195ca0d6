"""params.yaml as one typed, validated object.

The same JSON schema validates the file here and in the Snakefile, so a typo or a bad value fails
before any job starts, with a message that names the key and what is allowed.
"""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import yaml

from . import atomic, paper
from .names import family
from .verdicts import SPARSITY_MARGIN, Margins

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "params.schema.yaml"

# Data sets the package knows by name; any other must be declared under data.idx.
BUILTIN_DATASETS = ("digits", "mnist", "cifar10", "norb", "smallnorb", "amazon_books",
                    "amazon_dvd", "amazon_electronics", "amazon_kitchen")


class ConfigError(ValueError):
    """params.yaml is malformed; the message names the key."""


# An L1 penalty: one value, a sweep of values, or either per activation ({"rectifier": 0.001,
# "default": 0}: the authors' library put it on the rectifier only).
Penalty = float | tuple[float, ...] | dict[str, float | tuple[float, ...]]


def per_activation(value, activation: str):
    """A knob's value for one activation: the value itself, or, where it is given per activation,
    the activation's own entry, else its family's (softplus for softplus_a3), else `default`;
    None where none applies."""
    if not isinstance(value, dict):
        return value
    for key in (activation, family(activation), "default"):
        if key in value:
            return value[key]
    return None


@dataclass(frozen=True)
class Train:
    minibatch: int
    lr: float | tuple[float, ...]       # one rate, or candidates to select from (learning_rates)
    max_epochs: int
    patience: int
    l1: Penalty                         # one penalty, a sweep (each value a result), or either
                                        # per activation (l1_values)
    sign_trick: bool
    eval_batch: int
    engine: str                         # fused | autograd: the same SGD step, two implementations
    label_fraction: float | tuple[float, ...] = 1.0     # of the training labels; or a sweep


@dataclass(frozen=True)
class Pretrain:
    noise: float
    lr: float | tuple[float, ...]       # one rate, or candidates to select from (rates)
    epochs: int
    minibatch: int
    l1: float | dict[str, float]        # one penalty, or per activation (Params.pretrain_l1)
    recipe: str
    engine: str                         # fused | autograd, as Train.engine
    signed_codes: bool                  # the sign trick inside the auto-encoders (the authors')


@dataclass(frozen=True)
class Tracking:
    enabled: bool
    experiment: str
    uri: str | None

    def __post_init__(self):
        # params.yaml is committed, copied into every job's settings and logged: a password
        # written into the URL would travel with all of them.
        if self.uri and "@" in urlsplit(self.uri).netloc:
            raise ConfigError("tracking.uri carries credentials (user:password@host): give the "
                             "URL alone and the credentials in the environment "
                             "(MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD)")


@dataclass(frozen=True)
class Params:
    datasets: tuple[str, ...]
    activations: tuple[str, ...]
    pretraining: tuple[str, ...]
    seeds: tuple[int, ...]
    data: dict[str, Any]
    hidden: tuple[int, ...]
    hidden_per_dataset: dict[str, tuple[int, ...]]
    train: Train
    pretrain: Pretrain
    margins: Margins                    # verdicts: each kind of verdict's equivalence margins
    selection_seeds: str                # selection.seeds: all | first
    device: str
    tracking: Tracking
    raw: dict[str, Any]

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Params:
        validate(raw)
        model = raw["model"]
        return cls(
            datasets=tuple(raw["datasets"]),
            activations=tuple(raw["activations"]),
            pretraining=tuple(raw["pretraining"]),
            seeds=tuple(raw["seeds"]),
            data=raw["data"],
            hidden=tuple(model["hidden"]),
            hidden_per_dataset={k: tuple(v) for k, v in model["hidden_per_dataset"].items()},
            train=Train(**{**raw["train"], "lr": _rates(raw["train"]["lr"]),
                           "l1": _penalty(raw["train"]["l1"]),
                           "label_fraction": _rates(raw["train"].get("label_fraction", 1.0))}),
            pretrain=Pretrain(**{**raw["pretrain"], "lr": _rates(raw["pretrain"]["lr"]),
                                 "l1": _penalty(raw["pretrain"]["l1"])}),
            margins=Margins(
                {k: float(v) for k, v in raw["verdicts"]["margin"].items()},
                {k: float(v) for k, v in raw["verdicts"].get("comparison_margin", {}).items()},
                float(raw["verdicts"].get("sparsity_margin", SPARSITY_MARGIN))),
            selection_seeds=raw.get("selection", {"seeds": "all"})["seeds"],
            device=raw["device"],
            tracking=Tracking(**raw["tracking"]),
            raw=raw,
        )

    @property
    def sparsity_margin(self) -> float:
        return self.margins.sparsity

    @property
    def learning_rates(self) -> tuple[float, ...]:
        """The fine-tuning rates to run; each configuration keeps its best on validation."""
        return _as_tuple(self.train.lr)

    def l1_values(self, activation: str) -> tuple[float, ...]:
        """The fine-tuning L1 penalties an activation runs: a sweep's values are each a result
        (Figure 3)."""
        return _as_tuple(per_activation(self.train.l1, activation))

    def pretrain_l1(self, activation: str) -> float:
        """The L1 penalty on an activation's auto-encoder codes."""
        return per_activation(self.pretrain.l1, activation)

    @property
    def label_fractions(self) -> tuple[float, ...]:
        """The fractions of the training labels to fine-tune on (Figure 4)."""
        return _as_tuple(self.train.label_fraction)

    def sweep_points(self, activation: str) -> list[tuple[float, float]]:
        """(l1, label fraction) of every point of an activation's sweeps, each a result of its
        own."""
        return [(l1, f) for l1 in self.l1_values(activation) for f in self.label_fractions]

    @property
    def pretraining_rates(self) -> tuple[float, ...]:
        """The pre-training rates to run; each activation keeps its best (selection)."""
        return _as_tuple(self.pretrain.lr)

    def candidate_seeds(self) -> tuple[int, ...]:
        """The seeds that run every candidate rate: all, or the first (selection.seeds)."""
        return self.seeds if self.selection_seeds == "all" else self.seeds[:1]

    def planned(self) -> tuple[int, int]:
        """How many training jobs and stacks the run makes: per configuration (and sweep point)
        every candidate rate on the seeds that choose and the chosen one on the others; per
        activation likewise for the stacks, when it pre-trains."""
        def jobs(rates: tuple) -> int:
            choosers = len(self.candidate_seeds()) if len(rates) > 1 else len(self.seeds)
            return len(rates) * choosers + len(self.seeds) - choosers
        cells = len(self.datasets) * len(self.activations)
        stacks = cells * jobs(self.pretraining_rates) if "dae" in self.pretraining else 0
        points = sum(len(self.sweep_points(a)) for a in self.activations)
        return len(self.datasets) * len(self.pretraining) * points * jobs(
            self.learning_rates), stacks

    def cells(self) -> list[tuple[str, str, str]]:
        """Table 1's cells the run makes: (data set, activation, pre-training)."""
        return list(itertools.product(self.datasets, self.activations, self.pretraining))

    def hidden_for(self, dataset: str) -> tuple[int, ...]:
        """Hidden layer sizes for a data set: its override if any, else the default."""
        return self.hidden_per_dataset.get(dataset, self.hidden)


def _as_tuple(lr: float | tuple[float, ...]) -> tuple[float, ...]:
    return lr if isinstance(lr, tuple) else (lr,)


def _rates(lr: float | list[float]) -> float | tuple[float, ...]:
    return tuple(float(x) for x in lr) if isinstance(lr, list) else float(lr)


def _penalty(value) -> Penalty:
    return {k: _rates(v) for k, v in value.items()} if isinstance(value, dict) else _rates(value)


def load(path: str | Path = "params.yaml", overrides: dict[str, Any] | None = None) -> Params:
    """Read, validate and type params.yaml; `overrides` maps dotted keys to values (tests)."""
    path = Path(path)
    # the params file the workflow merges (effective_file) is made again once deleted
    remedy = ("; delete it and `snakemake` writes it again" if path.parent.name == "rectifier"
              and path.parent.parent.name == ".snakemake" else "")
    try:
        raw = yaml.safe_load(path.read_bytes().decode())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid YAML: {err}{remedy}") from None
    for dotted, value in (overrides or {}).items():
        node = raw
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node[key]
        node[leaf] = value
    try:
        return Params.from_dict(raw)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}{remedy}") from None


@cache
def schema() -> dict[str, Any]:
    return yaml.safe_load(SCHEMA.read_text())


def validate(raw: Any) -> None:
    """Raise ConfigError naming the first bad key (schema), then check cross-key rules."""
    if not isinstance(raw, dict):
        raise ConfigError("the top level must be a mapping of sections")
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError("; ".join(_describe(e) for e in errors[:5]))
    known = set(BUILTIN_DATASETS) | set(raw["data"]["idx"])
    for i, name in enumerate(raw["datasets"]):
        if paper.unavailable(name):
            raise ConfigError(f"datasets[{i}]: {name!r} is not available "
                              f"({paper.unavailable(name)}; see docs/data.md)")
        if name not in known:
            raise ConfigError(
                f"datasets[{i}]: unknown data set {name!r}; known: {sorted(known)} "
                "(declare others under data.idx)")
    for key in ("train.l1", "pretrain.l1"):
        section, name = key.split(".")
        value = raw[section][name]
        missing = [a for a in raw["activations"] if per_activation(value, a) is None]
        if missing:
            raise ConfigError(f"{key}: no penalty for {missing}; give each activation its own, "
                              "or a `default`")
    clash = set(raw["data"]["idx"]) & set(BUILTIN_DATASETS)
    if clash:
        raise ConfigError(f"data.idx: {sorted(clash)} would shadow a built-in data set")


def _leaves(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The complaints of the alternatives a oneOf or anyOf tried, however nested."""
    return [leaf for e in error.context for leaf in _leaves(e)] if error.context else [error]


def _describe(error: jsonschema.ValidationError) -> str:
    # oneOf, anyOf: the deepest complaint of an alternative of the right type
    error = max(_leaves(error), key=lambda e: (len(e.absolute_path),
                                               e.validator not in ("type", "const")))
    key = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in error.absolute_path)
    key = key.replace(".[", "[") or "(top level)"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"{key}: {error.message}; allowed keys: {allowed}"
    if error.validator == "pattern" and "description" in error.schema:   # say what it must be
        return f"{key}: {error.instance!r} is not {error.schema['description']}"
    return f"{key}: {error.message}"


def effective_file(effective: dict[str, Any], path: str | Path = "params.yaml",
                   folder: str | Path = ".snakemake/rectifier") -> Path:
    """The params file that jobs started by Snakemake read. `path` itself when Snakemake's config
    (params.yaml under --configfile and --config) equals it; otherwise the effective config,
    validated, written once to a file named by its digest, so that what the jobs read is exactly
    what decided which jobs run and with which knobs."""
    Params.from_dict(effective)
    if effective == yaml.safe_load(Path(path).read_text()):
        return Path(path)
    text = yaml.safe_dump(effective, sort_keys=False)
    target = Path(folder) / f"params-{hashlib.sha256(text.encode()).hexdigest()[:16]}.yaml"
    if not target.exists():
        atomic.write_text(target, "# Written by the workflow: params.yaml with the command line's "
                          "--configfile and --config applied.\n" + text)
    return target
