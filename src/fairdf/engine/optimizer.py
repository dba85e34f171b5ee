"""Optimizer construction and one optimisation step, with or without SAM (METHOD.md 4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from fairdf.config import OptimConfig
from fairdf.errors import ConfigError
from fairdf.optim import SAM, LookSAM, frozen_batchnorm_stats

if TYPE_CHECKING:
    from fairdf.engine.train import Trainer


def build_optimizer(
    model: torch.nn.Module, config: OptimConfig, precision: str
) -> torch.optim.Optimizer:
    """SGD, wrapped in SAM when `config.sam`."""
    if precision == "fp16":
        raise ConfigError(
            "config key 'train.precision': fp16 needs loss scaling, which this trainer does "
            "not do; use bf16 (same speed on recent GPUs) or fp32"
        )
    sgd = {"lr": config.lr, "momentum": config.momentum, "weight_decay": config.weight_decay}
    if config.sam and config.sam_variant == "looksam":
        return LookSAM(
            model.parameters(),
            torch.optim.SGD,
            rho=config.rho,
            adaptive=config.adaptive,
            interval=config.looksam_interval,
            alpha=config.looksam_alpha,
            **sgd,
        )
    if config.sam:
        return SAM(
            model.parameters(), torch.optim.SGD, rho=config.rho, adaptive=config.adaptive, **sgd
        )
    return torch.optim.SGD(model.parameters(), **sgd)


def optimizer_step(trainer: Trainer, batch: dict[str, torch.Tensor]) -> dict[str, float]:
    """One step; returns the (first-pass) loss terms as floats for logging."""
    from fairdf.engine.train import compute_loss

    optimizer = trainer.optimizer
    optimizer.zero_grad(set_to_none=True)
    terms = compute_loss(trainer, batch)
    terms.total.backward()
    if isinstance(optimizer, LookSAM) and not optimizer.ascent_due():
        optimizer.reuse_step(zero_grad=True)  # one pass: reuse the stored ascent direction
    elif isinstance(optimizer, SAM):
        optimizer.first_step(zero_grad=True)
        with frozen_batchnorm_stats(trainer.network):
            compute_loss(trainer, batch).total.backward()
        optimizer.second_step(zero_grad=True)
    else:
        optimizer.step()
    return terms.as_floats()
