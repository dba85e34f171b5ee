"""Decisions that are all one class: fairness metrics that are 0 by construction.

A detector that calls every image fake (or every image real) has the same FPR, TPR and
PR in every group, so each gap and sum of the fairness metrics is 0: it looks perfectly
fair while deciding nothing. Results record it in `meta.constant_decisions` ("fake",
"real" or null) per level (frames, videos); the commands print one warning line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def constant_decisions(predicted: np.ndarray) -> str | None:
    """'fake' or 'real' when every decision (n,) is that class, else None (also when empty)."""
    if predicted.size == 0:
        return None
    if predicted.all():
        return "fake"
    return "real" if not predicted.any() else None


def constant_levels(metrics: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(unit, class) of each level of a result's JSON dict whose decisions are constant."""
    levels = [("image", metrics["meta"])]
    if "video" in metrics:
        levels.append(("video", metrics["video"]["meta"]))
    return [
        (unit, meta["constant_decisions"])
        for unit, meta in levels
        if meta.get("constant_decisions")
    ]


def constant_decisions_warning(metrics: Mapping[str, Any], name: str | None = None) -> str | None:
    """One warning line when a result's frame or video decisions are all one class."""
    levels = constant_levels(metrics)
    if not levels:
        return None
    called = " and ".join(f"every {unit} is called {label}" for unit, label in levels)
    auc = metrics["overall"].get("auc")
    auc_text = "n/a" if auc is None else f"{100 * auc:.1f}%"
    prefix = f"{name}: " if name else ""
    return (
        f"warning: {prefix}constant decisions: {called} at threshold "
        f"{metrics['meta']['threshold']:g} (AUC {auc_text}), so no group's rates can differ and "
        "every fairness metric is 0 by construction, not evidence of fairness"
    )


def is_constant(metrics: Mapping[str, Any]) -> bool:
    """True when the frame-level decisions of a result's JSON dict are all one class."""
    return metrics["meta"].get("constant_decisions") is not None
