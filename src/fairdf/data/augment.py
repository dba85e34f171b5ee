"""Opt-in training augmentation (torchvision transforms v2), reproducible per image slot.

The recipe common in face-forgery benchmarks: horizontal flip, small rotation,
Gaussian blur, brightness/contrast/hue jitter and JPEG re-compression, each applied
with its own probability. It runs on the uint8 pixels of the resized crop, so the
JPEG step sees real 8-bit images. The random draws of one image depend only on
(seed, epoch, position in the epoch, real or fake): a resumed run, any number of
loader workers and every process of a distributed run augment identically.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torchvision.transforms import v2

ROLES = {"real": 0, "fake": 1}


def augmentation_recipe() -> v2.Compose:
    """uint8 `(3, H, W)` -> uint8 `(3, H, W)`."""
    return v2.Compose(
        [
            v2.RandomHorizontalFlip(p=0.5),
            v2.RandomApply([v2.RandomRotation(degrees=10)], p=0.3),
            v2.RandomApply([v2.GaussianBlur(kernel_size=5, sigma=(0.1, 1.5))], p=0.2),
            v2.RandomApply([v2.ColorJitter(brightness=0.2, contrast=0.2, hue=0.03)], p=0.5),
            v2.RandomApply([v2.JPEG(quality=(40, 95))], p=0.3),
        ]
    )


def image_seed(seed: int, epoch: int, position: int, role: str) -> int:
    """A 63-bit seed from (seed, epoch, position, role), independent across positions."""
    state = np.random.SeedSequence([seed, epoch, position, ROLES[role]]).generate_state(2)
    return int((int(state[0]) << 31) ^ int(state[1])) & (2**63 - 1)


class Augmenter:
    """Applies `augmentation_recipe()` to a float image in [-1, 1] under a fixed seed."""

    def __init__(self) -> None:
        self.recipe = augmentation_recipe()

    def __call__(self, image: torch.Tensor, seed: int) -> torch.Tensor:
        """image `(3, H, W)` float in [-1, 1] -> augmented, same shape and range."""
        pixels = ((image + 1.0) * 127.5).round_().clamp_(0, 255).to(torch.uint8)
        with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*decoding and encoding capabilities")
            torch.manual_seed(seed)
            pixels = self.recipe(pixels)
        return pixels.to(torch.float32).div_(127.5).sub_(1.0)
