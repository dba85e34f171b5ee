"""Percentile bootstrap intervals for AUC, rates and every fairness metric, vectorised.

A resample is a vector of count weights over the rows (n,): how often each row was
drawn. Resampling images draws n rows with replacement; resampling clusters (`cluster`
codes, e.g. identities or videos) draws as many clusters as there are, with
replacement, and gives each row its cluster's count. For a block of resamples
`weights` (B, n) everything is computed at once, from the rows sorted once per view by
(label, group, score): reals first, then fakes, each by group and within a group by
score. Counts per (label, group, prediction) are then sums over runs (`np.add.reduceat`),
and AUC per group is the weighted Mann-Whitney statistic

    AUC_g = sum over fakes f of w_f (R_<(f) + R_=(f) / 2) / (W_real W_fake)

where R_<(f) and R_=(f) are the weights of the group's reals scored below and tied
with f. Both are differences of one cumulative sum S of the ordered real weights, at
positions found once by `searchsorted` (they do not depend on the weights):
R_< + R_= / 2 = (S[lt_f] + S[le_f]) / 2 - S[start_g]. With integer weights every sum
is an exact integer in float64, so the values equal scikit-learn's counts and
`roc_auc_score` on the rows repeated that many times.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from fairdf.metrics.detection import rates_from_counts
from fairdf.metrics.fairness import fairness_metrics
from fairdf.metrics.views import OVERALL, View

INTERVAL_METRICS = ("auc", "acc", "fpr", "tpr")
FairnessFunction = Callable[[Mapping[str, np.ndarray], Mapping[str, np.ndarray]], dict]
CHUNK_ELEMENTS = 2_000_000  # weights per block of resamples (16 MB in float64)
PROGRESS_ELEMENTS = 50_000_000  # show a progress bar from this many resampled rows on


@dataclass(frozen=True)
class SortedView:
    """Row order of one view, and the fixed positions the AUC needs, for all resamples.

    `order` sorts the rows by (label, group, score): the n_real reals first. For the
    fake at sorted position n_real + k, `below[k]` / `through[k]` index the exclusive
    cumulative real weight S (length n_real + 1) just before the first real of its
    group with a score >= / > its own, and `group_real_start[g]` indexes S at the
    start of group g's reals.
    """

    view: View
    order: np.ndarray  # (n,) rows sorted by (label, group, score)
    n_real: int
    segment_starts: np.ndarray  # (S,) starts of the non-empty (label, group, predicted) runs
    segment_cells: np.ndarray  # (S,) (group * 2 + label) * 2 + predicted of each run
    below: np.ndarray  # (n_fake,) S index: reals of the fake's group scored below it
    through: np.ndarray  # (n_fake,) S index: ... scored below or tied with it
    fake_group_starts: np.ndarray  # (P,) start of each present group among the fakes
    fake_present: np.ndarray  # (P,) ids of the groups with fakes
    group_real_start: np.ndarray  # (G,) S index of each group's first real

    @classmethod
    def build(cls, view: View, label: np.ndarray, score: np.ndarray, predicted: np.ndarray):
        order = np.lexsort((score, view.codes, label))
        groups, labels = view.codes[order], label[order].astype(np.int64)
        ordered_score = score[order]
        n_real = int(np.count_nonzero(labels == 0))
        cells = (groups * 2 + labels) * 2 + predicted[order].astype(np.int64)
        segment_starts = _run_starts(cells)
        real_groups, fake_groups = groups[:n_real], groups[n_real:]
        bounds = np.searchsorted(real_groups, np.arange(view.n_groups + 1))
        below = np.empty(len(fake_groups), dtype=np.int64)
        through = np.empty(len(fake_groups), dtype=np.int64)
        fake_bounds = np.searchsorted(fake_groups, np.arange(view.n_groups + 1))
        for group in range(view.n_groups):
            reals = ordered_score[bounds[group] : bounds[group + 1]]
            fakes = slice(fake_bounds[group], fake_bounds[group + 1])
            fake_scores = ordered_score[n_real:][fakes]
            below[fakes] = bounds[group] + np.searchsorted(reals, fake_scores, side="left")
            through[fakes] = bounds[group] + np.searchsorted(reals, fake_scores, side="right")
        fake_group_starts = _run_starts(fake_groups) if len(fake_groups) else np.zeros(0, int)
        return cls(
            view=view,
            order=order,
            n_real=n_real,
            segment_starts=segment_starts,
            segment_cells=cells[segment_starts],
            below=below,
            through=through,
            fake_group_starts=fake_group_starts,
            fake_present=fake_groups[fake_group_starts],
            group_real_start=bounds[:-1],
        )


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """Start positions of runs of equal consecutive values (all keys equal)."""
    change = np.zeros(len(keys[0]), dtype=bool)
    change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(change)


def _counts(ordered: np.ndarray, sv: SortedView) -> np.ndarray:
    """Counts (B, G, 2, 2) [resample, group, label, predicted] from ordered weights (B, n)."""
    size, n_groups = ordered.shape[0], sv.view.n_groups
    total = np.int64 if ordered.dtype.kind in "iu" else np.float64
    counts = np.zeros((size, n_groups * 4))
    counts[:, sv.segment_cells] = np.add.reduceat(ordered, sv.segment_starts, axis=1, dtype=total)
    return counts.reshape(size, n_groups, 2, 2)


def _sum_dtypes(ordered: np.ndarray) -> tuple[type, type]:
    """(cumulative, product) dtypes: exact and as small as the weights allow.

    Integer weights sum in int32 while every cumulative sum (<= total weight) and
    product (<= 2 x total x largest weight) fits, else in int64; float weights in float64.
    """
    if ordered.dtype.kind not in "iu":
        return np.float64, np.float64
    largest = int(ordered.max()) if ordered.size else 0
    total = largest * ordered.shape[1]
    cumulative = np.int32 if total < 2**31 else np.int64
    product = np.int32 if 2 * total * max(largest, 1) < 2**31 else np.int64
    return cumulative, product


def _auc_numerator(ordered: np.ndarray, n_fake: np.ndarray, sv: SortedView) -> np.ndarray:
    """Per group (B, G): sum over fakes of w_f (real weight below + half the tied)."""
    size, n_real = ordered.shape[0], sv.n_real
    numerator = np.zeros(n_fake.shape)
    if len(sv.fake_present) == 0 or n_real == 0:
        return numerator
    cumulative_type, product_type = _sum_dtypes(ordered)
    cumulative = np.empty((size, n_real + 1), dtype=cumulative_type)
    cumulative[:, 0] = 0
    np.cumsum(ordered[:, :n_real], axis=1, dtype=cumulative_type, out=cumulative[:, 1:])
    ranked = np.take(cumulative, sv.below, axis=1).astype(product_type, copy=False)
    ranked += np.take(cumulative, sv.through, axis=1)
    ranked *= ordered[:, n_real:]
    total = np.float64 if product_type is np.float64 else np.int64
    pairs = np.add.reduceat(ranked, sv.fake_group_starts, axis=1, dtype=total)
    numerator[:, sv.fake_present] = 0.5 * pairs
    numerator -= n_fake * cumulative[:, sv.group_real_start]
    return numerator


def weighted_statistics(weights: np.ndarray, sv: SortedView) -> tuple[np.ndarray, np.ndarray]:
    """Weighted counts (B, G, 2, 2) [resample, group, label, predicted] and AUC (B, G).

    `weights` (B, n): integer counts (exact, fastest as uint8) or floats.
    AUC_g = sum over fakes f of w_f * (real weight below f + half the tied real weight)
    / (W_real W_fake); NaN where a group lacks a class.
    """
    ordered = np.take(weights, sv.order, axis=1)
    counts = _counts(ordered, sv)
    n_real, n_fake = counts[..., 0, :].sum(-1), counts[..., 1, :].sum(-1)
    numerator = _auc_numerator(ordered, n_fake, sv)
    pairs = n_real * n_fake
    auc = np.full(pairs.shape, np.nan)
    np.divide(numerator, pairs, out=auc, where=pairs > 0)
    return counts, auc


def resample_weights(
    rng: np.random.Generator,
    size: int,
    n_rows: int,
    clusters: np.ndarray | None = None,
    *,
    compact: bool = False,
    dtype: type = np.float64,
) -> np.ndarray:
    """Count weights (size, n_rows): rows, or whole clusters (codes (n,)), drawn with replacement.

    float64 by default; with `compact`, uint8 when every count fits (it nearly always
    does: a count is about Poisson(1)), which makes the weighted sums several times faster.
    """
    units = n_rows if clusters is None else int(clusters.max()) + 1
    draws = rng.integers(0, units, size=(size, units))
    # one bincount per resample: its count array stays in cache
    counts = np.stack([np.bincount(row, minlength=units) for row in draws])
    counts = counts.astype(np.uint8 if compact and counts.max() < 256 else dtype)
    return counts if clusters is None else np.take(counts, clusters, axis=1)


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


def resample_blocks(
    n_rows: int,
    n_resamples: int,
    *,
    clusters: np.ndarray | None = None,
    seed: int = 0,
    models: int = 1,
) -> Iterator[np.ndarray]:
    """Blocks of count weights (B, n_rows), n_resamples rows in all, from one seeded stream.

    The blocks hold `CHUNK_ELEMENTS // n_rows` resamples each, so a seed gives the same
    resamples whatever consumes them. A progress bar (stderr, only on a terminal) is
    shown when the work (resamples x rows x models) is large.
    """
    from tqdm import tqdm

    rng = np.random.default_rng(seed)
    block = max(1, CHUNK_ELEMENTS // n_rows)
    large = n_resamples * n_rows * models >= PROGRESS_ELEMENTS
    with tqdm(
        total=n_resamples,
        desc="bootstrap",
        unit="resample",
        file=sys.stderr,
        disable=None if large else True,
        leave=False,
    ) as bar:
        for start in range(0, n_resamples, block):
            size = min(block, n_resamples - start)
            yield resample_weights(rng, size, n_rows, clusters, compact=True, dtype=np.int64)
            bar.update(size)


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
    collected: dict[tuple[str, ...], list[np.ndarray]] = defaultdict(list)
    for weights in resample_blocks(len(label), n_resamples, clusters=clusters, seed=seed):
        for key, values in resample_statistics(weights, sorted_views, fairness).items():
            collected[key].append(values)
    return {key: np.concatenate(parts) for key, parts in collected.items()}
