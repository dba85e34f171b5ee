"""The CVaR of a batch of losses, exactly and on the device (DAG-FDD's objective).

    CVaR_a(l) = min_t  t + (1/a) mean_i max(0, l_i - t)
              = (1/k) [sum of the floor(k) largest l_i + (k - floor(k)) * the next one],  k = a N

The closed form is a weighted sum of the sorted losses: weight min(1, max(0, k - r)) / k
for the sample of rank r (0 = largest). One sort, no host synchronisation; the
gradient flows to the losses through those weights (ties share the same value).
"""

from __future__ import annotations

import torch
from torch import Tensor


def cvar(losses: Tensor, alpha: float) -> Tensor:
    """CVaR at level `alpha` in (0, 1] of `losses (N,)`: the mean of the worst alpha-fraction."""
    if losses.ndim != 1 or losses.numel() == 0:
        raise ValueError(f"cvar: expected a non-empty 1-D tensor, got {tuple(losses.shape)}")
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"cvar: alpha must be in (0, 1], got {alpha}")
    order = torch.argsort(losses.detach(), descending=True)
    ranks = torch.arange(losses.numel(), device=losses.device, dtype=losses.dtype)
    k = alpha * losses.numel()
    weights = torch.clamp(k - ranks, min=0.0, max=1.0) / k
    return (weights * losses[order]).sum()
