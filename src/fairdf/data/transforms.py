"""Image loading and normalisation (docs/method.md, Input).

Images become RGB (greyscale, RGBA and palette images are converted), are resized to
`size x size` with bilinear interpolation and scaled to [-1, 1] (mean 0.5, std 0.5).
torch is imported only where a tensor is made, so checking images (`fairdf validate`)
stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, UnidentifiedImageError

from fairdf.data.pixels import opened
from fairdf.errors import ImageError

if TYPE_CHECKING:
    import torch

_DECODE_ERRORS = (OSError, UnidentifiedImageError, ValueError, SyntaxError)


def _decode(path: Path) -> Image.Image:
    with opened(path) as image:  # refuses images above the pixel limit before decoding
        image.load()
        return image.convert("RGB")


def open_rgb(path: str | Path) -> Image.Image:
    """Decode an image file as RGB; raise ImageError naming the path."""
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"image not found: {path}")
    try:
        return _decode(path)
    except _DECODE_ERRORS as exc:
        raise ImageError(f"cannot decode image {path} ({exc}); replace or remove it") from None


def verify_image(path: str | Path) -> str | None:
    """Return why `path` cannot be decoded, or None when it can."""
    path = Path(path)
    if not path.is_file():
        return "not found"
    try:
        _decode(path)
    except ImageError as exc:
        return str(exc)
    except _DECODE_ERRORS as exc:
        return str(exc) or type(exc).__name__
    return None


def to_tensor(image: Image.Image, size: int) -> torch.Tensor:
    """PIL RGB image -> `(3, size, size)` float tensor in [-1, 1]."""
    import torch

    if image.size != (size, size):
        image = image.resize((size, size), Image.BILINEAR)
    array = np.asarray(image, dtype=np.float32)  # (H, W, 3) in 0..255
    tensor = torch.from_numpy(array).permute(2, 0, 1).contiguous()
    return tensor.div_(127.5).sub_(1.0)


def load_image(path: str | Path, size: int, perturbation=None) -> torch.Tensor:
    """Read `path` -> `(3, size, size)` float tensor in [-1, 1].

    `perturbation(image, key)` (see `fairdf.data.perturbations`) acts on the decoded
    image before resizing; `key` is the path, which seeds any randomness.
    """
    image = open_rgb(path)
    if perturbation is not None:
        image = perturbation(image, str(path))
    return to_tensor(image, size)
