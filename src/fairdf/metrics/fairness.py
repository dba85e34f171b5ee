"""Group fairness metrics (docs/metrics.md, Fairness metrics) from per-group rates.

For the groups of one view, with rates at the threshold and `overall` = the whole set:

    F_FPR         sum_g |FPR_g - FPR_overall|
    F_EO          sum_g |FPR_g - FPR_overall| + |TPR_g - TPR_overall|
    F_OAE         max_g ACC_g - min_g ACC_g
    F_DP          max(gap of PR, gap of NR = 1 - PR)
    F_MEO         max of the gaps of FPR, FNR, TNR, TPR
    FPR_gap       gap of FPR
    AUC_gap       gap of AUC
    ErrorRate_gap gap of the balanced error rate BER = 1 - (TPR + TNR) / 2

where gap = max_g - min_g. Undefined values (NaN: e.g. FPR of a group without real
images) are left out term by term: each rate's sum or gap runs over the groups where
that rate is defined (BER needs both classes in the group). A sum or gap over fewer
than 2 groups says nothing about fairness, so a metric with such a term is undefined
(NaN, reported as null with its reason). All functions accept a leading batch axis
(bootstrap resamples): rates (..., G), overall rates (...).

`fairness_metrics` also returns the count-based `parity.PARITY_METRICS` (predictive
parity, ratio forms, F_G); the score-based ones live in `fairdf.metrics.scored`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from fairdf.metrics.parity import (
    PARITY_METRICS,
    PARITY_TERMS,
    SCORED_METRICS,
    SCORED_TERMS,
    parity_metrics,
)

FAIRNESS_METRICS = (
    "F_FPR",
    "F_EO",
    "F_OAE",
    "F_DP",
    "F_MEO",
    "FPR_gap",
    "AUC_gap",
    "ErrorRate_gap",
)
# every per-view metric of a result: these, the count-based parity ones, the score-based ones
VIEW_METRICS = (*FAIRNESS_METRICS, *PARITY_METRICS, *SCORED_METRICS)
# the per-group rates ("terms") each metric is built from
METRIC_TERMS: dict[str, tuple[str, ...]] = {
    "F_FPR": ("fpr",),
    "F_EO": ("fpr", "tpr"),
    "F_OAE": ("acc",),
    "F_DP": ("pr",),
    "F_MEO": ("fpr", "fnr", "tnr", "tpr"),
    "FPR_gap": ("fpr",),
    "AUC_gap": ("auc",),
    "ErrorRate_gap": ("ber",),
    **PARITY_TERMS,
    **SCORED_TERMS,
}
RATE_COLUMNS = ("acc", "fpr", "tpr", "tnr", "fnr", "pr", "auc", "ppv", "npv")
TERM_LABELS = {"ber": "balanced error rate", "pr": "PR", "acc": "ACC", "ece": "ECE"}
# why a predictive value is undefined (the other rates: no real / no fake images)
PREDICTIVE_CAUSES = {"ppv": "no image called fake", "npv": "no image called real"}
MIN_GROUPS = 2


def balanced_error_rate(tpr: np.ndarray, tnr: np.ndarray) -> np.ndarray:
    return 1.0 - (tpr + tnr) / 2.0


def gap(values: np.ndarray) -> np.ndarray:
    """max - min over the defined values of the last axis (..., G) -> (...); NaN if < 2."""
    defined = ~np.isnan(values)
    highest = np.where(defined, values, -np.inf).max(axis=-1)
    lowest = np.where(defined, values, np.inf).min(axis=-1)
    return np.where(defined.sum(axis=-1) >= MIN_GROUPS, highest - lowest, np.nan)


def deviations(values: np.ndarray, overall: np.ndarray) -> np.ndarray:
    """|value_g - overall| (..., G), NaN where undefined."""
    return np.abs(values - np.expand_dims(overall, -1))


def _enough(*terms: np.ndarray) -> np.ndarray:
    """(...) bool: every term (..., G) is defined for at least 2 groups."""
    return np.logical_and.reduce([(~np.isnan(t)).sum(axis=-1) >= MIN_GROUPS for t in terms])


def fairness_metrics(
    rates: Mapping[str, np.ndarray], overall: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """`FAIRNESS_METRICS` and `PARITY_METRICS` from group rates (..., G) (`RATE_COLUMNS`).

    `overall` holds the whole set's fpr, tpr and pr (...).
    """
    fpr_terms = deviations(rates["fpr"], overall["fpr"])
    tpr_terms = deviations(rates["tpr"], overall["tpr"])
    # summed group by group, as the reference does (same float rounding)
    eo_terms = np.nan_to_num(fpr_terms) + np.nan_to_num(tpr_terms)
    rate_gaps = [gap(rates[name]) for name in ("fpr", "fnr", "tnr", "tpr")]
    return {
        "F_FPR": np.where(_enough(fpr_terms), np.nansum(fpr_terms, axis=-1), np.nan),
        "F_EO": np.where(_enough(fpr_terms, tpr_terms), eo_terms.sum(axis=-1), np.nan),
        "F_OAE": gap(rates["acc"]),
        "F_DP": np.maximum(gap(rates["pr"]), gap(1.0 - rates["pr"])),
        "F_MEO": np.maximum.reduce(rate_gaps),
        "FPR_gap": rate_gaps[0],
        "AUC_gap": gap(rates["auc"]),
        "ErrorRate_gap": gap(balanced_error_rate(rates["tpr"], rates["tnr"])),
        **parity_metrics(rates, overall, gap),
    }


def fairness_of_table(table: pd.DataFrame, overall: Mapping[str, float]) -> dict[str, float]:
    """`fairness_metrics` of one view's group table (rows = groups) -> floats (NaN = null)."""
    rates = {name: table[name].to_numpy(dtype=np.float64) for name in RATE_COLUMNS}
    totals = {name: np.float64(overall[name]) for name in ("fpr", "tpr", "pr")}
    return {name: float(value) for name, value in fairness_metrics(rates, totals).items()}


