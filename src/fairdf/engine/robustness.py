"""The robustness table of `fairdf test --perturb`: each condition against the clean scores.

One row per condition (clean first): n, AUC and the intersectional fairness metrics,
each with its change from clean (condition - clean) and the paired interval of that
change. The interval comes from `change_interval`, the one place where a paired
bootstrap (both predictions files resampled with the same image draws) plugs in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from fairdf.data.groups import GroupScheme

ROBUSTNESS_METRICS = ("auc", "F_FPR", "F_OAE", "F_DP", "F_MEO")
CLEAN = "clean"


@dataclass(frozen=True)
class Condition:
    """One scored condition: its name, spec ('jpeg:60'), predictions and metrics JSON."""

    name: str
    spec: str
    predictions: pd.DataFrame
    metrics: dict[str, Any]


def metric_value(metrics: dict[str, Any], name: str) -> float | None:
    """AUC from `overall`, the others from the intersectional fairness of a metrics JSON."""
    if name == "auc":
        return metrics["overall"]["auc"]
    return metrics["fairness"].get("intersectional", {}).get(name)


ROBUSTNESS_RESAMPLES = 1000  # paired bootstrap resamples of a change from clean
ROBUSTNESS_CI = 0.95


def change_interval(
    clean: pd.DataFrame, perturbed: pd.DataFrame, metric: str, scheme: GroupScheme
) -> list[float] | None:
    """Paired 95% interval [low, high] of metric(perturbed) - metric(clean).

    Both tables hold the same images in the same order; every resample draws the same
    images for both (`fairdf.metrics.paired`), so the interval reflects the change the
    perturbation causes, not the sampling noise of either score set. None where the
    change is undefined (or the tables do not score the same images).
    """
    differences = _paired_differences(clean, perturbed, scheme)
    key = ("overall", "auc") if metric == "auc" else ("fairness", "intersectional", metric)
    found = differences.get(key) if differences else None
    if found is None or found.low is None or found.high is None:
        return None
    return [found.low, found.high]


_PAIRED_CACHE: dict[tuple[int, int], dict] = {}


def _paired_differences(clean: pd.DataFrame, perturbed: pd.DataFrame, scheme: GroupScheme):
    """All paired differences perturbed - clean, computed once per pair of tables."""
    from fairdf.metrics.paired import paired_differences
    from fairdf.metrics.predictions import prepare_predictions
    from fairdf.metrics.views import build_views, overall_view

    key = (id(clean), id(perturbed))
    if key in _PAIRED_CACHE:
        return _PAIRED_CACHE[key]
    if (
        len(clean) != len(perturbed)
        or not (clean["path"].to_numpy() == perturbed["path"].to_numpy()).all()
    ):
        return None
    base = prepare_predictions(clean, scheme)
    other = prepare_predictions(perturbed, scheme)
    views = [overall_view(len(base)), *build_views(base)]
    differences = paired_differences(
        base.label, [base.score, other.score], views, ROBUSTNESS_RESAMPLES, ci=ROBUSTNESS_CI
    )[1]
    _PAIRED_CACHE.clear()  # keep only the latest pair
    _PAIRED_CACHE[key] = differences
    return differences


IntervalFunction = Callable[[pd.DataFrame, pd.DataFrame, str, GroupScheme], Any]


def robustness_rows(
    clean: Condition,
    conditions: Sequence[Condition],
    scheme: GroupScheme,
    interval: IntervalFunction = change_interval,
) -> list[dict[str, Any]]:
    """Records of the robustness table, clean first (its changes are 0)."""
    rows = []
    for condition in (clean, *conditions):
        row: dict[str, Any] = {
            "condition": condition.name,
            "spec": condition.spec,
            "n": condition.metrics["overall"]["n"],
        }
        for metric in ROBUSTNESS_METRICS:
            value, base = (
                metric_value(condition.metrics, metric),
                metric_value(clean.metrics, metric),
            )
            row[metric] = value
            row[f"{metric}_change"] = None if value is None or base is None else value - base
            paired = condition is not clean and row[f"{metric}_change"] is not None
            row[f"{metric}_change_interval"] = (
                interval(clean.predictions, condition.predictions, metric, scheme)
                if paired
                else None
            )
        rows.append(row)
    return rows


def robustness_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The table as printed / written to CSV: one row per condition, values in percent."""
    table = pd.DataFrame(rows).set_index("condition")
    shown = ["n"]
    for metric in ROBUSTNESS_METRICS:
        shown += [metric, f"{metric}_change"]
    table = table[shown].copy()
    for column in shown[1:]:
        table[column] = pd.to_numeric(table[column], errors="coerce") * 100
    return table.round(3)
