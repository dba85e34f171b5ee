"""What one training process holds (`Trainer`) and its forward + loss (`compute_loss`).

The lowest layer of the training engine: `optimizer`, `training_state` and `train`
import from here, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader

from fairdf.config import RunConfig
from fairdf.engine.data import TrainingData
from fairdf.engine.distributed import ProcessContext, gather_objects, wrap_model
from fairdf.engine.evaluate import autocast_context
from fairdf.engine.events import EventLog
from fairdf.losses.total import LossTerms
from fairdf.optim import frozen_batchnorm_stats


@dataclass
class Trainer:
    """Everything one training process holds."""

    config: RunConfig
    context: ProcessContext
    data: TrainingData
    model: torch.nn.Module  # the training model of config.model.method
    network: torch.nn.Module | None  # ForwardLoss(model, loss); under torchrun its DDP
    # wrapper for the loss phase `phase`, built by the phase's first step (None before)
    loss: torch.nn.Module  # the method's loss: (model output, batch) -> LossTerms
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    loader: DataLoader
    events: EventLog | None = None  # optional TensorBoard logs
    phase: object = None  # the loss config of the epochs at hand

    def enter_phase(self, loss_config: object) -> None:
        """Train with `loss_config` from now on; under DDP a new one needs a new wrapper."""
        self.loss.config = loss_config
        if self.context.distributed and loss_config != self.phase:
            self.network = None  # the old wrapper goes, with its gradient hooks
        self.phase = loss_config


class ForwardLoss(nn.Module):
    """The model and its loss as one module: `(images, batch) -> (total, parts)`.

    Wrapped by DDP, the loss is the wrapper's output, so `find_unused_parameters` finds
    exactly the weights a loss phase leaves without gradient (the fused head while the
    fairness loss warms up); the model's own output also holds branches the loss skips.
    """

    def __init__(self, model: nn.Module, loss: nn.Module):
        super().__init__()
        self.model, self.loss = model, loss

    def forward(self, images: torch.Tensor, batch: dict[str, torch.Tensor]):
        terms = self.loss(self.model(images), batch)
        return terms.total, terms.parts  # a tuple and a dict: DDP looks into both


def compute_loss(trainer: Trainer, batch: dict[str, torch.Tensor]) -> LossTerms:
    """Forward + loss under the configured precision; returns the loss terms."""
    with autocast_context(trainer.context.device, trainer.config.train.precision):
        if trainer.network is None:
            trainer.network = _phase_wrapper(trainer, batch)
        return LossTerms(*trainer.network(batch["image"], batch))


def _phase_wrapper(trainer: Trainer, batch: dict[str, torch.Tensor]) -> nn.Module:
    """DDP of the model and loss; it looks for unused weights only when the phase has some.

    (Looking costs a graph traversal per step and, with none found, a warning.)
    """
    forward_loss = ForwardLoss(trainer.model, trainer.loss)
    unused = gather_objects(trainer.context, has_unused_weights(forward_loss, batch))
    return wrap_model(forward_loss, trainer.context, find_unused=any(unused))


def has_unused_weights(forward_loss: ForwardLoss, batch: dict[str, torch.Tensor]) -> bool:
    """Whether the loss leaves a trainable weight without gradient, by a forward on `batch`
    that changes nothing (random state and BatchNorm statistics are kept)."""
    devices = [batch["image"].device] if batch["image"].is_cuda else []
    with torch.random.fork_rng(devices), frozen_batchnorm_stats(forward_loss):
        total, _ = forward_loss(batch["image"], batch)
    reached, nodes = set(), [total.grad_fn]
    while nodes:
        node = nodes.pop()
        if node is None or node in reached:
            continue
        reached.add(node)
        nodes += [following for following, _ in node.next_functions]
    used = {id(node.variable) for node in reached if hasattr(node, "variable")}
    return any(p.requires_grad and id(p) not in used for p in forward_loss.parameters())
