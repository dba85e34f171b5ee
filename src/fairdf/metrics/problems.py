"""Collect bad rows of a predictions table and raise one `DataError` naming the first."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from fairdf.errors import DataError

MAX_SHOWN = 3


def shown(value: object) -> str:
    """A cell value as a message shows it: quoted text, or "(empty or NaN)"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "(empty or NaN)"
    return repr(str(value))


@dataclass
class Problems:
    """Problems found while validating a table.

    `first_line` is the file line of data row 0 (2 for a CSV with a header), or None
    for an in-memory table, whose rows are named by position ("row 0").
    """

    source: str
    first_line: int | None = 2
    messages: list[str] = field(default_factory=list)

    def where(self, position: int) -> str:
        """'line 7' of a file, or 'row 5' of an in-memory table."""
        if self.first_line is None:
            return f"row {position}"
        return f"line {position + self.first_line}"

    def add(self, message: str) -> None:
        self.messages.append(message)

    def add_rows(
        self, column: str, bad: np.ndarray, describe: Callable[[int], str], hint: str
    ) -> None:
        """Record the rows where `bad` (n,) is True; `describe(position)` says what is wrong."""
        positions = np.flatnonzero(bad)
        if positions.size == 0:
            return
        first = int(positions[0])
        others = positions.size - 1
        more = f" (and {others} more row{'s' if others > 1 else ''})" if others else ""
        self.add(f"{self.where(first)}, column '{column}': {describe(first)}; {hint}{more}")

    def raise_if_any(self) -> None:
        """Raise one DataError: the first few problems, then a count of the rest."""
        if not self.messages:
            return
        shown = " | ".join(self.messages[:MAX_SHOWN])
        hidden = len(self.messages) - MAX_SHOWN
        tail = f" | and {hidden} more problems" if hidden > 0 else ""
        raise DataError(f"{self.source}: {shown}{tail}")
