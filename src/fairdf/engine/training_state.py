"""A run directory's checkpoints: weights + metadata + resumable training state.

    RUN_DIR/config.yaml                   resolved config
    RUN_DIR/metrics.jsonl                 one record per epoch
    RUN_DIR/checkpoints/last/             model.safetensors, checkpoint.json, training_state.pt
    RUN_DIR/checkpoints/best/             model.safetensors, checkpoint.json

Each folder is replaced atomically. The training state (optimizer, scheduler, epoch,
best value) holds only tensors and plain values and is read with weights_only=True.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from fairdf.engine.checkpoint import save_checkpoint
from fairdf.errors import CheckpointError
from fairdf.io import atomic_path

if TYPE_CHECKING:
    from fairdf.engine.train import Trainer

STATE_FILE = "training_state.pt"


def checkpoint_dir(run_dir: Path, name: str = "last") -> Path:
    return Path(run_dir) / "checkpoints" / name


def save_epoch(
    run_dir: Path, trainer: Trainer, epoch: int, best: float | None, is_best: bool
) -> None:
    """Write `last` (with training state) and, when `is_best`, `best`."""
    metadata = {
        "epoch": epoch,
        "best_metric": trainer.config.train.best_metric,
        "best_value": best,
        "config": trainer.config.to_dict(),
    }
    with atomic_path(checkpoint_dir(run_dir, "last")) as tmp:
        save_checkpoint(tmp, trainer.model, scheme=trainer.data.scheme, metadata=metadata)
        state = {
            "epoch": epoch,
            "best": best,
            "optimizer": trainer.optimizer.state_dict(),
            "scheduler": trainer.scheduler.state_dict(),
        }
        torch.save(state, tmp / STATE_FILE)
    if is_best:
        with atomic_path(checkpoint_dir(run_dir, "best")) as tmp:
            save_checkpoint(tmp, trainer.model, scheme=trainer.data.scheme, metadata=metadata)


def load(run_dir: Path, trainer: Trainer) -> tuple[int, float | None]:
    """Restore model, optimizer and scheduler from `run_dir`; returns (next epoch, best)."""
    folder = checkpoint_dir(run_dir, "last")
    state_path = folder / STATE_FILE
    if not state_path.is_file():
        raise CheckpointError(
            f"cannot resume: {state_path} not found; is {run_dir} a fairdf run directory?"
        )
    try:
        weights = load_file(folder / "model.safetensors", device="cpu")
        trainer.model.load_state_dict(weights)
        state = torch.load(state_path, map_location="cpu", weights_only=True)
        trainer.optimizer.load_state_dict(state["optimizer"])
        trainer.scheduler.load_state_dict(state["scheduler"])
    except (RuntimeError, KeyError, ValueError, OSError, SafetensorError) as exc:
        raise CheckpointError(f"cannot resume from {state_path}: {exc}") from None
    return int(state["epoch"]), state["best"]
