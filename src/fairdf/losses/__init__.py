"""The training losses, one module each; `LossConfig` imports without torch."""

from __future__ import annotations

import importlib
from typing import Any

from fairdf.losses.config import LossConfig

_LAZY = {
    "bilevel_fairness_loss": "bilevel",
    "bilevel_fairness": "bilevel",
    "classification_loss": "classification",
    "contrastive_loss": "contrastive",
    "cvar": "cvar",
    "ldam_loss": "ldam",
    "ldam_margins": "ldam",
    "reconstruction_loss": "reconstruction",
    "DetectorLoss": "total",
    "LossTerms": "total",
    "total_loss": "total",
}

__all__ = ["LossConfig", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'fairdf.losses' has no attribute '{name}'")
    return getattr(importlib.import_module(f"fairdf.losses.{_LAZY[name]}"), name)
