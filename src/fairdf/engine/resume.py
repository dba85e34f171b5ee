"""Which config keys a resume may change, and checking a requested change.

A resume continues the same training: everything that shapes the weights (model, loss,
data, optimizer, seed, batch size, precision, ...) is fixed when the run starts. Only
the keys below may differ from the run's `config.yaml`; `train.epochs` may grow but not
drop below the epochs already trained.
"""

from __future__ import annotations

from typing import Any

from fairdf.config import RunConfig
from fairdf.errors import ConfigError

MUTABLE_KEYS = (
    "train.epochs",  # train on (or stop earlier than planned)
    "train.progress",  # display only
    "train.eval_batch_size",  # validation batching; scores do not depend on it
    "train.device",  # where to compute, e.g. resume a CPU run on a GPU
    "data.workers",  # loader processes; the data order does not depend on it
)


def flatten(raw: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'train': {'epochs': 3}} -> {'train.epochs': 3}."""
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def config_changes(saved: RunConfig, requested: RunConfig) -> dict[str, tuple[Any, Any]]:
    """key -> (value in the run, requested value) for every key that differs."""
    old, new = flatten(saved.to_dict()), flatten(requested.to_dict())
    return {key: (old.get(key), new.get(key)) for key in new if old.get(key) != new.get(key)}


def check_changes(changes: dict[str, tuple[Any, Any]], run_dir: str) -> None:
    """Refuse a change of any key outside `MUTABLE_KEYS`, naming the key."""
    for key, (old, new) in changes.items():
        if key not in MUTABLE_KEYS:
            raise ConfigError(
                f"config key '{key}' cannot change on --resume ({run_dir} was trained with "
                f"{old!r}, asked for {new!r}); only {', '.join(MUTABLE_KEYS)} may change; "
                "start a new run with --out to change it"
            )


def check_epochs(epochs: int, done: int, run_dir: str) -> None:
    if epochs < done:
        raise ConfigError(
            f"config key 'train.epochs': {epochs} is below the {done} epochs {run_dir} has "
            f"already trained; pass train.epochs={done} or more"
        )
