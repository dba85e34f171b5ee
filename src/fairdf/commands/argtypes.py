"""argparse value types that refuse out-of-range numbers before a command starts."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from fairdf.bounds import OPTIONS


def _integer(text: str, low: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer {what}, got '{text}'") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be an integer {what}, got {value}")
    return value


def bounded(option: str) -> Callable[[str], int]:
    """An integer within `fairdf.bounds.OPTIONS[option]` (the reason is written there)."""
    bound = OPTIONS[option]

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got '{text}'") from None
        if not bound.contains(value):
            raise argparse.ArgumentTypeError(
                f"must be an integer in {bound.describe()}, got {value}"
            )
        return value

    parse.__name__ = f"bounded({option!r})"
    return parse


def positive_float(text: str) -> float:
    """A finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def pixel_count(text: str) -> int:
    """A pixel limit: an integer in 1..2**31-1."""
    value = _integer(text, 1, ">= 1")
    if value > 2**31 - 1:
        raise argparse.ArgumentTypeError(f"must be at most {2**31 - 1}, got {value}")
    return value


def add_pixel_limit(parser: argparse.ArgumentParser) -> None:
    """`--max-image-pixels N`: refuse larger images before decoding them."""
    parser.add_argument(
        "--max-image-pixels",
        type=pixel_count,
        metavar="N",
        help="refuse images of more than N pixels (width x height) before decoding them "
        "(default: $FAIRDF_MAX_IMAGE_PIXELS or 64000000)",
    )
