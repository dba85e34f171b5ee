"""The header row of a CSV file, read as written (pandas renames duplicates to `x.1`)."""

from __future__ import annotations

import csv
from pathlib import Path

MAX_HEADER_BYTES = 1 << 20


def header_names(path: str | Path) -> list[str]:
    """The column names of the first row, stripped; [] for an empty file."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        first = handle.readline(MAX_HEADER_BYTES)
    rows = list(csv.reader([first]))
    return [name.strip() for name in rows[0]] if rows else []


def duplicated_names(names: list[str]) -> list[str]:
    """Names that occur more than once, in order of first repetition."""
    seen: set[str] = set()
    repeated: list[str] = []
    for name in names:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    return repeated


def duplicate_message(source: str | Path, names: list[str]) -> str | None:
    """One-line refusal of a header that repeats a column, or None."""
    repeated = duplicated_names(names)
    if not repeated:
        return None
    shown = ", ".join(f"'{name}'" for name in repeated[:5])
    return (
        f"{source}: the header repeats column(s) {shown}; keep one column of each name "
        "(which one is meant is ambiguous)"
    )
