"""Detection metrics per group: counts, rates at a threshold, AUC, EER and AP.

By default an image is predicted fake when `score > threshold`: a score of exactly the
threshold is real. (The reference metric script counts `sigmoid(logit) >= 0.5` as fake, so a
tie is fake there; `--reference-convention` uses its rule, see `fairdf.metrics.reference`.)
Counts and rates come from one `np.bincount` over (group, label, prediction) cells and
accept per-row weights (bootstrap resamples), with an extra leading axis allowed in
`rates_from_counts`. AUC, EER and AP come from scikit-learn per group. A value that is
undefined for a group (no real images: FPR, TNR; no fake images: TPR, FNR; one class
only: AUC, EER, AP; no images: everything) is NaN.

fairlearn's MetricFrame is not used at run time: it converts its inputs element by
element (about 1 s per metric per million rows here, about 25x slower than this module on the
1M-row benchmark, `benchmarks/metrics_scale.py`); the tests check every number against
MetricFrame and scikit-learn on masks instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import auc, average_precision_score, roc_curve

from fairdf.metrics.reference import nearest_point_eer
from fairdf.metrics.views import View

COUNT_NAMES = ("n", "n_real", "n_fake")
RATE_NAMES = ("acc", "fpr", "tpr", "tnr", "fnr", "pr")
PREDICTIVE_NAMES = ("ppv", "npv")  # precision of the fake and of the real calls
SCORE_METRIC_NAMES = ("auc", "eer", "ap")
GROUP_COLUMNS = (
    "n",
    "n_real",
    "n_fake",
    "auc",
    "acc",
    "fpr",
    "tpr",
    "tnr",
    "fnr",
    "pr",
    "eer",
    "ap",
)


def predicted_fake(score: np.ndarray, threshold: float) -> np.ndarray:
    """(n,) bool: the rule `score > threshold`."""
    return score > threshold


def confusion_counts(
    codes: np.ndarray,
    label: np.ndarray,
    predicted: np.ndarray,
    n_groups: int,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Counts (G, 2, 2) indexed [group, label, predicted] of rows (n,), optionally weighted."""
    cells = (codes * 2 + label) * 2 + predicted.astype(np.int64)
    counts = np.bincount(cells, weights=weights, minlength=4 * n_groups)
    return counts.reshape(n_groups, 2, 2).astype(np.float64)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(np.shape(denominator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def rates_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Counts (..., G, 2, 2) -> `n`, `n_real`, `n_fake` and the rates, each (..., G).

    `pr` is the predicted-fake share, `nr` the predicted-real share; `ppv` (precision) and
    `npv` are the shares of correct calls among the images called fake / real; rates
    undefined for a group are NaN.
    """
    true_negative, false_positive = counts[..., 0, 0], counts[..., 0, 1]
    false_negative, true_positive = counts[..., 1, 0], counts[..., 1, 1]
    n_real = true_negative + false_positive
    n_fake = false_negative + true_positive
    n = n_real + n_fake
    return {
        "n": n,
        "n_real": n_real,
        "n_fake": n_fake,
        "acc": _ratio(true_negative + true_positive, n),
        "fpr": _ratio(false_positive, n_real),
        "tpr": _ratio(true_positive, n_fake),
        "tnr": _ratio(true_negative, n_real),
        "fnr": _ratio(false_negative, n_fake),
        "pr": _ratio(false_positive + true_positive, n),
        "nr": _ratio(true_negative + false_negative, n),
        "ppv": _ratio(true_positive, true_positive + false_positive),
        "npv": _ratio(true_negative, true_negative + false_negative),
    }


def equal_error_rate(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """Where the ROC curve, linear between its points, crosses FPR = FNR (= 1 - TPR).

    `fpr`, `tpr` (K,) as returned by `sklearn.metrics.roc_curve`, starting at (0, 0) and
    ending at (1, 1): `fpr + tpr - 1` rises from -1 to 1 and crosses 0 once.
    """
    distance = fpr + tpr - 1.0
    i = int(np.searchsorted(distance, 0.0))
    if distance[i] == 0.0:
        return float(fpr[i])
    fraction = -distance[i - 1] / (distance[i] - distance[i - 1])
    return float(fpr[i - 1] + fraction * (fpr[i] - fpr[i - 1]))


def score_metrics(
    label: np.ndarray, score: np.ndarray, *, nearest_eer: bool = False
) -> dict[str, float]:
    """AUC, EER and AP of rows (n,); NaN for all three unless both classes are present.

    `nearest_eer`: the reference's EER (FPR of the nearest ROC point) instead of the
    interpolated crossing.
    """
    if label.size == 0 or label.min() == label.max():
        return dict.fromkeys(SCORE_METRIC_NAMES, np.nan)
    fpr, tpr, _ = roc_curve(label, score)
    eer = nearest_point_eer(fpr, tpr) if nearest_eer else equal_error_rate(fpr, tpr)
    return {
        "auc": float(auc(fpr, tpr)),  # exactly what roc_auc_score computes
        "eer": eer,
        "ap": float(average_precision_score(label, score)),
    }


def _score_metrics_by_group(
    view: View, label: np.ndarray, score: np.ndarray, nearest_eer: bool
) -> dict[str, np.ndarray]:
    order = np.argsort(view.codes, kind="stable")
    bounds = np.searchsorted(view.codes[order], np.arange(view.n_groups + 1))
    values = {name: np.full(view.n_groups, np.nan) for name in SCORE_METRIC_NAMES}
    for group in range(view.n_groups):
        rows = order[bounds[group] : bounds[group + 1]]
        for name, value in score_metrics(label[rows], score[rows], nearest_eer=nearest_eer).items():
            values[name][group] = value
    return values


def group_table(
    view: View,
    label: np.ndarray,
    score: np.ndarray,
    predicted: np.ndarray,
    *,
    nearest_eer: bool = False,
) -> pd.DataFrame:
    """One row per group of `view` (absent groups included): `GROUP_COLUMNS`, ppv, npv."""
    counts = confusion_counts(view.codes, label, predicted, view.n_groups)
    scores = _score_metrics_by_group(view, label, score, nearest_eer)
    columns = {**rates_from_counts(counts), **scores}
    table = pd.DataFrame(columns, index=pd.Index(view.names, name="group"))
    for name in COUNT_NAMES:
        table[name] = table[name].astype(np.int64)
    return table[[*GROUP_COLUMNS, *PREDICTIVE_NAMES]]


def group_exclusions(view: str, table: pd.DataFrame) -> list[dict[str, str | None]]:
    """Entries for each undefined value of a group table: the group, metric and reason."""
    entries: list[dict[str, str | None]] = []

    def exclude(group: str, metrics: tuple[str, ...], reason: str) -> None:
        entries.extend(
            {"view": view, "group": group, "metric": m, "reason": reason} for m in metrics
        )

    for group, row in table.iterrows():
        if row["n"] == 0:
            exclude(str(group), ("all",), "no images")
            continue
        if row["n_real"] == 0:
            exclude(str(group), ("fpr", "tnr", *SCORE_METRIC_NAMES), "no real images")
        if row["n_fake"] == 0:
            exclude(str(group), ("tpr", "fnr", *SCORE_METRIC_NAMES), "no fake images")
        if np.isnan(row["ppv"]):
            exclude(str(group), ("ppv",), "no image called fake")
        if np.isnan(row["npv"]):
            exclude(str(group), ("npv",), "no image called real")
    return entries
