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

from fairdf import bounds
from fairdf.bounds import check_section
from fairdf.documents import read_bytes
from fairdf.errors import ConfigError
from fairdf.losses import LossConfig
from fairdf.models import DetectorConfig
from fairdf.yamlsafe import Refused, load_yaml, yaml_problem

PRECISIONS = ("fp32", "bf16", "fp16")
# validation metrics `train.best_metric` may name (fairdf.metrics: overall columns except n,
# then the intersectional fairness metrics)
BEST_METRICS = ("auc", "acc", "eer", "ap", "fpr", "tpr", "F_FPR", "F_EO", "F_OAE", "F_DP")
BEST_METRICS += ("F_MEO", "FPR_gap", "AUC_gap", "ErrorRate_gap")
BEST_METRICS += ("PPV_gap", "NPV_gap", "ECE_gap", "F_G", "F_S", "F_A", "F_COV")
BEST_METRICS += ("PR_ratio", "FPR_ratio", "TPR_ratio")  # ratios: higher is fairer (best_mode max)


PACKAGED_CONFIGS = Path(__file__).resolve().parent / "configs"


@dataclass
class DataConfig:
    """Where the manifests are and how images are read."""

    root: str = "."  # folder of the manifests; in a config file relative to that file
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
    max_image_pixels: int | None = None  # None: FAIRDF_MAX_IMAGE_PIXELS or the default
    augment: bool = False  # flip, rotation, blur, colour jitter, JPEG (fairdf.data.augment)


@dataclass
class OptimConfig:
    """SGD wrapped in SAM (loss flattening), StepLR schedule (docs/method.md, Optimisation)."""

    lr: float = 5e-4
    momentum: float = 0.9
    weight_decay: float = 5e-3
    sam: bool = True
    rho: float = 0.05
    adaptive: bool = False
    step_size: int = 60  # epochs
    gamma: float = 0.9
    # weight decay (and momentum) on every step also for weights that got no gradient,
    # e.g. the fused head while its loss weight is 0 or during the fairness warm-up (the
    # reference always decays it); false = such weights stay untouched
    always_decay: bool = False
    sam_variant: Literal["full", "looksam"] = "full"  # looksam: second pass every k-th step
    looksam_interval: int = 5  # k
    looksam_alpha: float = 0.7


@dataclass
class TrainConfig:
    """Loop, precision, checkpoints."""

    epochs: int = 100
    batch_size: int = 16  # fakes per step; each is paired with a real (2x images)
    seed: int = 5
    device: str = "auto"  # auto, cpu, cuda, cuda:1, ...
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    channels_last: bool = False
    activation_checkpointing: Literal["none", "encoders", "all"] = "none"
    max_steps_per_epoch: int | None = None
    fairness_warmup_epochs: int = 0  # epochs trained without L_fuse before it is switched on
    keep_last_batch: bool = (
        False  # train on the last partial batch of an epoch (the reference does)
    )
    eval_batch_size: int = 64
    best_metric: str = "auc"  # a key of the validation metrics, e.g. auc, F_FPR, F_MEO
    best_mode: Literal["max", "min"] = "max"
    progress: bool = True  # per-step bar on stderr when it is a terminal
    tensorboard: bool = False  # event logs in RUN_DIR/tensorboard (extra: fairdf[tensorboard])
    tensorboard_every: int = 50  # steps between loss-term points


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

    Paths (`data.root`, `model.pretrained`) written in the file are relative to the
    file's folder; paths given in `overrides` are relative to the working directory.
    Both are stored absolute.
    """
    raw: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        source = config_source(path)
        raw = _read_yaml_file(source)
        if not isinstance(raw, dict):
            raise ConfigError(f"{source}: expected a mapping of sections (data, model, ...)")
        if source.resolve().parent == PACKAGED_CONFIGS:
            _require_root(raw, source.stem, overrides)
        base = source.resolve().parent
    _resolve_paths(raw, base)  # paths written in the file: relative to the file
    for override in overrides:
        _apply_override(raw, override)
    config = build_dataclass(RunConfig, raw, "")
    root = Path(config.data.root).expanduser()
    config.data.root = str(root if root.is_absolute() else (base / root).resolve())
    validate(config)
    return config


def packaged_configs() -> list[str]:
    """Names of the configs shipped inside the package (`fairdf train --config NAME`)."""
    return sorted(path.stem for path in PACKAGED_CONFIGS.glob("*.yaml"))


def config_source(path: str | Path) -> Path:
    """The config file `path` names: a file, else a packaged config (`ffpp`, `demo.yaml`)."""
    source = Path(path).expanduser()
    if source.is_file():
        return source
    text = str(path)
    name = text[: -len(source.suffix)] if source.suffix in (".yaml", ".yml") else text
    packaged = PACKAGED_CONFIGS / f"{name}.yaml"
    if "/" not in text and "\\" not in text and packaged.is_file():
        return packaged
    raise ConfigError(
        f"--config {text}: no such file, nor a packaged config; give a YAML file or one of "
        f"{', '.join(packaged_configs())}"
    )


def _require_root(raw: dict[str, Any], name: str, overrides: list[str]) -> None:
    """A packaged config's relative `data.root` means nothing: the user must give one."""
    if any(override.partition("=")[0].strip() == "data.root" for override in overrides):
        return
    data = raw.get("data")
    root = data.get("root") if isinstance(data, dict) else None
    if not isinstance(root, str) or not Path(root).expanduser().is_absolute():
        raise ConfigError(
            f"config '{name}' (packaged with fairdf): data.root is unset; give the folder "
            "of your manifests with --set data.root=DIR"
        )


