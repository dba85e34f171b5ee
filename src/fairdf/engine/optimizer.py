"""Optimizer construction and one optimisation step, with or without SAM (docs/method.md, Optimisation)."""

from __future__ import annotations

import torch

from fairdf.config import OptimConfig
from fairdf.engine.trainer import Trainer, compute_loss
from fairdf.errors import ConfigError
from fairdf.optim import SAM, LookSAM, frozen_batchnorm_stats


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
        _fill_missing_gradients(optimizer, trainer.config.optim.always_decay)
        optimizer.second_step(zero_grad=True)
    else:
        _fill_missing_gradients(optimizer, trainer.config.optim.always_decay)
        optimizer.step()
    return terms.as_floats()


def _fill_missing_gradients(optimizer: torch.optim.Optimizer, enabled: bool) -> None:
    """Give weights without a gradient a zero one, so SGD still decays them (`always_decay`)."""
    if not enabled:
        return
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p.requires_grad and p.grad is None:
                p.grad = torch.zeros_like(p)
