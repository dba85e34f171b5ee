"""Predictive parity, ratio forms and the reference script's F_G, from per-group rates.

For the groups of one view (rates at the threshold, `overall` = the whole set):

    PPV_gap    max_g PPV_g - min_g PPV_g    PPV = TP / (TP + FP) (precision of "fake")
    NPV_gap    max_g NPV_g - min_g NPV_g    NPV = TN / (TN + FN)
    PR_ratio   min_g PR_g / max_g PR_g      (fairlearn's demographic_parity_ratio)
    FPR_ratio  min_g FPR_g / max_g FPR_g
    TPR_ratio  min_g TPR_g / max_g TPR_g
    F_G        max_g |PR_g - PR_overall|    (the reference metric script's F_G)

Groups where a rate is undefined are left out of that rate's gap or ratio; fewer than
2 defined groups, or a largest value of 0 for a ratio, make the metric undefined (NaN).
Ratios are 1 for perfect parity and lower is less fair. Arrays may carry a leading
batch axis (bootstrap resamples): rates (..., G), overall rates (...).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

PARITY_METRICS = ("PPV_gap", "NPV_gap", "PR_ratio", "FPR_ratio", "TPR_ratio", "F_G")
PARITY_TERMS: dict[str, tuple[str, ...]] = {
    "PPV_gap": ("ppv",),
    "NPV_gap": ("npv",),
    "PR_ratio": ("pr",),
    "FPR_ratio": ("fpr",),
    "TPR_ratio": ("tpr",),
    "F_G": ("pr",),
}
# computed from the scores, not the counts (`fairdf.metrics.scored`; no bootstrap interval)
SCORED_METRICS = ("ECE_gap", "F_S", "F_A", "F_COV")
SCORED_TERMS: dict[str, tuple[str, ...]] = {
    "ECE_gap": ("ece",),
    "F_S": ("pr",),
    "F_A": ("pr",),
    "F_COV": ("pr",),
}
MIN_GROUPS = 2


def _defined_enough(values: np.ndarray) -> np.ndarray:
    return (~np.isnan(values)).sum(axis=-1) >= MIN_GROUPS


def ratio(values: np.ndarray) -> np.ndarray:
    """min / max over the defined values of the last axis (..., G) -> (...); NaN if < 2 or max 0."""
    defined = ~np.isnan(values)
    highest = np.where(defined, values, -np.inf).max(axis=-1)
    lowest = np.where(defined, values, np.inf).min(axis=-1)
    valid = _defined_enough(values) & (highest > 0)
    out = np.full(np.shape(highest), np.nan)
    np.divide(lowest, highest, out=out, where=valid)
    return out


def largest_deviation(values: np.ndarray, overall: np.ndarray) -> np.ndarray:
    """max_g |value_g - overall| over defined groups (..., G) -> (...); NaN if < 2 defined."""
    deviation = np.abs(values - np.expand_dims(overall, -1))
    largest = np.where(np.isnan(deviation), -np.inf, deviation).max(axis=-1)
    return np.where(_defined_enough(values), largest, np.nan)


def parity_metrics(
    rates: Mapping[str, np.ndarray], overall: Mapping[str, np.ndarray], gap
) -> dict[str, np.ndarray]:
    """All `PARITY_METRICS` from group rates (..., G); `gap` is the fairness module's gap."""
    return {
        "PPV_gap": gap(rates["ppv"]),
        "NPV_gap": gap(rates["npv"]),
        "PR_ratio": ratio(rates["pr"]),
        "FPR_ratio": ratio(rates["fpr"]),
        "TPR_ratio": ratio(rates["tpr"]),
        "F_G": largest_deviation(rates["pr"], overall["pr"]),
    }
