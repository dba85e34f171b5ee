"""What one training process holds (`Trainer`) and its forward + loss (`compute_loss`).

The lowest layer of the training engine: `optimizer`, `training_state` and `train`
import from here, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.utils.data import DataLoader

from fairdf.config import RunConfig
from fairdf.engine.data import TrainingData
from fairdf.engine.distributed import ProcessContext
from fairdf.engine.evaluate import autocast_context
from fairdf.engine.events import EventLog


@dataclass
class Trainer:
    """Everything one training process holds."""

    config: RunConfig
    context: ProcessContext
    data: TrainingData
    model: torch.nn.Module  # the training model of config.model.method
    network: torch.nn.Module  # the model, or its DDP wrapper
    loss: torch.nn.Module  # the method's loss: (model output, batch) -> LossTerms
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    loader: DataLoader
    events: EventLog | None = None  # optional TensorBoard logs


def compute_loss(trainer: Trainer, batch: dict[str, torch.Tensor]):
    """Forward + loss under the configured precision; returns the loss terms."""
    with autocast_context(trainer.context.device, trainer.config.train.precision):
        output = trainer.network(batch["image"])
        return trainer.loss(output, batch)
