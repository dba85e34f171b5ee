"""Small manifest builders shared by the data tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

HEADER8 = "img_path,label,ismale,isasian,iswhite,isblack,intersec_label"


def write_image(path: Path, size: int = 16, color: tuple[int, int, int] = (10, 20, 30)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (size, size), color).save(path)
    return path


def write_csv(path: Path, header: str, rows: list[str], images: bool = True) -> Path:
    """Write a manifest; with `images`, create every referenced image beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n")
    if images:
        for row in rows:
            name = row.split(",")[0]
            if name and not name.startswith("/"):
                write_image(path.parent / name)
    return path


def random_gray(size: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (size, size), dtype=np.uint8)
