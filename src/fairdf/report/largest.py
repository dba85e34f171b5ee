"""The largest groups of a view: what the report's figures and HTML group tables show.

A figure draws a panel, curve or pair of bars per group, so a view of 1,000 groups would
take many minutes to draw and give an unreadable page. Per view, the figures and the
HTML group tables show the `bounds.REPORT_GROUPS` largest groups (in their usual order)
with a note saying how many were left out; the Markdown twin's tables list every group.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from fairdf import bounds
from fairdf.metrics.views import View
from fairdf.report.document import Table


def largest(sizes: Sequence[int] | np.ndarray, limit: int | None = None) -> np.ndarray:
    """Indices of the `limit` largest sizes, ascending (ties: the earlier group first)."""
    limit = bounds.REPORT_GROUPS if limit is None else limit
    order = np.argsort(-np.asarray(sizes, dtype=np.int64), kind="stable")
    return np.sort(order[:limit])


def largest_view(view: View) -> View:
    """`view` restricted to its largest groups; the rows of the others get code -1."""
    if view.n_groups <= bounds.REPORT_GROUPS:
        return view
    valid = view.codes >= 0
    keep = largest(np.bincount(view.codes[valid], minlength=view.n_groups))
    remap = np.full(view.n_groups, -1, dtype=np.int64)
    remap[keep] = np.arange(keep.size)
    codes = np.where(valid, remap[np.where(valid, view.codes, 0)], -1)
    return View(view.name, codes, tuple(view.names[i] for i in keep))


def left_out_note(views: Sequence[View], twin: str) -> str:
    """The figure note for views with more groups than are drawn ('' when none)."""
    parts = [
        f"{view.name}: {view.n_groups - bounds.REPORT_GROUPS} smaller groups are left out "
        f"(the {bounds.REPORT_GROUPS} largest of {view.n_groups} are drawn)"
        for view in views
        if view.n_groups > bounds.REPORT_GROUPS
    ]
    return f" {'; '.join(parts)}; every group is in {twin}." if parts else ""


def cap_table(
    table: Table, sizes: Sequence[int], twin: str, views: Sequence[str] | None = None
) -> Table:
    """`table` (one row per group; `views` names each row's view when it holds several)
    showing only the largest groups of each view on the HTML page."""
    views = [""] * len(table.rows) if views is None else list(views)
    rows_of: dict[str, list[int]] = {}
    for index, view in enumerate(views):
        rows_of.setdefault(view, []).append(index)
    if all(len(rows) <= bounds.REPORT_GROUPS for rows in rows_of.values()):
        return table
    keep = sorted(rows[i] for rows in rows_of.values() for i in largest([sizes[r] for r in rows]))
    note = (
        f"{len(table.rows) - len(keep)} smaller groups are left out of this table (the "
        f"{bounds.REPORT_GROUPS} largest of each view are shown); every group is in {twin}."
    )
    return dataclasses.replace(table, html_rows=tuple(keep), html_note=note)
