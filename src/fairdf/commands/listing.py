"""Printing a titled list of problems (unreadable files, images without a face, ...)."""

from __future__ import annotations

import sys

MAX_SHOWN = 10


def show_list(title: str, items: list[str]) -> None:
    """Print `title:` and the first MAX_SHOWN items to stderr, then how many more."""
    print(f"{title}:", file=sys.stderr)
    for item in items[:MAX_SHOWN]:
        print(f"  {item}", file=sys.stderr)
    if len(items) > MAX_SHOWN:
        print(f"  ... and {len(items) - MAX_SHOWN} more", file=sys.stderr)
