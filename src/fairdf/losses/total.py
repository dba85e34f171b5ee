"""The total training loss: a weighted sum of the six terms (docs/method.md, Losses)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from fairdf.losses.bilevel import bilevel_fairness_loss
from fairdf.losses.classification import classification_loss, per_sample_cross_entropy
from fairdf.losses.config import LossConfig
from fairdf.losses.contrastive import contrastive_loss
from fairdf.losses.ldam import ldam_loss, ldam_margins
from fairdf.losses.reconstruction import reconstruction_loss
from fairdf.models.detector import DetectorOutput


@dataclass
class LossTerms:
    """`total` (scalar, differentiable) and the unweighted terms (detached) by name."""

    total: Tensor
    parts: dict[str, Tensor]

    def as_floats(self) -> dict[str, float]:
        """{'total': ..., 'shared': ..., ...} as Python floats (one host synchronisation)."""
        names = ["total", *self.parts]
        values = torch.stack(
            [self.total.detach().float(), *(p.float() for p in self.parts.values())]
        )
        return dict(zip(names, values.tolist(), strict=True))


def _term(
    name: str,
    output: DetectorOutput,
    batch: dict[str, Tensor],
    config: LossConfig,
    margins: Tensor,
    generator: torch.Generator | None,
) -> Tensor:
    label, method, group = batch["label"], batch["method"], batch["group"]
    if name == "shared":
        return classification_loss(output.shared.logits, label)
    if name == "specific":
        return classification_loss(output.specific.logits, method)
    if name == "reconstruction":
        if output.reconstructions is None:
            raise ValueError("reconstruction_weight > 0 needs the forward with reconstruct=True")
        return reconstruction_loss(output.reconstructions, batch["image"])
    if name == "contrastive":
        return contrastive_loss(
            output.shared.features,
            output.specific.features,
            method,
            config.contrastive_margin,
            generator,
        )
    if name == "demographic":
        return ldam_loss(output.demographic.logits, group, margins, config.ldam_scale)
    if name == "fuse":
        losses = per_sample_cross_entropy(output.fused.logits, label)
        if config.fuse_objective == "mean":
            return losses.mean()
        return bilevel_fairness_loss(
            losses, group, config.alpha_inner, config.alpha_outer, config.tau1, config.tau2
        )
    raise KeyError(name)


def total_loss(
    output: DetectorOutput,
    batch: dict[str, Tensor],
    config: LossConfig,
    margins: Tensor,
    generator: torch.Generator | None = None,
) -> LossTerms:
    """L = sum of weight * term over the terms with a non-zero weight.

    batch: `image (2B, 3, H, W)` reals first, `label (2B,)`, `method (2B,)` (0 for
    reals), `group (2B,)`; `margins (G,)` from `ldam_margins` of the training counts.
    """
    parts: dict[str, Tensor] = {}
    total: Tensor | None = None
    for name, weight in config.weights().items():
        if weight == 0:
            continue
        value = _term(name, output, batch, config, margins, generator)
        parts[name] = value.detach()
        total = weight * value if total is None else total + weight * value
    if total is None:
        raise ValueError("every loss weight is 0; nothing to train")
    return LossTerms(total, parts)


class DetectorLoss(nn.Module):
    """`total_loss` with the LDAM margins of the training group counts as a buffer."""

    def __init__(
        self,
        config: LossConfig,
        group_counts: Sequence[int],
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.config = config
        self.generator = generator
        self.register_buffer(
            "margins",
            ldam_margins(list(group_counts), self.config.ldam_max_margin),
            persistent=False,
        )

    def forward(self, output: DetectorOutput, batch: dict[str, Tensor]) -> LossTerms:
        return total_loss(output, batch, self.config, self.margins, self.generator)
