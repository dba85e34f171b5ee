"""LookSAM: SAM whose second gradient pass runs only every k-th step.

Liu et al., "Towards Efficient and Scalable Sharpness-Aware Minimization", CVPR 2022.
On every k-th step it is a full SAM step (gradient g at w, gradient g_s at the
perturbed weights) and it keeps the part of g_s orthogonal to g,

    g_v = g_s - (<g, g_s> / ||g||^2) g.

On the k - 1 steps in between only g at w is computed and the step uses

    g_s ~= g + alpha (||g|| / ||g_v||) g_v,

so those steps cost one forward + backward instead of two. Norms and inner products
are global (over all parameters). The step counter and g_v are part of
`state_dict()`, so a run resumed at any step continues exactly.

    optimizer.zero_grad(); closure()          # forward + backward at w
    if optimizer.ascent_due():
        optimizer.first_step(zero_grad=True)
        with frozen_batchnorm_stats(model):
            closure()
        optimizer.second_step(zero_grad=True)
    else:
        optimizer.reuse_step(zero_grad=True)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from fairdf.optim.sam import SAM

STATE_KEY = "looksam"


class LookSAM(SAM):
    """SAM with the ascent direction refreshed every `interval` steps (see module doc)."""

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        base_optimizer: type[torch.optim.Optimizer],
        rho: float = 0.05,
        adaptive: bool = False,
        interval: int = 5,
        alpha: float = 0.7,
        **kwargs: Any,
    ):
        if interval < 1:
            raise ValueError(f"LookSAM: interval must be >= 1, got {interval}")
        if alpha < 0:
            raise ValueError(f"LookSAM: alpha must be >= 0, got {alpha}")
        super().__init__(params, base_optimizer, rho=rho, adaptive=adaptive, **kwargs)
        self.interval = interval
        self.alpha = alpha
        self.steps = 0
        self.directions: dict[Tensor, Tensor] = {}

    def _parameters(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def ascent_due(self) -> bool:
        """Whether this step must compute the perturbed gradient (every `interval`-th)."""
        return self.steps % self.interval == 0 or not self.directions

    @torch.no_grad()
    def first_step(self, zero_grad: bool = False) -> None:
        """Keep g, then move to the perturbed weights (as SAM)."""
        for p, _ in self._gradients():
            self.state[p]["first_grad"] = p.grad.detach().clone()
        super().first_step(zero_grad=zero_grad)

    @torch.no_grad()
    def second_step(self, zero_grad: bool = False) -> None:
        """Store g_v from g and the current g_s, then restore w and step with g_s."""
        pairs = [
            (p, self.state[p].pop("first_grad"), p.grad)
            for p in self._parameters()
            if p.grad is not None and "first_grad" in self.state[p]
        ]
        if pairs:
            device = self._device()
            dot = sum((g * s).sum().to(device) for _, g, s in pairs)
            squared = sum(g.square().sum().to(device) for _, g, _ in pairs)
            ratio = dot / (squared + 1e-24)
            self.directions = {p: s - ratio.to(p.device) * g for p, g, s in pairs}
        self.steps += 1
        super().second_step(zero_grad=zero_grad)

    @torch.no_grad()
    def reuse_step(self, zero_grad: bool = False) -> None:
        """Step with g + alpha ||g|| / ||g_v|| g_v, g being the current gradient at w."""
        pairs = [(p, self.directions[p]) for p, _ in self._gradients() if p in self.directions]
        if pairs:
            device = self._device()
            grad_norm = torch.stack([p.grad.norm(2).to(device) for p, _ in pairs]).norm(2)
            direction_norm = torch.stack([v.norm(2).to(device) for _, v in pairs]).norm(2)
            scale = self.alpha * grad_norm / (direction_norm + 1e-12)
            for p, direction in pairs:
                p.grad.add_(direction * scale.to(p.device))
        self.steps += 1
        self.base_optimizer.step()
        self._opt_called = True
        if zero_grad:
            self.zero_grad(set_to_none=True)

    def state_dict(self) -> dict[str, Any]:
        state = self.base_optimizer.state_dict()
        directions = [self.directions.get(p) for p in self._parameters()]
        state[STATE_KEY] = {"steps": self.steps, "directions": directions}
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        extra = state_dict.pop(STATE_KEY, {"steps": 0, "directions": []})
        super().load_state_dict(state_dict)
        self.steps = int(extra["steps"])
        self.directions = {
            p: v.to(p.device, p.dtype)
            for p, v in zip(self._parameters(), extra["directions"], strict=False)
            if v is not None
        }
