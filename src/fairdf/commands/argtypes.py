"""argparse value types that refuse out-of-range numbers before a command starts."""

from __future__ import annotations

import argparse
import math


def _integer(text: str, low: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer {what}, got '{text}'") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be an integer {what}, got {value}")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1 (batch sizes, counts)."""
    return _integer(text, 1, ">= 1")


def non_negative_int(text: str) -> int:
    """An integer >= 0 (worker processes, upsampling)."""
    return _integer(text, 0, ">= 0")


def positive_float(text: str) -> float:
    """A finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value
