"""Percentile bootstrap intervals for AUC, rates and every fairness metric, vectorised.

A resample is a vector of count weights over the rows (n,): how often each row was
drawn. Resampling images draws n rows with replacement; resampling clusters (`cluster`
codes, e.g. identities or videos) draws as many clusters as there are, with
replacement, and gives each row its cluster's count. For a block of resamples
`weights` (B, n) everything is computed at once, from the rows sorted once per view by
(group, score): counts per (group, label, prediction) are sums over runs
(`np.add.reduceat`), and AUC per group is the weighted Mann-Whitney statistic
sum over fakes of w * (real weight below + half the tied real weight) / (W_real W_fake),
with the real weight below from one cumulative sum.
With unit weights these equal scikit-learn's counts and `roc_auc_score`; with integer
weights they equal them on the rows repeated that many times.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from fairdf.metrics.detection import rates_from_counts
from fairdf.metrics.fairness import fairness_metrics
from fairdf.metrics.views import OVERALL, View

INTERVAL_METRICS = ("auc", "acc", "fpr", "tpr")
FairnessFunction = Callable[[Mapping[str, np.ndarray], Mapping[str, np.ndarray]], dict]
CHUNK_ELEMENTS = 2_000_000  # weights per block of resamples (16 MB in float64)


@dataclass(frozen=True)
class SortedView:
    """Row order of one view, computed once for all resamples.

    Rows are sorted by (group, score, label): within a group by score, and within a tie
    reals before fakes, so the running real weight at a fake row counts every real
    below it plus all reals tied with it (the tie correction then removes half of those).
    """

    view: View
    order: np.ndarray  # (n,) rows sorted by (group, score, label)
    fake: np.ndarray  # (n,) float64, 1 for fake rows in that order
    segment_starts: np.ndarray  # (S,) starts of the non-empty (group, predicted) runs
    segment_ids: np.ndarray  # (S,) group * 2 + predicted of each run
    group_starts: np.ndarray  # (P,) start of each present group
    present: np.ndarray  # (P,) ids of the present groups
    tie_rows: np.ndarray  # (m,) rows (original index) in tie blocks (equal group and score)
    tie_fake: np.ndarray  # (m,) float64, 1 for fake rows among them
    tie_starts: np.ndarray  # (K,) start of each tie block within tie_rows
    tie_groups: np.ndarray  # (K, G) float64 one-hot group of each tie block

    @classmethod
    def build(cls, view: View, label: np.ndarray, score: np.ndarray, predicted: np.ndarray):
        order = np.lexsort((label, score, view.codes))
        groups = view.codes[order]
        segments = groups * 2 + predicted[order]
        segment_starts = _run_starts(segments)
        group_starts = _run_starts(groups)
        block_starts = _run_starts(groups, score[order])
        sizes = np.diff(np.append(block_starts, len(order)))
        tied = sizes > 1
        tie_positions = np.flatnonzero(np.repeat(tied, sizes))
        tie_starts = np.cumsum(sizes[tied]) - sizes[tied]
        tie_groups = np.zeros((int(tied.sum()), view.n_groups))
        tie_groups[np.arange(len(tie_groups)), groups[block_starts[tied]]] = 1.0
        return cls(
            view=view,
            order=order,
            fake=label[order].astype(np.float64),
            segment_starts=segment_starts,
            segment_ids=segments[segment_starts],
            group_starts=group_starts,
            present=groups[group_starts],
            tie_rows=order[tie_positions],
            tie_fake=label[order][tie_positions].astype(np.float64),
            tie_starts=tie_starts,
            tie_groups=tie_groups,
        )


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """Start positions of runs of equal consecutive values (all keys equal)."""
    change = np.zeros(len(keys[0]), dtype=bool)
    change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(change)


def _tie_products(weights: np.ndarray, sv: SortedView) -> np.ndarray:
    """Sum over tie blocks of (fake weight x real weight) per group (B, G)."""
    if len(sv.tie_starts) == 0:
        return np.zeros((weights.shape[0], sv.view.n_groups))
    tied = weights[:, sv.tie_rows]
    fake = tied * sv.tie_fake
    real = tied - fake
    products = np.add.reduceat(fake, sv.tie_starts, axis=1) * np.add.reduceat(
        real, sv.tie_starts, axis=1
    )
    return products @ sv.tie_groups


def _run_counts(real: np.ndarray, fake: np.ndarray, sv: SortedView) -> np.ndarray:
    """Counts (B, G, 2, 2) [resample, group, label, predicted] from ordered weights (B, n)."""
    size, n_groups = real.shape[0], sv.view.n_groups
    counts = np.zeros((size, n_groups * 2, 2))  # [resample, group * 2 + predicted, label]
    counts[:, sv.segment_ids, 0] = np.add.reduceat(real, sv.segment_starts, axis=1)
    counts[:, sv.segment_ids, 1] = np.add.reduceat(fake, sv.segment_starts, axis=1)
    return counts.reshape(size, n_groups, 2, 2).transpose(0, 1, 3, 2)


def _pairs_ranked_below(
    real: np.ndarray, fake: np.ndarray, n_fake: np.ndarray, sv: SortedView
) -> np.ndarray:
    """Per group (B, G): sum over fakes of w * (real weight below or tied). Overwrites inputs."""
    running_real = np.cumsum(real, axis=1, out=real)
    real_before_group = np.zeros((real.shape[0], len(sv.group_starts)))
    real_before_group[:, 1:] = running_real[:, sv.group_starts[1:] - 1]
    fake *= running_real
    pairs = np.zeros(n_fake.shape)
    pairs[:, sv.present] = np.add.reduceat(fake, sv.group_starts, axis=1)
    pairs[:, sv.present] -= real_before_group * n_fake[:, sv.present]
    return pairs


def weighted_statistics(weights: np.ndarray, sv: SortedView) -> tuple[np.ndarray, np.ndarray]:
    """Weighted counts (B, G, 2, 2) [resample, group, label, predicted] and AUC (B, G).

    AUC_g = sum over fakes f of w_f * (real weight below f + half the tied real weight)
    / (W_real W_fake); NaN where a group lacks a class.
    """
    ordered = weights[:, sv.order]
    fake = ordered * sv.fake
    real = np.subtract(ordered, fake, out=ordered)
    counts = _run_counts(real, fake, sv)
    n_real, n_fake = counts[..., 0, :].sum(-1), counts[..., 1, :].sum(-1)
    numerator = _pairs_ranked_below(real, fake, n_fake, sv) - 0.5 * _tie_products(weights, sv)
    pairs = n_real * n_fake
    auc = np.full(pairs.shape, np.nan)
    np.divide(numerator, pairs, out=auc, where=pairs > 0)
    return counts, auc


def resample_weights(
    rng: np.random.Generator, size: int, n_rows: int, clusters: np.ndarray | None = None
) -> np.ndarray:
    """Count weights (size, n_rows): rows, or whole clusters (codes (n,)), drawn with replacement."""
    units = n_rows if clusters is None else int(clusters.max()) + 1
    draws = rng.integers(0, units, size=(size, units))
    draws += np.arange(size)[:, None] * units
    counts = np.bincount(draws.ravel(), minlength=size * units).reshape(size, units)
    counts = counts.astype(np.float64)
    return counts if clusters is None else counts[:, clusters]


def resample_statistics(
    weights: np.ndarray,
    sorted_views: list[SortedView],
    fairness: FairnessFunction = fairness_metrics,
) -> dict[tuple[str, ...], np.ndarray]:
    """Every statistic (B,) of a block of resamples, keyed by its path in the result.

    `sorted_views[0]` must be the overall view; `fairness` computes the fairness metrics
    from group rates (fairdf's, or the reference convention's).
    """
    rates_by_view = {}
    for sv in sorted_views:
        counts, auc = weighted_statistics(weights, sv)
        rates = rates_from_counts(counts)
        rates["auc"] = auc
        rates_by_view[sv.view.name] = rates
    overall = {name: values[:, 0] for name, values in rates_by_view.pop(OVERALL).items()}
    stats = {("overall", name): overall[name] for name in INTERVAL_METRICS}
    for sv in sorted_views[1:]:
        rates = rates_by_view[sv.view.name]
        for metric, values in fairness(rates, overall).items():
            stats[("fairness", sv.view.name, metric)] = values
        for position, group in enumerate(sv.view.names):
            for name in INTERVAL_METRICS:
                stats[("groups", sv.view.name, group, name)] = rates[name][:, position]
    return stats


def percentile_interval(values: np.ndarray, ci: float) -> tuple[float, float] | None:
    """Percentile interval of the defined (non-NaN) values (B,); None if there are none."""
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        return None
    low, high = np.quantile(defined, [(1 - ci) / 2, (1 + ci) / 2])
    return float(low), float(high)


def bootstrap_statistics(
    label: np.ndarray,
    score: np.ndarray,
    predicted: np.ndarray,
    views: list[View],
    n_resamples: int,
    *,
    clusters: np.ndarray | None = None,
    seed: int = 0,
    fairness: FairnessFunction = fairness_metrics,
) -> dict[tuple[str, ...], np.ndarray]:
    """All statistics (n_resamples,) over resamples; `views[0]` must be the overall view."""
    sorted_views = [SortedView.build(view, label, score, predicted) for view in views]
    rng = np.random.default_rng(seed)
    block = max(1, CHUNK_ELEMENTS // len(label))
    collected: dict[tuple[str, ...], list[np.ndarray]] = defaultdict(list)
    for start in range(0, n_resamples, block):
        weights = resample_weights(rng, min(block, n_resamples - start), len(label), clusters)
        for key, values in resample_statistics(weights, sorted_views, fairness).items():
            collected[key].append(values)
    return {key: np.concatenate(parts) for key, parts in collected.items()}
