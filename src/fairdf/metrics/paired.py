"""Paired bootstrap: differences between models scored on the same images.

Every resample draws one vector of count weights over the rows (images, or whole
clusters with `clusters`) and applies it to *every* model, so the difference
D* = stat(model) - stat(baseline) of a resample compares the models on the same
resampled test set. Errors the models share (hard images, hard identities) then cancel
in D*, and the interval of a difference is narrower than one built from independent
resamples of each model.

    statistics = paired_statistics(label, [score_a, score_b], [pred_a, pred_b], views, 2000)
    d = difference(point_b, point_a, statistics[1][key], statistics[0][key], ci=0.95)
    d.estimate, d.low, d.high, d.p_value

Or all at once, for two or more score vectors of the same rows (e.g. clean vs
perturbed predictions of one model):

    diffs = paired_differences(label, [clean, perturbed], views, n_resamples=2000)
    diffs[1][("fairness", "intersectional", "F_FPR")].p_value

p-value (two-sided, percentile bootstrap): with B defined resamples,
p = min(1, 2 min((1 + #{D* <= 0}) / (B + 1), (1 + #{D* >= 0}) / (B + 1))).
The +1 counts the observed test set as one of the resamples: p is never 0 (the
smallest reachable is 2 / (B + 1)), and identical models (D* = 0 throughout) get p = 1.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fairdf.metrics.bootstrap import (
    SortedView,
    percentile_interval,
    resample_blocks,
    resample_statistics,
)
from fairdf.metrics.detection import predicted_fake
from fairdf.metrics.fairness import FAIRNESS_METRICS
from fairdf.metrics.views import View

Key = tuple[str, ...]


@dataclass(frozen=True)
class Difference:
    """A paired difference model - baseline: point estimate, percentile interval, p-value.

    Every field is None where the difference is undefined (either point value is
    undefined, or no resample defined both). `p_holm` is filled by `holm_adjust`.
    """

    estimate: float | None
    low: float | None
    high: float | None
    p_value: float | None
    p_holm: float | None = None

    @property
    def significant(self) -> bool:
        """The interval excludes 0."""
        return self.low is not None and (self.low > 0 or self.high < 0)

    def to_json_dict(self) -> dict[str, float | None]:
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "p_value": self.p_value,
            "p_holm": self.p_holm,
        }


def difference_keys(views: Sequence[View]) -> list[Key]:
    """The compared statistics: overall AUC and every fairness metric of each group view.

    `views[0]` is the overall view and is skipped for fairness.
    """
    keys: list[Key] = [("overall", "auc")]
    keys += [("fairness", v.name, m) for v in views[1:] for m in FAIRNESS_METRICS]
    return keys


def paired_statistics(
    label: np.ndarray,
    scores: Sequence[np.ndarray],
    predicted: Sequence[np.ndarray],
    views: Sequence[View],
    n_resamples: int,
    *,
    clusters: np.ndarray | None = None,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> list[dict[Key, np.ndarray]]:
    """Bootstrap statistics (n_resamples,) of each model, all from the same resamples.

    label (n,) 0/1 shared by the models; scores and predicted: one (n,) array per model;
    `views[0]` must be the overall view. Per model the result has the keys of
    `bootstrap.resample_statistics` (overall, fairness and per-group values), and with
    one model it equals `bootstrap.bootstrap_statistics` for the same seed.
    `progress(k)` is called after each block of k resamples.
    """
    sorted_views = [
        [SortedView.build(view, label, score, pred) for view in views]
        for score, pred in zip(scores, predicted, strict=True)
    ]
    collected: list[dict[Key, list[np.ndarray]]] = [defaultdict(list) for _ in scores]
    blocks = resample_blocks(
        len(label), n_resamples, clusters=clusters, seed=seed, models=len(scores)
    )
    for weights in blocks:
        for model, model_views in enumerate(sorted_views):
            for key, values in resample_statistics(weights, model_views).items():
                collected[model][key].append(values)
        if progress is not None:
            progress(len(weights))
    return [{key: np.concatenate(parts) for key, parts in model.items()} for model in collected]


def bootstrap_p_value(draws: np.ndarray) -> float | None:
    """Two-sided p-value of H0: difference = 0 from the defined draws D* (B,).

    p = min(1, 2 min((1 + #{D* <= 0}) / (B + 1), (1 + #{D* >= 0}) / (B + 1))); None if B = 0.
    """
    defined = draws[~np.isnan(draws)]
    if defined.size == 0:
        return None
    total = defined.size + 1
    below = (1 + np.count_nonzero(defined <= 0)) / total
    above = (1 + np.count_nonzero(defined >= 0)) / total
    return float(min(1.0, 2.0 * min(below, above)))


def difference(
    point: float, baseline_point: float, draws: np.ndarray, baseline_draws: np.ndarray, ci: float
) -> Difference:
    """Paired difference point - baseline_point with its interval from D* = draws - baseline."""
    if math.isnan(point) or math.isnan(baseline_point):
        return Difference(None, None, None, None)
    deltas = draws - baseline_draws
    bounds = percentile_interval(deltas, ci)
    if bounds is None:
        return Difference(float(point - baseline_point), None, None, None)
    return Difference(float(point - baseline_point), *bounds, bootstrap_p_value(deltas))


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm step-down adjusted p-values; None entries stay None and are not counted.

    With the m defined p-values sorted ascending, p_(i) -> max_{j <= i} min(1, (m - j + 1) p_(j)).
    """
    defined = [i for i, p in enumerate(p_values) if p is not None]
    order = sorted(defined, key=lambda i: p_values[i])
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * float(p_values[index])))
        adjusted[index] = running
    return adjusted


def holm_adjust(differences: Mapping[Key, Difference]) -> dict[Key, Difference]:
    """The same differences with `p_holm` set, Holm across all of them (one family)."""
    keys = list(differences)
    adjusted = holm([differences[k].p_value for k in keys])
    return {
        key: Difference(d.estimate, d.low, d.high, d.p_value, p)
        for key, d, p in zip(keys, differences.values(), adjusted, strict=True)
    }


def compare_to_baseline(
    points: Sequence[Mapping[Key, float]],
    statistics: Sequence[Mapping[Key, np.ndarray]],
    keys: Sequence[Key],
    baseline: int,
    ci: float,
) -> dict[int, dict[Key, Difference]]:
    """Holm-adjusted differences of every model but `baseline`, per model index."""
    out = {}
    for model, (point, stats) in enumerate(zip(points, statistics, strict=True)):
        if model == baseline:
            continue
        raw = {
            key: difference(
                point[key], points[baseline][key], stats[key], statistics[baseline][key], ci
            )
            for key in keys
        }
        out[model] = holm_adjust(raw)
    return out


def unit_point_values(
    label: np.ndarray, score: np.ndarray, predicted: np.ndarray, views: Sequence[View]
) -> dict[Key, float]:
    """Every statistic at unit weights (the observed test set), as floats (NaN = undefined)."""
    sorted_views = [SortedView.build(view, label, score, predicted) for view in views]
    stats = resample_statistics(np.ones((1, len(label))), sorted_views)
    return {key: float(values[0]) for key, values in stats.items()}


def paired_differences(
    label: np.ndarray,
    scores: Sequence[np.ndarray],
    views: Sequence[View],
    n_resamples: int = 2000,
    *,
    threshold: float = 0.5,
    baseline: int = 0,
    ci: float = 0.95,
    clusters: np.ndarray | None = None,
    seed: int = 0,
) -> dict[int, dict[Key, Difference]]:
    """Paired differences of AUC and every fairness metric, each model vs `baseline`.

    label (n,) 0/1; scores: one (n,) p(fake) array per model, row i the same image in
    each; views: `[overall_view(n), *group views]`; clusters (n,) int codes to resample
    whole clusters. Returns {model index: {key: Difference}} with keys from
    `difference_keys(views)`, Holm-adjusted within each model. Point values are the
    weighted statistics at unit weights (equal to scikit-learn's up to rounding).
    """
    predicted = [predicted_fake(score, threshold) for score in scores]
    points = [unit_point_values(label, s, p, views) for s, p in zip(scores, predicted, strict=True)]
    statistics = paired_statistics(
        label, scores, predicted, views, n_resamples, clusters=clusters, seed=seed
    )
    return compare_to_baseline(points, statistics, difference_keys(views), baseline, ci)
