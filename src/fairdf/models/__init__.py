"""The detector: encoders, blocks, decoder, `FairDetector` and its inference part.

Names load on first use, so that importing the package for `DetectorConfig` is cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from fairdf.models.config import DetectorConfig

_LAZY = {
    "FairDetector": "detector",
    "FairDetectorInference": "detector",
    "DetectorOutput": "detector",
    "HeadOutput": "detector",
    "Reconstructions": "detector",
    "ScoreOutput": "detector",
    "Encoder": "encoders",
    "create_encoder": "encoders",
    "encoder_names": "encoders",
    "adain": "blocks",
    "FeatureBlock": "blocks",
    "ClassifierHead": "blocks",
    "ReconstructionDecoder": "decoder",
}

__all__ = ["DetectorConfig", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'fairdf.models' has no attribute '{name}'")
    return getattr(importlib.import_module(f"fairdf.models.{_LAZY[name]}"), name)
