"""A run directory's checkpoints: writing them crash-consistently, reading them back.

Per epoch: `checkpoints/last` (weights, training state, checkpoint.json) is written
under a temporary name, flushed and swapped in; then, if the epoch improved the best
metric, `checkpoints/best` (a copy of those weights); then `metrics.jsonl`. The
training state (optimizer, scheduler, epoch, best value and epoch, every epoch record
as JSON text) holds only tensors and plain values and is read with weights_only=True.
`repair_best` rebuilds `best/` when a kill came between the two folders.
"""

from __future__ import annotations

import math
import pickle
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from fairdf.documents import parse_json
from fairdf.engine import run_dir as layout
from fairdf.engine.checkpoint import read_checkpoint_info, write_checkpoint_files
from fairdf.engine.trainer import Trainer
from fairdf.errors import CheckpointError
from fairdf.io import atomic_path, write_text_atomic

STATE_FILE = layout.STATE_FILE
checkpoint_dir = layout.checkpoint_dir


@dataclass
class SavedState:
    """What `checkpoints/last` says about the run so far."""

    epoch: int = 0  # completed epochs
    best: float | None = None
    best_epoch: int | None = None
    history: list[str] = field(default_factory=list)  # one JSON record per epoch


def save_epoch(run_dir: Path, trainer: Trainer, state: SavedState, is_best: bool) -> None:
    """Write `last` (and `best` when `is_best`), then the log, for `state.epoch`."""
    metadata = _metadata(trainer, state)
    with atomic_path(checkpoint_dir(run_dir, "last"), durable=True) as tmp:
        tmp.mkdir()
        payload = {
            "epoch": state.epoch,
            "best": state.best,
            "best_epoch": state.best_epoch,
            "history": list(state.history),
            "optimizer": trainer.optimizer.state_dict(),
            "scheduler": trainer.scheduler.state_dict(),
        }
        torch.save(payload, tmp / STATE_FILE)
        _write_info(tmp, trainer, metadata, state=trainer.model.state_dict())
    if is_best:
        write_best(run_dir, trainer, metadata)
    write_text_atomic(run_dir / layout.LOG_FILE, layout.log_text(state.history), durable=True)


def write_best(run_dir: Path, trainer: Trainer, metadata: dict[str, Any]) -> None:
    """`best/` = the weights of `last/` with `metadata`."""
    last = checkpoint_dir(run_dir, "last")
    with atomic_path(checkpoint_dir(run_dir, "best"), durable=True) as tmp:
        tmp.mkdir()
        shutil.copyfile(last / layout.WEIGHTS_FILE, tmp / layout.WEIGHTS_FILE)
        _write_info(tmp, trainer, metadata, state=None)


def repair_best(run_dir: Path, trainer: Trainer, state: SavedState) -> list[str]:
    """Rewrite `best/` from `last/` when the last epoch was the best one but `best/` is not it."""
    if state.best_epoch is None or state.best_epoch != state.epoch:
        return []
    best = checkpoint_dir(run_dir, "best")
    if layout.folder_epoch(best, "best") == state.epoch:
        return []
    write_best(run_dir, trainer, _metadata(trainer, state))
    return [
        f"{layout.CHECKPOINTS}/best: rewritten from {layout.CHECKPOINTS}/last "
        f"(epoch {state.epoch}, the best so far)"
    ]


def _metadata(trainer: Trainer, state: SavedState) -> dict[str, Any]:
    return {
        "epoch": state.epoch,
        "best_metric": trainer.config.train.best_metric,
        "best_value": state.best,
        "best_epoch": state.best_epoch,
        "record": parse_json(state.history[-1], "the last epoch record") if state.history else None,
        "config": trainer.config.to_dict(),
    }


def _write_info(folder: Path, trainer: Trainer, metadata: dict, *, state) -> None:
    write_checkpoint_files(
        folder, state, trainer.model.config, scheme=trainer.data.scheme, metadata=metadata
    )


def load(run_dir: Path, trainer: Trainer) -> SavedState:
    """Restore model, optimizer and scheduler from `last/`; a run without one starts at 0."""
    folder = checkpoint_dir(run_dir, "last")
    state_path = folder / STATE_FILE
    if not folder.exists():
        return SavedState()
    if layout.folder_epoch(folder, "last") is None:
        raise CheckpointError(
            f"cannot resume: {folder} is incomplete (a file is missing or checkpoint.json is "
            "unreadable); restore it from a copy or start a new run"
        )
    _check_method(folder, trainer.config.model.method)
    try:
        weights = load_file(folder / layout.WEIGHTS_FILE, device="cpu")
        trainer.model.load_state_dict(weights)
        saved = torch.load(state_path, map_location="cpu", weights_only=True)
        epoch, best = check_state(saved)
        trainer.optimizer.load_state_dict(saved["optimizer"])
        trainer.scheduler.load_state_dict(saved["scheduler"])
        history = [str(line) for line in saved.get("history", [])]
        best_epoch = saved.get("best_epoch")
        if best_epoch is not None and (
            isinstance(best_epoch, bool) or not isinstance(best_epoch, int)
        ):
            raise CheckpointError(f"best epoch {str(best_epoch)[:40]} is not an integer")
        return SavedState(epoch, best, best_epoch, history)
    except (CheckpointError, pickle.UnpicklingError, EOFError, *_LOAD_ERRORS) as exc:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise CheckpointError(f"cannot resume from {state_path}: {reason}") from None


_LOAD_ERRORS = (RuntimeError, KeyError, ValueError, TypeError, OSError, SafetensorError)


def check_state(state: object) -> tuple[int, float | None]:
    """Validate a loaded training state like a config: (next epoch, best value)."""
    if not isinstance(state, dict) or not {"optimizer", "scheduler", "epoch"} <= state.keys():
        raise CheckpointError("not a training state (needs optimizer, scheduler, epoch)")
    epoch, best = state["epoch"], state.get("best")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= 10**6:
        raise CheckpointError(f"epoch {str(epoch)[:40]} is not an integer in 0..1000000")
    if best is not None and (
        isinstance(best, bool) or not isinstance(best, (int, float)) or not math.isfinite(best)
    ):
        raise CheckpointError(f"best value {str(best)[:40]} is not a finite number")
    if not isinstance(state["optimizer"], dict) or not isinstance(state["scheduler"], dict):
        raise CheckpointError("optimizer or scheduler state is not a mapping")
    return epoch, None if best is None else float(best)


def _check_method(folder: Path, method: str) -> None:
    """Refuse to resume a run of another method (its weights would not fit)."""
    saved = read_checkpoint_info(folder).detector.method
    if saved != method:
        raise CheckpointError(
            f"cannot resume: {folder} holds a '{saved}' model but the config asks for "
            f"model.method={method}; resume with the run's own config"
        )