def _term_label(term: str) -> str:
    return TERM_LABELS.get(term, term.upper())


def fairness_exclusions(
    view: str, table: pd.DataFrame, values: Mapping[str, float]
) -> list[dict[str, str | None]]:
    """Entries for metrics that are undefined, and for groups left out of a metric.

    Groups without images are not listed here (they have their own "no images" entry).
    """
    defined = {name: table[name].notna().to_numpy() for name in RATE_COLUMNS}
    if "ece" in table.columns:
        defined["ece"] = table["ece"].notna().to_numpy()
    defined["ber"] = defined["tpr"] & defined["tnr"]
    cause = np.where(table["n_real"].to_numpy() == 0, "no real images", "no fake images")
    present = table["n"].to_numpy() > 0
    entries: list[dict[str, str | None]] = []
    for metric, terms in METRIC_TERMS.items():
        if metric not in values:
            continue
        if np.isnan(values[metric]):
            short = next((t for t in terms if defined[t].sum() < MIN_GROUPS), None)
            if short is None and metric.endswith("_ratio"):
                reason = f"every group's {_term_label(terms[0])} is 0: min / max is 0 / 0"
            else:
                label = _term_label(short or terms[0])
                reason = f"fewer than {MIN_GROUPS} groups with a defined {label}"
            entries.append({"view": view, "group": None, "metric": metric, "reason": reason})
            continue
        for position, group in enumerate(table.index):
            missing = [_term_label(t) for t in terms if not defined[t][position]]
            if present[position] and missing:
                why = PREDICTIVE_CAUSES.get(terms[0], cause[position])
                reason = f"{why}: {', '.join(missing)} undefined"
                entries.append(
                    {"view": view, "group": str(group), "metric": metric, "reason": reason}
                )
    return entries
