"""L_fuse: the bi-level fairness loss, computed exactly on the device (docs/method.md, Losses).

Inner level, per group g present in the batch, the CVaR of its losses at level a_in:

    R_g = min_t  t + (1/a_in) mean_{i in g} max(0, l_i - t)
        = (1/k) [sum of the floor(k) largest l_i + (k - floor(k)) * the next one],  k = a_in n_g

Outer level, a smoothed CVaR over the groups at level a:

    L = min_t  t + tau2/(2a) t^2 + (1/a) mean_g tau1 softplus((R_g - t)/tau1)

The outer objective is strictly convex; its derivative is increasing, so a fixed number
of safeguarded Newton steps on a bracket finds t*. No host synchronisation: groups are
segments of one sorted vector, and every loop has a fixed trip count. t* is a constant
for backpropagation (envelope theorem): gradients flow through l_i and R_g.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

OUTER_ITERATIONS = 40  # the hardest cases found converge in 24
BRACKET_TAUS = 40.0  # sigmoid(40) == 1 in float64 to 4e-18


@dataclass
class BilevelResult:
    """The loss and its parts; groups are segments padded to length N (mask `present`)."""

    loss: Tensor  # scalar
    outer_t: Tensor  # scalar, detached
    group_ids: Tensor  # (N,) the group id of each segment
    group_risk: Tensor  # (N,) the inner CVaR R_g of each segment
    present: Tensor  # (N,) bool, True for the segments that exist


def _segments(losses: Tensor, groups: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Sort by (group, loss descending); return sorted losses, groups, segment id, rank in segment."""
    by_loss = torch.argsort(losses.detach(), descending=True, stable=True)
    order = by_loss[torch.argsort(groups[by_loss], stable=True)]
    sorted_groups = groups[order]
    starts = torch.ones_like(sorted_groups, dtype=torch.bool)
    starts[1:] = sorted_groups[1:] != sorted_groups[:-1]
    segment = torch.cumsum(starts.long(), dim=0) - 1
    positions = torch.arange(losses.numel(), device=losses.device)
    first = torch.cummax(torch.where(starts, positions, torch.zeros_like(positions)), dim=0).values
    return losses[order], sorted_groups, segment, positions - first


def inner_cvar(losses: Tensor, groups: Tensor, alpha: float = 0.9) -> tuple[Tensor, Tensor, Tensor]:
    """Per-group CVaR of `losses (N,)` grouped by `groups (N,)`, all groups at once.

    Returns (group_ids, risks, present), each `(N,)`: segment s holds group
    `group_ids[s]` with CVaR `risks[s]` where `present[s]`.
    """
    values, sorted_groups, segment, rank = _segments(losses, groups)
    n = losses.numel()
    membership = (segment.unsqueeze(0) == torch.arange(n, device=losses.device).unsqueeze(1)).to(
        values.dtype
    )
    counts = membership.sum(dim=1)  # (N,) images per segment
    k = alpha * counts[segment]  # (N,) a_in * n_g of each sample's group
    weights = torch.clamp(k - rank.to(values.dtype), min=0.0, max=1.0) / k
    risks = membership @ (weights * values)
    group_ids = torch.zeros(n, dtype=groups.dtype, device=groups.device).scatter(
        0, segment, sorted_groups
    )
    return group_ids, risks, counts > 0


def _solve_dtype(device: torch.device) -> torch.dtype:
    return torch.float32 if device.type == "mps" else torch.float64


def outer_minimiser(
    risks: Tensor, present: Tensor, alpha: float = 0.5, tau1: float = 1e-3, tau2: float = 1e-4
) -> Tensor:
    """t* of the smoothed outer CVaR over the present entries of `risks (S,)` (detached).

    Safeguarded Newton on the increasing derivative
    1 + (tau2/a) t - (1/a) mean_g sigmoid((R_g - t)/tau1), in float64 where available.
    """
    dtype = _solve_dtype(risks.device)
    r = risks.detach().to(dtype)
    weights = present.to(dtype) / present.sum().to(dtype)
    low_bound, high_bound = -alpha / tau2, (1.0 - alpha) / tau2  # the root lies inside
    inf = torch.tensor(float("inf"), dtype=dtype, device=r.device)
    low = (
        torch.clamp(torch.where(present, r, inf).min(), low_bound, high_bound) - BRACKET_TAUS * tau1
    )
    high = (
        torch.clamp(torch.where(present, r, -inf).max(), low_bound, high_bound)
        + BRACKET_TAUS * tau1
    )
    t = (low + high) / 2
    for _ in range(OUTER_ITERATIONS):
        s = torch.sigmoid((r - t) / tau1)
        slope = 1 + (tau2 / alpha) * t - (weights * s).sum() / alpha
        curvature = tau2 / alpha + (weights * s * (1 - s)).sum() / (alpha * tau1)
        low = torch.where(slope > 0, low, t)
        high = torch.where(slope > 0, t, high)
        newton = t - slope / curvature
        t = torch.where((newton >= low) & (newton <= high), newton, (low + high) / 2)
    return t


def bilevel_fairness(
    losses: Tensor,
    groups: Tensor,
    alpha_inner: float = 0.9,
    alpha_outer: float = 0.5,
    tau1: float = 1e-3,
    tau2: float = 1e-4,
) -> BilevelResult:
    """The bi-level fairness loss of per-sample `losses (N,)` with group ids `groups (N,)`."""
    if losses.ndim != 1 or losses.shape != groups.shape or losses.numel() == 0:
        raise ValueError(
            f"bilevel loss: expected equal 1-D losses and groups, got {tuple(losses.shape)}, {tuple(groups.shape)}"
        )
    group_ids, risks, present = inner_cvar(losses, groups, alpha_inner)
    t = outer_minimiser(risks, present, alpha_outer, tau1, tau2)
    r = risks.to(t.dtype)
    smooth = tau1 * F.softplus((r - t) / tau1)
    mean_smooth = (smooth * present).sum() / present.sum()
    loss = t + tau2 / (2 * alpha_outer) * t**2 + mean_smooth / alpha_outer
    return BilevelResult(loss.to(losses.dtype), t, group_ids, risks, present)


def bilevel_fairness_loss(
    losses: Tensor,
    groups: Tensor,
    alpha_inner: float = 0.9,
    alpha_outer: float = 0.5,
    tau1: float = 1e-3,
    tau2: float = 1e-4,
) -> Tensor:
    """Scalar L_fuse of per-sample `losses (N,)` and group ids `groups (N,)`.

    Groups absent from the batch are skipped: the outer mean runs over present groups.
    """
    return bilevel_fairness(losses, groups, alpha_inner, alpha_outer, tau1, tau2).loss
