"""Disparity of each group against a reference group, with the four-fifths rule as a flag.

For a view with reference group r and a rate m (PR, FPR, TPR, FNR, PPV, NPV):

    disparity_g(m) = m_g / m_r

and the group passes the four-fifths rule for m when 0.8 <= disparity_g(m) <= 1.25
(Aequitas' default bounds). The reference group is, unless given, the group with the
most images (the first such group on a tie). A disparity is undefined (NaN, flag null)
when m_g or m_r is undefined or m_r = 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from fairdf.errors import UnknownNameError

DISPARITY_RATES = ("pr", "fpr", "tpr", "fnr", "ppv", "npv")
FOUR_FIFTHS = (0.8, 1.25)


def reference_group(table: pd.DataFrame, chosen: str | None = None) -> str:
    """The reference group of a view's group table: `chosen`, or the largest group."""
    names = [str(g) for g in table.index]
    if chosen is None:
        return names[int(np.argmax(table["n"].to_numpy()))]
    if chosen not in names:
        raise UnknownNameError("reference group", chosen, names)
    return chosen


def disparities(table: pd.DataFrame, reference: str) -> dict[str, dict[str, float]]:
    """disparity_g(m) for every group g and rate m of `DISPARITY_RATES` (NaN = undefined)."""
    names = [str(g) for g in table.index]
    row = names.index(reference)
    out = {}
    for rate in DISPARITY_RATES:
        values = table[rate].to_numpy(dtype=np.float64)
        base = values[row]
        ratios = np.full(len(values), np.nan)
        if np.isfinite(base) and base > 0:
            ratios = values / base
        out[rate] = dict(zip(names, ratios.tolist(), strict=True))
    return out


def four_fifths(value: float) -> bool | None:
    """True within [0.8, 1.25], False outside, None when the disparity is undefined."""
    if value is None or np.isnan(value):
        return None
    low, high = FOUR_FIFTHS
    return bool(low <= value <= high)


def disparity_section(
    groups: Mapping[str, pd.DataFrame], chosen: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Per view: its reference group and, per group, each rate's disparity and flag.

    Layout: {view: {"reference": r, "bounds": [0.8, 1.25],
                    "groups": {g: {"pr": d, ..., "pass": {"pr": bool|None, ...}}}}}
    """
    chosen = dict(chosen or {})
    unknown = [view for view in chosen if view not in groups]
    if unknown:
        raise UnknownNameError("view of --reference-group", unknown[0], list(groups))
    section = {}
    for view, table in groups.items():
        reference = reference_group(table, chosen.get(view))
        values = disparities(table, reference)
        per_group = {}
        for group in (str(g) for g in table.index):
            ratios = {rate: values[rate][group] for rate in DISPARITY_RATES}
            flags = {rate: four_fifths(value) for rate, value in ratios.items()}
            per_group[group] = {**ratios, "pass": flags}
        section[view] = {"reference": reference, "bounds": list(FOUR_FIFTHS), "groups": per_group}
    return section
