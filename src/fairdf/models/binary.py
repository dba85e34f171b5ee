"""`BinaryDetector`: the plain baseline of `xception`, `daw_fdd` and `dag_fdd`.

    features = E(x)                         (N, C, h, w)   any registered encoder
    logits   = Linear(mean_hw(features))    (N, 2)         score = softmax(logits)[:, 1]

`model.head: published` is the architecture of the published baselines (DeepfakeBench,
AI-Face-FairnessBench): no adapter, ReLU before the pooling, and Linear(trunk width, 2),
or one fake logit z (`model.head_logits: 1`), returned as logits (0, z) so that
softmax(logits)[:, 1] = sigmoid(z) and cross-entropy equals the BCE of z.

The three methods share this architecture and differ only in their loss. The whole
model is the scoring branch, so its inference part holds every module.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from fairdf.models.blocks import two_logits
from fairdf.models.config import DetectorConfig
from fairdf.models.detector import HeadOutput, ScoreOutput, build_encoders, init_new_layers
from fairdf.models.encoders import Encoder, encoder_spec


class PooledHead(nn.Module):
    """Global average pooling, dropout, one linear layer: `(N, C, h, w)` -> logits `(N, 2)`
    (from one fake logit when `n_logits` is 1)."""

    def __init__(self, channels: int, dropout: float, n_logits: int = 2):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(channels, n_logits)

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        pooled = features.mean(dim=(2, 3))
        return two_logits(self.linear(self.dropout(pooled))), pooled


class PublishedHead(nn.Module):
    """ReLU, global average pooling, Linear(C, n_logits): `(N, C, h, w)` -> logits `(N, 2)`."""

    def __init__(self, channels: int, n_logits: int, relu: bool = True):
        super().__init__()
        self.linear = nn.Linear(channels, n_logits)
        self.relu = relu  # False where the trunk's features end in their own activation

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        pooled = (torch.relu(features) if self.relu else features).mean(dim=(2, 3))
        return two_logits(self.linear(pooled)), pooled


def build_head(config: DetectorConfig, encoder: Encoder) -> nn.Module:
    if config.head == "published":
        relu = encoder_spec(config.encoder).published_relu
        return PublishedHead(encoder.out_channels, config.head_logits, relu)
    return PooledHead(config.encoder_channels, config.head_dropout, config.head_logits)


class BinaryInference(nn.Module):
    """E and the head: images `(N, 3, H, W)` -> ScoreOutput(logits `(N, 2)`, p_fake `(N,)`)."""

    def __init__(self, config: DetectorConfig, encoder: Encoder, head: nn.Module):
        super().__init__()
        self.config = config
        self.encoder = encoder
        self.head = head

    def forward(self, images: Tensor) -> ScoreOutput:
        logits, _ = self.head(self.encoder(images))
        return ScoreOutput(logits, torch.softmax(logits.float(), dim=1)[:, 1])

    @torch.no_grad()
    def score(self, images: Tensor) -> ScoreOutput:
        return self(images)


class BinaryDetector(nn.Module):
    """One encoder and a binary head; `forward` returns the head's `HeadOutput`."""

    def __init__(self, config: DetectorConfig | None = None):
        super().__init__()
        self.config = config = config or DetectorConfig(method="xception")
        (self.encoder,) = build_encoders(config, 1, adapter=config.head == "adapter")
        self.head = build_head(config, self.encoder)
        init_new_layers(self, (self.encoder,), self.config.init)

    def forward(self, images: Tensor) -> HeadOutput:
        """images `(N, 3, H, W)` -> HeadOutput(logits `(N, 2)`, pooled features `(N, C)`)."""
        return HeadOutput(*self.head(self.encoder(images)))

    def inference_module(self) -> BinaryInference:
        return BinaryInference(self.config, self.encoder, self.head)

    @torch.no_grad()
    def score(self, images: Tensor) -> ScoreOutput:
        return self.inference_module()(images)
