"""Predictions of several models on the same images, written as CSV files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit


def model_frames(n: int = 500, models: int = 3, seed: int = 0) -> list[pd.DataFrame]:
    """Tables of `models` detectors on the same n images (8 groups), row order shuffled.

    The detectors share a per-image difficulty (correlated errors) and get better with
    their index; `video` groups the images in clusters of 5.
    """
    rng = np.random.default_rng(seed)
    base = pd.DataFrame(
        {
            "img_path": [f"faces/{i:05d}.png" for i in range(n)],
            "label": rng.integers(0, 2, n),
            "intersec_label": rng.integers(0, 8, n),
            "video": np.arange(n) // 5,
        }
    )
    difficulty = rng.normal(0, 1, n)
    frames = []
    for model in range(models):
        logit = (2 * base["label"] - 1) * (0.8 + 0.4 * model) + difficulty
        logit = logit + rng.normal(0, 0.5, n)
        frame = base.assign(score=expit(logit).round(6))
        frames.append(frame.sample(frac=1.0, random_state=model).reset_index(drop=True))
    return frames


def write_models(folder: Path, frames: list[pd.DataFrame], stem: str = "model") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, frame in enumerate(frames):
        path = folder / f"{stem}{index}.csv"
        frame.to_csv(path, index=False)
        paths.append(path)
    return paths
