"""The image pixel limit: no decoder is handed an image larger than `max_image_pixels()`.

A small file can declare a huge image (a 20000 x 20000 PNG of a few hundred KiB); decoding
it would need gigabytes. The width and height are read from the file's header first and
images above the limit are refused with an `ImageError` naming the file. The limit is
`FAIRDF_MAX_IMAGE_PIXELS` (an environment variable, inherited by worker processes) or
`DEFAULT_MAX_IMAGE_PIXELS`; commands set it from `--max-image-pixels` or the config's
`data.max_image_pixels`. Importing this module does not import torch.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

from fairdf.errors import ConfigError, ImageError

ENV_VARIABLE = "FAIRDF_MAX_IMAGE_PIXELS"
DEFAULT_MAX_IMAGE_PIXELS = 64_000_000  # e.g. 8000 x 8000; about 192 MB as 8-bit RGB
LARGEST_LIMIT = 2**31 - 1


def max_image_pixels() -> int:
    """The current limit in pixels (width x height)."""
    text = os.environ.get(ENV_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MAX_IMAGE_PIXELS
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= LARGEST_LIMIT:
        raise ConfigError(
            f"environment variable {ENV_VARIABLE}={text!r}: expected an integer number of "
            f"pixels in 1..{LARGEST_LIMIT}"
        )
    return value


def set_max_image_pixels(value: int | None) -> None:
    """Set the limit for this process and the workers it starts (None keeps it)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= LARGEST_LIMIT:
        raise ConfigError(
            f"max image pixels: expected an integer in 1..{LARGEST_LIMIT}, got {value!r}"
        )
    os.environ[ENV_VARIABLE] = str(value)


def check_size(path: str | Path, width: int, height: int) -> None:
    """Raise ImageError when a `width x height` image exceeds the limit."""
    limit = max_image_pixels()
    if width * height > limit:
        raise ImageError(
            f"image {path} is {width} x {height} = {width * height} pixels, more than the "
            f"limit of {limit}; shrink or remove it, or raise {ENV_VARIABLE} if you trust it"
        )


@contextlib.contextmanager
def opened(path: str | Path) -> Iterator:
    """`PIL.Image.open(path)` with its size checked against the limit before any decoding."""
    from PIL import Image

    limit = max_image_pixels()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        Image.MAX_IMAGE_PIXELS = None  # opening reads the header only; the check is ours
        try:
            image = Image.open(path)
        finally:
            Image.MAX_IMAGE_PIXELS = limit  # and PIL's own, for any decoder opened later
    with image:
        check_size(path, *image.size)
        yield image


def header_size(path: str | Path) -> tuple[int, int] | None:
    """(width, height) from the file's header, or None when PIL cannot identify it."""
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        Image.MAX_IMAGE_PIXELS = None
        try:
            with Image.open(path) as image:
                return image.size
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            return None
        finally:
            Image.MAX_IMAGE_PIXELS = max_image_pixels()
