"""AdaIN, the feature blocks and the classification heads (docs/method.md, Architecture)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

ADAIN_EPS = 1e-5
LEAKY_SLOPE = 0.01


def _spatial_mean_std(x: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    """Per sample and channel mean and sqrt(unbiased variance + eps): each `(N, C, 1, 1)`."""
    variance, mean = torch.var_mean(x.flatten(2), dim=2, correction=1, keepdim=True)
    return mean.unsqueeze(-1), (variance + eps).sqrt().unsqueeze(-1)


def adain(content: Tensor, style: Tensor, eps: float = ADAIN_EPS) -> Tensor:
    """Adaptive instance normalisation: `content` restyled with the statistics of `style`.

    content `(N, C, H, W)`, style `(N, C, H', W')` -> `(N, C, H, W)`. Each sample and
    channel of `content` is standardised over its spatial positions and given the
    spatial mean and standard deviation of `style` (unbiased variance + eps, then
    square root). Computed in float32 at least, returned in `content`'s dtype.
    """
    if content.shape[:2] != style.shape[:2]:
        raise ValueError(
            f"adain: content {tuple(content.shape)} and style {tuple(style.shape)} differ in N or C"
        )
    compute = torch.promote_types(content.dtype, torch.float32)
    x, y = content.to(compute), style.to(compute)
    x_mean, x_std = _spatial_mean_std(x, eps)
    y_mean, y_std = _spatial_mean_std(y, eps)
    return ((x - x_mean) / x_std * y_std + y_mean).to(content.dtype)


class FeatureBlock(nn.Module):
    """Three 1x1 convs with bias, LeakyReLU(0.01) after the first two.

    `(N, in_channels, H, W)` -> `(N, out_channels, H, W)`.
    """

    def __init__(self, in_channels: int = 512, out_channels: int = 256):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1),
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Conv2d(out_channels, out_channels, 1),
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Conv2d(out_channels, out_channels, 1),
        )

    def forward(self, features: Tensor) -> Tensor:
        return self.layers(features)


def two_logits(logits: Tensor) -> Tensor:
    """One fake logit z `(N, 1)` -> `(N, 2)` logits (0, z), whose softmax[:, 1] is
    sigmoid(z) and whose cross-entropy is the BCE of z; wider logits pass unchanged."""
    if logits.shape[1] != 1:
        return logits
    return torch.cat([torch.zeros_like(logits), logits], dim=1)


class ClassifierHead(nn.Module):
    """Global average pool -> Linear -> LeakyReLU -> Linear -> Dropout on the logits.

    A head with `n_classes` 1 (one fake logit, as AI-Face-FairnessBench's fused head)
    returns `two_logits` of it.
    """

    def __init__(
        self,
        in_features: int = 256,
        hidden_dim: int = 512,
        n_classes: int = 2,
        dropout: float = 0.2,
    ):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(in_features, hidden_dim),
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Linear(hidden_dim, n_classes),
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        """`(N, C, H, W)` -> logits `(N, n_classes)` and pooled features `(N, C)`."""
        pooled = features.mean(dim=(2, 3))
        return two_logits(self.dropout(self.mlp(pooled))), pooled
