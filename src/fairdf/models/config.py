"""`DetectorConfig`: the detector's shape, with the paper's values as defaults."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairdf.errors import ConfigError

INITS = ("reference", "he")
# the plain baselines' heads: fairdf's adapter + pooled linear layer, or the published
# one (ReLU, global average pooling, Linear(trunk width, 2 or 1 logits))
HEADS = ("adapter", "published")
PLAIN_METHODS = ("xception", "daw_fdd", "dag_fdd")


@dataclass
class DetectorConfig:
    """Architecture of the detector and which method trains it (docs/methods.md).

    `method` names an entry of `fairdf.methods` (`pg_fdd`, the paper's detector, by
    default); the other fields size whatever that method builds.

    `pretrained` is the path of an ImageNet weights file for the encoder trunks
    (Cadene `xception-b5690688.pth`, a timm checkpoint or a `.safetensors` file), a
    fairdf checkpoint folder whose weights start the whole model (fine-tuning, e.g. an
    imported release), or None for random initialisation; weights are never downloaded. `init` chooses how the
    layers outside the trunks start (`reference` or `he`).
    """

    method: str = "pg_fdd"
    encoder: str = "xception"
    pretrained: str | None = None
    n_groups: int = 8
    n_methods: int = 5
    encoder_channels: int = 512  # adapter output; the decoder's code width
    feature_channels: int = 256  # feature blocks' output (half of encoder_channels)
    hidden_dim: int = 512  # heads' hidden layer
    head_dropout: float = 0.2
    decoder_dropout: float = 0.3
    image_size: int = 256
    # initialisation of every layer outside the encoder trunks: "reference" = PyTorch's
    # defaults (as the reference code); "he" = He-normal weights, zero biases (trains a
    # from-scratch encoder faster; the demo needs it)
    init: str = "he"
    # plain baselines only (xception, daw_fdd, dag_fdd): "adapter" = 1x1 conv adapter to
    # encoder_channels, dropout, Linear; "published" = the DeepfakeBench and
    # AI-Face-FairnessBench architecture: trunk, ReLU, pooling, Linear(trunk width).
    # head_logits: outputs of the head that scores (every method): 2, or 1 fake logit
    # (p = sigmoid, trained as BCE), as AI-Face-FairnessBench's releases.
    head: str = "adapter"
    head_logits: int = 2

    def __post_init__(self) -> None:
        from fairdf.methods import get_method
        from fairdf.models.encoders import encoder_spec

        get_method(self.method)  # an unknown name lists the valid ones
        encoder_spec(self.encoder)
        if isinstance(self.pretrained, bool):
            raise ConfigError(
                "config key 'model.pretrained': give the path of an ImageNet weights file "
                "(xception-b5690688.pth, a timm checkpoint or .safetensors) or null; "
                "weights are never downloaded"
            )
        if isinstance(self.pretrained, Path):
            self.pretrained = str(self.pretrained)
        if isinstance(self.pretrained, str) and self.pretrained.strip().lower() == "none":
            self.pretrained = None  # random weights, said on purpose
        minimum = {"n_groups": 2, "n_methods": 1, "encoder_channels": 2, "feature_channels": 1}
        minimum |= {"hidden_dim": 1, "image_size": 16}
        for name, low in minimum.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(
                    f"config key 'model.{name}': must be an integer >= {low}, got {value!r}"
                )
        if self.init not in INITS:
            raise ConfigError(f"config key 'model.init': {self.init!r} is not one of {list(INITS)}")
        for name in ("head_dropout", "decoder_dropout"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ConfigError(f"config key 'model.{name}': must be in [0, 1), got {value!r}")
        self._check_head()
        if self.encoder_channels != 2 * self.feature_channels:
            raise ConfigError(
                "config key 'model.encoder_channels': must be twice model.feature_channels "
                f"(the decoder restyles the style code with the forgery code); got "
                f"{self.encoder_channels} and {self.feature_channels}"
            )

    def _check_head(self) -> None:
        if self.head not in HEADS:
            raise ConfigError(f"config key 'model.head': {self.head!r} is not one of {list(HEADS)}")
        if self.head != "adapter" and self.method not in PLAIN_METHODS:
            raise ConfigError(
                f"config key 'model.head': {self.head!r} is for the plain baselines "
                f"({', '.join(PLAIN_METHODS)}), not method {self.method!r}"
            )
        if self.head_logits not in (1, 2):
            raise ConfigError(
                "config key 'model.head_logits': 2 (real, fake) or 1 (one fake logit); "
                f"got {self.head_logits!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DetectorConfig:
        """Rebuild from `to_dict()` output; unknown keys are a ConfigError."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ConfigError(
                f"unknown detector config key '{unknown[0]}'; valid keys: {', '.join(sorted(names))}"
            )
        return cls(**values)
