"""The method registry: which detector and which loss `model.method` trains.

Each entry says how to build the training model, its loss and what scores at
inference; the engine asks only this registry, so every method shares one training
loop, one checkpoint format, `fairdf test`, `predict`, `export` and `load_detector`.
Importing this module does not import torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fairdf.errors import UnknownNameError

DEFAULT_METHOD = "pg_fdd"


@dataclass(frozen=True)
class MethodSpec:
    """One registered method.

    `model` and `loss` are "module:Class" paths, imported on first use. The model
    class takes a `DetectorConfig`; it has `inference_module()` (the scoring branch,
    sharing its modules) and `score(images)`. The loss class takes
    `(LossConfig, group_counts)` and maps `(model output, batch)` to `LossTerms`.
    `uses_groups` is False when training never reads the group ids.
    """

    name: str
    summary: str
    paper: str
    model: str
    loss: str
    scoring: str  # what produces the score, for export metadata and docs
    uses_groups: bool = True

    def model_class(self) -> type:
        return _import(self.model)

    def loss_class(self) -> type:
        return _import(self.loss)

    def build_model(self, config: Any) -> Any:
        """A fresh training model for `config` (a `DetectorConfig`); `config.pretrained`
        naming a fairdf checkpoint folder starts every weight from it (fine-tuning)."""
        model = self.model_class()(config)
        if config.pretrained is not None:
            from fairdf.models.weights import checkpoint_weights_file, load_checkpoint_weights

            if checkpoint_weights_file(config.pretrained) is not None:
                load_checkpoint_weights(model, config.pretrained)
        return model

    def build_loss(self, config: Any, group_counts: Sequence[int]) -> Any:
        """The training loss module for `config` (a `LossConfig`)."""
        return self.loss_class()(config, list(group_counts))


def _import(path: str) -> type:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


_PAPER_PG = "Lin et al., Preserving Fairness Generalization in Deepfake Detection, CVPR 2024"
_PAPER_JU = "Ju et al., Improving Fairness in Deepfake Detection, WACV 2024"
_PAPER_UCF = (
    "Yan et al., UCF: Uncovering Common Features for Generalizable Deepfake Detection, ICCV 2023"
)
_PAPER_XCEPTION = "Rossler et al., FaceForensics++, ICCV 2019 (Xception baseline)"
_BINARY = "fairdf.models.binary:BinaryDetector"
_DISENTANGLE = "fairdf.models.disentangle:DisentangleDetector"

METHODS: dict[str, MethodSpec] = {
    spec.name: spec
    for spec in (
        MethodSpec(
            "pg_fdd",
            "the paper's detector: disentanglement, demographic branch, AdaIN fusion, "
            "bi-level fairness loss",
            _PAPER_PG,
            "fairdf.models.detector:FairDetector",
            "fairdf.losses.total:DetectorLoss",
            "H_fuse(AdaIN(P_dem(E_d(x)), P_sha(E_f(x))))",
        ),
        MethodSpec(
            "xception",
            "plain baseline: one encoder, global pooling, binary head, cross-entropy",
            _PAPER_XCEPTION,
            _BINARY,
            "fairdf.losses.methods:BinaryLoss",
            "Linear(pool(E(x)))",
            uses_groups=False,
        ),
        MethodSpec(
            "daw_fdd",
            "demographic-aware: per-sample cross-entropy fed to the bi-level CVaR over groups",
            _PAPER_JU,
            _BINARY,
            "fairdf.losses.methods:DemographicAwareLoss",
            "Linear(pool(E(x)))",
        ),
        MethodSpec(
            "dag_fdd",
            "demographic-agnostic: CVaR of the per-sample cross-entropy over the batch",
            _PAPER_JU,
            _BINARY,
            "fairdf.losses.methods:DemographicAgnosticLoss",
            "Linear(pool(E(x)))",
            uses_groups=False,
        ),
        MethodSpec(
            "ucf",
            "disentanglement without demographics: content + forgery encoders, "
            "shared and specific heads, reconstruction and contrastive losses",
            _PAPER_UCF,
            _DISENTANGLE,
            "fairdf.losses.methods:DisentangleLoss",
            "H_sha(P_sha(E_f(x)))",
            uses_groups=False,
        ),
        MethodSpec(
            "pg_fdd_no_demographic",
            "ablation: the paper's detector without the demographic branch (the bi-level "
            "fairness loss acts on the shared head, which scores)",
            _PAPER_PG,
            _DISENTANGLE,
            "fairdf.losses.methods:NoDemographicLoss",
            "H_sha(P_sha(E_f(x)))",
        ),
    )
}


def method_names() -> tuple[str, ...]:
    return tuple(METHODS)


def get_method(name: str) -> MethodSpec:
    """The spec of a registered method; an unknown name lists the valid ones."""
    try:
        return METHODS[name]
    except KeyError:
        raise UnknownNameError("method", name, method_names()) from None


def build_model(config: Any) -> Any:
    """The training model of `config.method` (a `DetectorConfig`)."""
    return get_method(config.method).build_model(config)
