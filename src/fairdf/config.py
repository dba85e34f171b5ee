"""Typed, validated run configuration.

A run config is a YAML file with the sections `data`, `model`, `loss`, `optim` and
`train`; each maps onto a dataclass whose defaults are the paper's setting. Unknown
keys and values of the wrong type are errors that name the key (`train.epochs`).
`--set section.key=value` overrides are parsed as YAML scalars.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from fairdf.errors import ConfigError
from fairdf.losses import LossConfig
from fairdf.models import DetectorConfig

PRECISIONS = ("fp32", "bf16", "fp16")


@dataclass
class DataConfig:
    """Where the manifests are and how images are read."""

    root: str = "."  # folder of the manifests; relative to the config file
    train_real: str = "realtrain.csv"
    train_fake: str = "faketrain.csv"
    val_real: str = "realval.csv"
    val_fake: str = "fakeval.csv"
    scheme: str | None = None  # ffpp, dfdc, celebdf, dfd; None = detect from the manifests
    # a scheme declared by its attributes instead, {column: [values]} (fairdf.data.attributes)
    attributes: dict[str, list[str]] | None = None
    workers: int = 2
    group_counts: list[int] | None = None  # LDAM counts; None = count the training manifests
    skip_corrupt: bool = False


@dataclass
class OptimConfig:
    """SGD wrapped in SAM (loss flattening), StepLR schedule (METHOD.md section 4)."""

    lr: float = 5e-4
    momentum: float = 0.9
    weight_decay: float = 5e-3
    sam: bool = True
    rho: float = 0.05
    adaptive: bool = False
    step_size: int = 60  # epochs
    gamma: float = 0.9


@dataclass
class TrainConfig:
    """Loop, precision, checkpoints."""

    epochs: int = 100
    batch_size: int = 16  # fakes per step; each is paired with a real (2x images)
    seed: int = 5
    device: str = "auto"  # auto, cpu, cuda, cuda:1, ...
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    channels_last: bool = False
    max_steps_per_epoch: int | None = None
    fairness_warmup_epochs: int = 0  # epochs trained without L_fuse before it is switched on
    eval_batch_size: int = 64
    best_metric: str = "auc"  # a key of the validation metrics, e.g. auc, F_FPR, F_MEO
    best_mode: Literal["max", "min"] = "max"
    progress: bool = True


@dataclass
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: DetectorConfig = field(default_factory=DetectorConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_config(path: str | Path | None, overrides: list[str] = ()) -> RunConfig:
    """Read a YAML config (or the defaults when `path` is None) and apply overrides.

    `data.root` is made absolute relative to the config file's folder.
    """
    raw: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        source = Path(path).expanduser()
        if not source.is_file():
            raise ConfigError(f"config file not found: {source}")
        try:
            raw = yaml.safe_load(source.read_text()) or {}
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            line = f" line {where.line + 1}" if where else ""
            raise ConfigError(f"{source}:{line} not valid YAML; check the indentation") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{source}: expected a mapping of sections (data, model, ...)")
        base = source.resolve().parent
    for override in overrides:
        _apply_override(raw, override)
    config = build_dataclass(RunConfig, raw, "")
    root = Path(config.data.root).expanduser()
    config.data.root = str(root if root.is_absolute() else (base / root).resolve())
    validate(config)
    return config


def config_from_dict(raw: dict[str, Any]) -> RunConfig:
    """Rebuild a saved (resolved) config, with the same checks."""
    config = build_dataclass(RunConfig, raw, "")
    validate(config)
    return config


def _apply_override(raw: dict[str, Any], override: str) -> None:
    key, sep, text = override.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set '{override}': expected section.key=value")
    parts = key.strip().split(".")
    node = raw
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"--set '{override}': '{part}' is not a section")
    try:
        node[parts[-1]] = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        node[parts[-1]] = text


def build_dataclass(cls: type, raw: Any, prefix: str) -> Any:
    """Build dataclass `cls` from a mapping, checking keys and value types."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"'{prefix.rstrip('.') or 'config'}' must be a mapping, got {raw!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in raw if k not in fields]
    if unknown:
        valid = ", ".join(fields)
        raise ConfigError(f"unknown config key '{prefix}{unknown[0]}'; valid keys here: {valid}")
    values = {name: _convert(hints[name], value, f"{prefix}{name}") for name, value in raw.items()}
    return cls(**values)


def _convert(hint: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return build_dataclass(hint, value, f"{key}.")
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _convert(option, value, key)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0]
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise ConfigError(f"config key '{key}': {value!r} is not one of {list(choices)}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config key '{key}': expected a list, got {value!r}")
        item = (typing.get_args(hint) or (Any,))[0]
        converted = [_convert(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(converted) if origin is tuple else converted
    return _scalar(hint, value, key)


def _scalar(hint: Any, value: Any, key: str) -> Any:
    if hint is Any:
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads 5e-4 as a string
            try:
                return float(value)
            except ValueError:
                pass
    elif hint is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
    else:
        return value
    name = getattr(hint, "__name__", str(hint))
    raise ConfigError(f"config key '{key}': expected {name}, got {value!r}")


def validate(config: RunConfig) -> None:
    """Range checks that types alone do not express."""
    positive = {
        "train.epochs": config.train.epochs,
        "train.batch_size": config.train.batch_size,
        "train.eval_batch_size": config.train.eval_batch_size,
        "optim.step_size": config.optim.step_size,
        "optim.lr": config.optim.lr,
    }
    for key, value in positive.items():
        if value <= 0:
            raise ConfigError(f"config key '{key}': must be positive, got {value}")
    if config.train.fairness_warmup_epochs < 0:
        raise ConfigError("config key 'train.fairness_warmup_epochs': must be >= 0")
    if config.data.workers < 0:
        raise ConfigError(f"config key 'data.workers': must be >= 0, got {config.data.workers}")
    if config.optim.rho < 0:
        raise ConfigError(f"config key 'optim.rho': must be >= 0, got {config.optim.rho}")
    if config.data.scheme is not None:
        from fairdf.data.groups import SCHEMES

        if config.data.scheme not in SCHEMES:
            raise ConfigError(
                f"config key 'data.scheme': unknown scheme '{config.data.scheme}'; "
                f"valid names: {', '.join(SCHEMES)}"
            )
    if config.data.attributes is not None:
        from fairdf.data.attributes import scheme_from_mapping

        if config.data.scheme is not None:
            raise ConfigError("config keys 'data.scheme' and 'data.attributes': give only one")
        scheme_from_mapping(config.data.attributes, "config key 'data.attributes'")
    counts = config.data.group_counts
    if counts is not None and (len(counts) != config.model.n_groups or min(counts) < 0):
        raise ConfigError(
            f"config key 'data.group_counts': expected {config.model.n_groups} "
            f"non-negative counts (model.n_groups), got {counts}"
        )


def dump_config(config: RunConfig) -> str:
    return yaml.safe_dump(config.to_dict(), sort_keys=False)
