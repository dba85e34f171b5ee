"""The paper's metric script, reproduced exactly (`--reference-convention`).

The reference test script stores the raw class-1 logit of each image; its metric script
then, per group:

- scores an image as `1 / (1 + exp(-logit))` in float64 and counts it fake when that
  score is `>= 0.5`: a score of exactly 0.5 (a logit of 0, or of magnitude below about
  1e-16) counts as fake;
- takes the EER as the FPR of the ROC point (scikit-learn's `roc_curve` with its
  default dropping of collinear points) where |FNR - FPR| is smallest, the first such
  point, with no interpolation between points;
- loses every group that lacks real or fake images (its metric call fails and the
  failure is swallowed): such groups, and empty ones, are absent from every fairness
  number of their view (F_G, F_S and F_A included), while the overall rates still count
  their images; only F_COV, computed from the raw logits, still weighs every group;
- prints the precision of a kept group that calls no image fake as 0 (scikit-learn's
  `precision_score` default), where fairdf's convention leaves it undefined.

Fairness numbers then run over the remaining groups, in the scheme's group order: the
sums F_FPR and F_EO are accumulated group by group, gaps are max - min (0 for a single
group), the balanced error rate is `1 - (TPR + (1 - FPR)) / 2` and the negative rate
`(TN + FN) / n`. With no group left, the reference script stops with an error; here every
fairness number of that view is undefined instead. fairdf's own convention (the
default) keeps groups with one class and leaves out only the values they lack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from fairdf.metrics.fairness import FAIRNESS_METRICS

REFERENCE_RULE = "fake if score >= threshold (reference tie rule)"
REFERENCE_EER = "EER = FPR of the ROC point nearest FNR = FPR (no interpolation)"
REMOVED_DETAIL = "removed by the reference convention"


def reference_sigmoid(logit: np.ndarray) -> np.ndarray:
    """(n,) float64 `1 / (1 + exp(-logit))`, the reference's formula (0 below about -709)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-1.0 * np.asarray(logit, dtype=np.float64)))


def nearest_point_eer(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """FPR of the first ROC point (K,) minimising |(1 - TPR) - FPR|."""
    return float(fpr[np.nanargmin(np.absolute((1.0 - tpr) - fpr))])


def kept_groups(n_real: np.ndarray, n_fake: np.ndarray) -> np.ndarray:
    """(..., G) bool: the groups the reference keeps (both classes present)."""
    return (np.asarray(n_real) > 0) & (np.asarray(n_fake) > 0)


def _gap(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    highest = np.where(keep, values, -np.inf).max(axis=-1)
    lowest = np.where(keep, values, np.inf).min(axis=-1)
    return np.where(keep.any(axis=-1), highest - lowest, np.nan)


def _largest(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """max over the kept groups of values (..., G); NaN where none is kept."""
    largest = np.where(keep, values, -np.inf).max(axis=-1)
    return np.where(keep.any(axis=-1), largest, np.nan)


def _running_sum(terms: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Sum over the kept groups of terms (..., G), added one group at a time in order."""
    total = np.zeros(terms.shape[:-1])
    for group in range(terms.shape[-1]):
        total = total + np.where(keep[..., group], terms[..., group], 0.0)
    return np.where(keep.any(axis=-1), total, np.nan)


def reference_fairness_metrics(
    rates: Mapping[str, np.ndarray], overall: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """`FAIRNESS_METRICS` the reference way from group rates (..., G), overall rates (...).

    `rates` needs n_real, n_fake, acc, fpr, tpr, tnr, fnr, pr, nr and auc; `overall`
    needs fpr, tpr and pr.
    """
    keep = kept_groups(rates["n_real"], rates["n_fake"])
    fpr_all = np.expand_dims(overall["fpr"], -1)
    tpr_all = np.expand_dims(overall["tpr"], -1)
    fpr_terms = np.abs(rates["fpr"] - fpr_all)
    eo_terms = fpr_terms + np.abs(rates["tpr"] - tpr_all)
    error_rate = 1.0 - (rates["tpr"] + (1.0 - rates["fpr"])) / 2.0
    gaps = {name: _gap(rates[name], keep) for name in ("fpr", "fnr", "tnr", "tpr")}
    return {
        "F_FPR": _running_sum(fpr_terms, keep),
        "F_EO": _running_sum(eo_terms, keep),
        "F_OAE": _gap(rates["acc"], keep),
        "F_DP": np.maximum(_gap(rates["pr"], keep), _gap(rates["nr"], keep)),
        "F_MEO": np.maximum.reduce(list(gaps.values())),
        "FPR_gap": gaps["fpr"],
        "AUC_gap": _gap(rates["auc"], keep),
        "ErrorRate_gap": _gap(error_rate, keep),
        "F_G": _largest(np.abs(rates["pr"] - np.expand_dims(overall["pr"], -1)), keep),
    }


def reference_precision(ppv: np.ndarray, n_real: np.ndarray, n_fake: np.ndarray) -> np.ndarray:
    """PPV (..., G) as the reference prints it: 0 where a kept group calls no image fake."""
    return np.where(np.isnan(ppv) & kept_groups(n_real, n_fake), 0.0, ppv)


def zero_precision_groups(table: pd.DataFrame) -> list[str]:
    """The groups of a view's table whose precision `reference_precision` set to 0."""
    called_none = table["pr"].to_numpy() == 0
    kept = kept_groups(table["n_real"].to_numpy(), table["n_fake"].to_numpy())
    return [str(group) for group, zero in zip(table.index, called_none & kept, strict=True) if zero]


def reference_spread(pr: np.ndarray, n_real: np.ndarray, n_fake: np.ndarray) -> float:
    """The reference's F_S: max - min of PR (G,) over the kept intersectional groups."""
    return float(_gap(np.asarray(pr, dtype=np.float64), kept_groups(n_real, n_fake)))


def removed_groups(table: pd.DataFrame) -> list[tuple[str, str]]:
    """(group, reason) of each group of a view's table that the reference removes."""
    removed = []
    for group, row in table.iterrows():
        if row["n"] == 0:
            removed.append((str(group), "no images"))
        elif row["n_real"] == 0:
            removed.append((str(group), "no real images"))
        elif row["n_fake"] == 0:
            removed.append((str(group), "no fake images"))
    return removed


def reference_exclusions(view: str, table: pd.DataFrame) -> list[dict[str, str | None]]:
    """Entries for the groups removed from every fairness number, or for a view left empty."""
    removed = removed_groups(table)
    if len(removed) == len(table):
        reason = "no group with both real and fake images (the reference script stops here)"
        return [
            {"view": view, "group": None, "metric": m, "reason": reason} for m in FAIRNESS_METRICS
        ]
    return [
        {"view": view, "group": group, "metric": metric, "reason": f"{cause}: {REMOVED_DETAIL}"}
        for group, cause in removed
        if cause != "no images"  # listed already as a group without images
        for metric in FAIRNESS_METRICS
    ]


def removal_warning(meta: Mapping[str, Any]) -> str | None:
    """One line naming the groups removed under the reference convention, or None."""
    removed = meta.get("removed_groups") or {}
    parts = [f"{view}: {', '.join(groups)}" for view, groups in removed.items() if groups]
    if not parts:
        return None
    return (
        "warning: reference convention: groups without both real and fake images are removed "
        f"from every fairness number ({'; '.join(parts)})"
    )
