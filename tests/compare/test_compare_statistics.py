"""Paired bootstrap: p-values and Holm by hand, coverage of a known true difference,
paired narrower than unpaired, identical models give exactly 0."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import norm

from fairdf.metrics.bootstrap import bootstrap_statistics, percentile_interval
from fairdf.metrics.paired import (
    bootstrap_p_value,
    holm,
    paired_differences,
    paired_statistics,
)
from fairdf.metrics.views import View, overall_view
from fairdf.report.compare_figures import pareto_front

AUC = ("overall", "auc")
FPR_GAP = ("fairness", "g", "FPR_gap")


def test_holm_matches_a_hand_computation():
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> running max
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([None, 0.2, 0.6]) == [None, pytest.approx(0.4), pytest.approx(0.6)]
    assert holm([0.5, 0.9]) == [1.0, 1.0]  # capped at 1


def test_bootstrap_p_value_by_hand():
    # below: (1 + 1) / 5, above: (1 + 3) / 5 -> 2 * 0.4
    assert bootstrap_p_value(np.array([-1.0, 1.0, 2.0, 3.0, np.nan])) == pytest.approx(0.8)
    assert bootstrap_p_value(np.zeros(50)) == 1.0
    assert bootstrap_p_value(np.ones(99)) == pytest.approx(2 / 100)  # the smallest possible
    assert bootstrap_p_value(np.array([np.nan])) is None


def test_pareto_front_keeps_undominated_models():
    auc = [0.90, 0.95, 0.93, 0.80, float("nan")]
    fairness = [0.10, 0.20, 0.25, 0.05, 0.01]
    # model 2 is beaten by model 1 (higher AUC, lower value); NaN is left out
    assert pareto_front(auc, fairness) == [3, 0, 1]


# A population of two groups: the logit of a real of group g is N(MEAN_REAL[g], SIGMA),
# of a fake N(MEAN_FAKE, SIGMA); SIGMA combines a per-image difficulty shared by both
# models (sd 1) with each model's own noise (sd 0.5). Model B scores the reals of
# group 1 higher (FPR 0.35 instead of 0.20): B is worse for that group by a known amount.
SIGMA = np.sqrt(1.0 + 0.25)
FPR_A, FPR_B1 = (0.10, 0.20), 0.35
MEAN_REAL = SIGMA * norm.ppf(FPR_A)
SHIFT = SIGMA * norm.ppf(FPR_B1) - MEAN_REAL[1]
MEAN_FAKE = 1.5


def true_auc(shift: float) -> float:
    """P(fake logit > real logit): reals are half group 0, half group 1 (shifted)."""
    spread = SIGMA * np.sqrt(2)
    means = MEAN_REAL + np.array([0.0, shift])
    return float(np.mean(norm.cdf((MEAN_FAKE - means) / spread)))


TRUE = {AUC: true_auc(SHIFT) - true_auc(0.0), FPR_GAP: (FPR_B1 - FPR_A[0]) - (FPR_A[1] - FPR_A[0])}


def draw_population(rng: np.random.Generator, n: int):
    group = rng.integers(0, 2, n)
    label = rng.integers(0, 2, n)
    shared = rng.normal(0, 1, n)
    mean = np.where(label == 1, MEAN_FAKE, MEAN_REAL[group])
    logit_a = mean + shared + rng.normal(0, 0.5, n)
    logit_b = (
        mean + shared + rng.normal(0, 0.5, n) + np.where((label == 0) & (group == 1), SHIFT, 0)
    )
    views = [overall_view(n), View("g", group.astype(np.int64), ("g0", "g1"))]
    return label, [expit(logit_a), expit(logit_b)], views


def coverage(replications: int, n: int, resamples: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    hits = {key: 0 for key in TRUE}
    for replication in range(replications):
        label, scores, views = draw_population(rng, n)
        diffs = paired_differences(label, scores, views, resamples, seed=replication)[1]
        for key in TRUE:
            hits[key] += diffs[key].low <= TRUE[key] <= diffs[key].high
    return {key: count / replications for key, count in hits.items()}


def test_true_population_difference_is_what_large_samples_give():
    """The closed-form truth agrees with a 200,000-image sample (independent check)."""
    label, scores, views = draw_population(np.random.default_rng(1), 200_000)
    diffs = paired_differences(label, scores, views, n_resamples=1)[1]
    assert diffs[AUC].estimate == pytest.approx(TRUE[AUC], abs=0.003)
    assert diffs[FPR_GAP].estimate == pytest.approx(TRUE[FPR_GAP], abs=0.008)


def test_paired_intervals_cover_the_true_difference_at_about_the_nominal_rate():
    rates = coverage(replications=150, n=800, resamples=300, seed=0)
    for key, rate in rates.items():
        assert 0.88 <= rate <= 0.995, (key, rate)


@pytest.mark.slow
def test_paired_coverage_many_replications():
    rates = coverage(replications=1000, n=1500, resamples=1000, seed=1)
    for key, rate in rates.items():
        assert 0.93 <= rate <= 0.97, (key, rate)


def test_paired_intervals_are_narrower_than_unpaired_for_correlated_errors():
    label, scores, views = draw_population(np.random.default_rng(2), 2000)
    predicted = [s > 0.5 for s in scores]
    paired = paired_statistics(label, scores, predicted, views, 400, seed=0)
    unpaired = [
        bootstrap_statistics(label, s, p, views, 400, seed=seed)
        for seed, (s, p) in enumerate(zip(scores, predicted, strict=True))
    ]
    for key in TRUE:
        low, high = percentile_interval(paired[1][key] - paired[0][key], 0.95)
        low_u, high_u = percentile_interval(unpaired[1][key] - unpaired[0][key], 0.95)
        assert high - low < 0.8 * (high_u - low_u), key


def test_identical_models_give_exactly_zero():
    label, scores, views = draw_population(np.random.default_rng(3), 600)
    diffs = paired_differences(label, [scores[0], scores[0].copy()], views, 200)[1]
    for d in diffs.values():
        if d.estimate is None:
            continue
        assert d.estimate == 0.0 and d.low == 0.0 and d.high == 0.0
        assert d.p_value == 1.0 and d.p_holm == 1.0
