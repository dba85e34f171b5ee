"""Fixtures for the inference tests: a tiny saved checkpoint and photos with/without faces."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from fairdf.engine.checkpoint import save_checkpoint
from fairdf.models.config import DetectorConfig
from fairdf.models.detector import FairDetector

TINY = dict(encoder="tiny", image_size=32, encoder_channels=64, feature_channels=32, hidden_dim=32)


@dataclass
class SavedModel:
    model: FairDetector  # the in-memory original, in eval mode: the oracle for scores
    folder: Path


@pytest.fixture(scope="session")
def saved_model(tmp_path_factory) -> SavedModel:
    torch.manual_seed(0)
    model = FairDetector(DetectorConfig(**TINY))
    with torch.no_grad():
        model.train()(torch.rand(4, 3, 32, 32) * 2 - 1)  # BN statistics off their defaults
        for parameter in model.fused_head.parameters():
            parameter.mul_(4.0)  # scores that vary visibly from image to image
        for parameter in model.shared_block.parameters():
            parameter.mul_(3.0)
    folder = tmp_path_factory.mktemp("inference") / "checkpoint"
    save_checkpoint(folder, model, scheme="ffpp")
    return SavedModel(model.eval(), folder)


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    """A human face (astronaut), a cat (no human face) and a flat grey image."""
    data = pytest.importorskip("skimage.data")
    return {
        "astronaut": data.astronaut(),
        "cat": data.chelsea(),
        "grey": np.full((96, 96, 3), 128, np.uint8),
    }
