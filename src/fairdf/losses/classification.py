"""Cross-entropy terms: L_sha (real/fake), L_spe (method) and the per-sample loss of H_fuse."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def classification_loss(logits: Tensor, target: Tensor) -> Tensor:
    """Mean cross-entropy of `logits (N, K)` against `target (N,)`, in float32 at least."""
    return F.cross_entropy(logits.float(), target)


def per_sample_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """Cross-entropy of each sample: `(N, K)`, `(N,)` -> `(N,)`."""
    return F.cross_entropy(logits.float(), target, reduction="none")