def _read_yaml_file(source: Path) -> Any:
    """Parse a config file (UTF-8, no YAML aliases); ConfigError naming file and line."""
    try:
        text = read_bytes(source, bounds.MAX_YAML_BYTES).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{source}: byte {exc.start + 1} is not UTF-8 text; save the file as UTF-8"
        ) from None
    try:
        return load_yaml(text) or {}
    except Refused as exc:
        raise ConfigError(f"{source}: {yaml_problem(exc)}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"{source}: not valid YAML ({yaml_problem(exc)}); check the indentation"
        ) from None


# config keys holding paths: relative to the config file when written in it, relative to
# the working directory when given with --set
PATH_KEYS = (("data", "root"), ("model", "pretrained"))


# values of those keys that are names, not paths
NOT_PATHS = ("imagenet", "none")


def _resolve_paths(raw: dict[str, Any], base: Path, keys=PATH_KEYS) -> None:
    for section, key in keys:
        node = raw.get(section)
        value = node.get(key) if isinstance(node, dict) else None
        if isinstance(value, str) and value.lower() not in NOT_PATHS and ":" not in value[:6]:
            path = Path(node[key]).expanduser()
            node[key] = str(path if path.is_absolute() else (base / path).resolve())


def config_from_dict(raw: dict[str, Any]) -> RunConfig:
    """Rebuild a saved (resolved) config, with the same checks."""
    config = build_dataclass(RunConfig, raw, "")
    validate(config)
    return config


def _apply_override(raw: dict[str, Any], override: str) -> None:
    key, sep, text = override.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set '{_shown(override)}': expected section.key=value")
    parts = key.strip().split(".")
    node = raw
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"--set '{_shown(override)}': '{part}' is not a section")
    try:
        node[parts[-1]] = load_yaml(text) if text.strip() else None
    except Refused as exc:
        raise ConfigError(f"--set '{_shown(override)}': {yaml_problem(exc)}") from None
    except yaml.YAMLError:
        node[parts[-1]] = text
    if tuple(parts) in PATH_KEYS:
        _resolve_paths(raw, Path.cwd(), [tuple(parts)])


def build_dataclass(cls: type, raw: Any, prefix: str) -> Any:
    """Build dataclass `cls` from a mapping, checking keys and value types."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        where = prefix.rstrip(".") or "config"
        raise ConfigError(f"'{where}' must be a mapping, got {_shown(raw)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in raw if k not in fields]
    if unknown:
        valid = ", ".join(fields)
        raise ConfigError(
            f"unknown config key '{prefix}{_shown(unknown[0])}'; valid keys here: {valid}"
        )
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
            raise ConfigError(f"config key '{key}': {_shown(value)} is not one of {list(choices)}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config key '{key}': expected a list, got {_shown(value)}")
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
    raise ConfigError(f"config key '{key}': expected {name}, got {_shown(value)}")


def validate(config: RunConfig) -> None:
    """Range checks that types alone do not express (bounds: `fairdf.bounds.BOUNDS`)."""
    for section in dataclasses.fields(config):
        check_section(getattr(config, section.name), section.name)
    if config.train.best_metric not in BEST_METRICS:
        raise ConfigError(
            f"config key 'train.best_metric': unknown metric {_shown(config.train.best_metric)}; "
            f"valid names: {', '.join(BEST_METRICS)}"
        )
    if config.optim.looksam_interval < 1 or config.optim.looksam_alpha < 0:
        raise ConfigError(
            "config keys 'optim.looksam_interval' (>= 1) and 'optim.looksam_alpha' (>= 0): got "
            f"{config.optim.looksam_interval} and {config.optim.looksam_alpha}"
        )
    if config.train.tensorboard_every < 1:
        raise ConfigError(
            f"config key 'train.tensorboard_every': must be >= 1, got {config.train.tensorboard_every}"
        )
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
            f"non-negative counts (model.n_groups), got {_shown(counts)}"
        )


def _shown(value: Any) -> str:
    """`repr(value)`, cut to 60 characters (messages never echo a whole document)."""
    text = value if isinstance(value, str) and len(value) <= 60 else repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def dump_config(config: RunConfig) -> str:
    return yaml.safe_dump(config.to_dict(), sort_keys=False)
