"""The losses of the baseline and ablation methods (`fairdf.methods`).

Each takes `(LossConfig, group_counts)`, maps `(model output, batch)` to `LossTerms`
and reads only the `LossConfig` fields its paper defines:

- `BinaryLoss` (xception): mean cross-entropy;
- `DemographicAwareLoss` (daw_fdd): the bi-level CVaR of the per-sample cross-entropy
  over the intersectional groups (`alpha_inner`, `alpha_outer`, `tau1`, `tau2`);
- `DemographicAgnosticLoss` (dag_fdd): the CVaR at `dag_alpha` over the whole batch;
- `DisentangleLoss` (ucf): the weighted shared, specific, reconstruction and
  contrastive terms of `total_loss`;
- `NoDemographicLoss` (pg_fdd_no_demographic): those plus the fairness term on the
  shared head.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from torch import Tensor, nn

from fairdf.losses.bilevel import bilevel_fairness_loss
from fairdf.losses.classification import classification_loss, per_sample_cross_entropy
from fairdf.losses.config import LossConfig
from fairdf.losses.cvar import cvar
from fairdf.losses.total import DetectorLoss, LossTerms
from fairdf.models.detector import HeadOutput


class BinaryLoss(nn.Module):
    """Mean cross-entropy of the binary head against `label`."""

    def __init__(self, config: LossConfig, group_counts: Sequence[int] = ()):
        super().__init__()
        self.config = config

    def objective(self, output: HeadOutput, batch: dict[str, Tensor]) -> Tensor:
        return classification_loss(output.logits, batch["label"])

    def forward(self, output: HeadOutput, batch: dict[str, Tensor]) -> LossTerms:
        total = self.objective(output, batch)
        return LossTerms(total, {"cross_entropy": total.detach()})


class DemographicAwareLoss(BinaryLoss):
    """DAW-FDD: bi-level CVaR of the per-sample cross-entropy, grouped by `group`."""

    def objective(self, output: HeadOutput, batch: dict[str, Tensor]) -> Tensor:
        c = self.config
        losses = per_sample_cross_entropy(output.logits, batch["label"])
        return bilevel_fairness_loss(
            losses, batch["group"], c.alpha_inner, c.alpha_outer, c.tau1, c.tau2
        )


class DemographicAgnosticLoss(BinaryLoss):
    """DAG-FDD: CVaR at `dag_alpha` of the per-sample cross-entropy; ignores `group`."""

    def objective(self, output: HeadOutput, batch: dict[str, Tensor]) -> Tensor:
        losses = per_sample_cross_entropy(output.logits, batch["label"])
        return cvar(losses, self.config.dag_alpha)


class DisentangleLoss(DetectorLoss):
    """UCF: `total_loss` without the demographic and fairness terms."""

    dropped = ("demographic_weight", "fuse_weight")

    @property
    def config(self) -> LossConfig:
        return self._config

    @config.setter
    def config(self, value: LossConfig) -> None:  # the engine swaps it per epoch
        self._config = dataclasses.replace(value, **{name: 0.0 for name in self.dropped})


class NoDemographicLoss(DisentangleLoss):
    """The paper's loss without L_dem; L_fuse acts on the shared head's cross-entropy."""

    dropped = ("demographic_weight",)
