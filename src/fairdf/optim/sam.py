"""Sharpness-aware minimisation (SAM) around a base optimizer (docs/method.md, Optimisation).

Each step: forward + backward; `first_step` moves the weights to w + rho g/||g||
(global gradient norm; adaptive SAM scales by |w|); forward + backward again with
BatchNorm running statistics frozen; `second_step` restores w and lets the base
optimizer step with the second gradient:

    loss = closure()                      # forward + backward
    optimizer.first_step(zero_grad=True)
    with frozen_batchnorm_stats(model):
        closure()
    optimizer.second_step(zero_grad=True)

(`sam_step(model, optimizer, closure)` does exactly this.) Under
DistributedDataParallel both backward passes all-reduce the gradients as usual (do not
use `no_sync`), so every rank computes the same norm and the same perturbation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch import Tensor, nn


class SAM(torch.optim.Optimizer):
    """SAM wrapping `base_optimizer(params, **kwargs)`, e.g. `SAM(params, torch.optim.SGD, lr=5e-4)`.

    `param_groups` are shared with the base optimizer, so LR schedulers work on SAM.
    `state_dict()` is the base optimizer's (SAM keeps no state between steps).
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        base_optimizer: type[torch.optim.Optimizer],
        rho: float = 0.05,
        adaptive: bool = False,
        **kwargs: Any,
    ):
        if rho < 0:
            raise ValueError(f"SAM: rho must be >= 0, got {rho}")
        super().__init__(params, dict(rho=rho, adaptive=adaptive, **kwargs))
        self.base_optimizer = base_optimizer(self.param_groups, **kwargs)
        self.param_groups = self.base_optimizer.param_groups
        self.defaults.update(self.base_optimizer.defaults)

    def _gradients(self) -> list[tuple[Tensor, dict[str, Any]]]:
        return [
            (p, group) for group in self.param_groups for p in group["params"] if p.grad is not None
        ]

    @torch.no_grad()
    def _grad_norm(self) -> Tensor:
        """||g|| over all parameters (|w| * g for adaptive groups), as a device tensor."""
        norms = [
            ((p.abs() if group["adaptive"] else 1.0) * p.grad).norm(2).to(self._device())
            for p, group in self._gradients()
        ]
        return torch.stack(norms).norm(2) if norms else torch.zeros((), device=self._device())

    def _device(self) -> torch.device:
        return self.param_groups[0]["params"][0].device

    @torch.no_grad()
    def first_step(self, zero_grad: bool = False) -> None:
        """Move each weight to w + e(w), e(w) = rho g / ||g|| (times w^2 if adaptive)."""
        norm = self._grad_norm()
        for p, group in self._gradients():
            scale = group["rho"] / (norm.to(p.device) + 1e-12)
            self.state[p]["old_p"] = p.detach().clone()
            p.add_(p.grad * scale * (p.square() if group["adaptive"] else 1.0))
        if zero_grad:
            self.zero_grad(set_to_none=True)

    @torch.no_grad()
    def second_step(self, zero_grad: bool = False) -> None:
        """Restore w and take the base optimizer's step with the current gradient."""
        for group in self.param_groups:
            for p in group["params"]:
                old = self.state[p].pop("old_p", None)
                if old is not None:
                    p.copy_(old)
        self.base_optimizer.step()
        self._opt_called = True  # tells LR schedulers that the optimizer stepped
        if zero_grad:
            self.zero_grad(set_to_none=True)

    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor:
        """A full SAM step; `closure` must zero the gradients, run forward + backward, return the loss."""
        if closure is None:
            raise ValueError(
                "SAM.step needs a closure (forward + backward); or call first_step/second_step"
            )
        loss = closure()
        self.first_step(zero_grad=True)
        with torch.enable_grad():
            closure()
        self.second_step()
        return loss

    def state_dict(self) -> dict[str, Any]:
        return self.base_optimizer.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.base_optimizer.load_state_dict(state_dict)
        self.param_groups = self.base_optimizer.param_groups


@contextlib.contextmanager
def frozen_batchnorm_stats(model: nn.Module) -> Iterator[None]:
    """BatchNorm layers keep using batch statistics but do not update their running ones.

    For SAM's second pass: running mean, variance and `num_batches_tracked` stay as
    they are (no momentum update) and are restored on exit either way.
    """
    layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.track_running_stats for m in layers]
    try:
        for layer in layers:
            layer.track_running_stats = False
        yield
    finally:
        for layer, flag in zip(layers, saved, strict=True):
            layer.track_running_stats = flag


def sam_step(model: nn.Module, optimizer: SAM, closure: Callable[[], Tensor]) -> Tensor:
    """One SAM step: `closure()` runs forward + backward and returns the loss.

    The second pass runs under `frozen_batchnorm_stats(model)`. Returns the first
    pass's loss. Gradients are cleared before and after.
    """
    optimizer.zero_grad(set_to_none=True)
    loss = closure()
    optimizer.first_step(zero_grad=True)
    with frozen_batchnorm_stats(model):
        closure()
    optimizer.second_step(zero_grad=True)
    return loss
