"""L_rec: the sum of four mean-L1 terms, each reconstruction against its style's image."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from fairdf.models.detector import Reconstructions


def reconstruction_loss(reconstructions: Reconstructions, images: Tensor) -> Tensor:
    """Sum over the four reconstructions `(B, 3, H, W)` of mean |x_hat - x|; images `(2B, 3, H, W)`."""
    pairs = reconstructions.with_targets(images)
    return sum(F.l1_loss(output.float(), target.float()) for output, target in pairs)
