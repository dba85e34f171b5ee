"""L_dem: the LDAM loss of H_dem against the group (label-distribution-aware margins)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def ldam_margins(counts: Sequence[int] | Tensor, max_margin: float = 0.5) -> Tensor:
    """Margins `(G,)` proportional to n_j^(-1/4), the largest equal to `max_margin`.

    `counts` are the training images per group. A group with no images gets the
    largest margin (its n^(-1/4) would be infinite).
    """
    counts = torch.as_tensor(counts, dtype=torch.float64)
    if counts.ndim != 1 or counts.numel() == 0 or bool((counts < 0).any()):
        raise ValueError(
            f"ldam_margins: expected a list of non-negative counts, got {counts.tolist()}"
        )
    present = counts > 0
    raw = torch.where(present, counts.clamp(min=1).pow(-0.25), torch.zeros_like(counts))
    scale = max_margin / raw.max() if bool(present.any()) else 0.0
    return torch.where(present, raw * scale, torch.full_like(counts, max_margin)).float()


def ldam_loss(logits: Tensor, target: Tensor, margins: Tensor, scale: float = 30.0) -> Tensor:
    """Mean LDAM loss: subtract `margins[target]` from the true-class logit, times `scale`, CE.

    logits `(N, G)`, target `(N,)` int, margins `(G,)`.
    """
    logits = logits.float()
    shift = F.one_hot(target, logits.shape[1]).to(logits.dtype) * margins.to(logits)[
        target
    ].unsqueeze(1)
    return F.cross_entropy(scale * (logits - shift), target)
