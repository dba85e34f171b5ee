"""Vectorised bootstrap: exact weighted statistics, coverage, cluster resampling."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_metrics import read_json, synthetic_predictions
from scipy.stats import norm
from sklearn.metrics import confusion_matrix, roc_auc_score

from fairdf.cli import main
from fairdf.metrics import compute_metrics
from fairdf.metrics.bootstrap import (
    SortedView,
    bootstrap_statistics,
    percentile_interval,
    resample_weights,
    weighted_statistics,
)
from fairdf.metrics.views import View, overall_view


@pytest.mark.parametrize("decimals", [1, 6])
def test_weighted_statistics_equal_sklearn_on_repeated_rows(decimals):
    """Integer weights = rows repeated; ties (1 decimal) count half in AUC."""
    rng = np.random.default_rng(decimals)
    n = 400
    codes = rng.integers(0, 4, n)
    codes[codes == 3] = 2  # group 3 absent
    label = rng.integers(0, 2, n)
    label[codes == 1] = 0  # group 1 has no fakes
    score = np.round(rng.random(n), decimals)
    predicted = score > 0.5
    view = View("v", codes, ("a", "b", "c", "d"))
    weights = np.vstack([np.ones(n), rng.integers(0, 4, (3, n))]).astype(float)
    counts, auc = weighted_statistics(weights, SortedView.build(view, label, score, predicted))
    for resample, row_weights in enumerate(weights.astype(int)):
        for group in range(4):
            mask = codes == group
            y = np.repeat(label[mask], row_weights[mask])
            s = np.repeat(score[mask], row_weights[mask])
            expected = confusion_matrix(y, s > 0.5, labels=[0, 1]) if y.size else np.zeros((2, 2))
            np.testing.assert_array_equal(counts[resample, group], expected)
            if len(set(y)) == 2:
                assert auc[resample, group] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
            else:
                assert np.isnan(auc[resample, group])


def test_resample_weights_draw_rows_or_whole_clusters():
    rng = np.random.default_rng(0)
    rows = resample_weights(rng, 50, 200)
    assert rows.shape == (50, 200) and np.all(rows.sum(axis=1) == 200)
    clusters = np.repeat(np.arange(10), 20)
    weights = resample_weights(rng, 50, 200, clusters)
    per_cluster = weights.reshape(50, 10, 20)
    assert np.all(per_cluster == per_cluster[..., :1])  # a cluster is drawn whole
    assert np.all(per_cluster[..., 0].sum(axis=1) == 10)  # as many draws as clusters


# A population with two groups: latent x ~ N(MEANS[group, label], 1), score = Phi(x),
# so score > 0.5 iff x > 0 and every true value is known in closed form.
MEANS = np.array([[-1.0, 0.8], [-0.3, 1.2]])
TRUE_FPR = norm.cdf(MEANS[:, 0])
TRUE = {
    "auc": np.mean([norm.cdf((f - r) / np.sqrt(2)) for f in MEANS[:, 1] for r in MEANS[:, 0]]),
    "F_FPR": np.abs(TRUE_FPR - TRUE_FPR.mean()).sum(),
    "fpr_a": TRUE_FPR[0],
}


def _sample(rng: np.random.Generator, n: int, cluster_effect: float = 0.0, cluster_size: int = 1):
    group = rng.integers(0, 2, n)
    label = rng.integers(0, 2, n)
    clusters = np.arange(n) // cluster_size
    effect = rng.normal(0.0, cluster_effect, clusters[-1] + 1)[clusters]
    score = norm.cdf(rng.normal(MEANS[group, label], 1.0) + effect)
    return group, label, score, clusters


def _intervals(group, label, score, ci, n_resamples, clusters=None, seed=0):
    views = [overall_view(len(label)), View("g", group, ("a", "b"))]
    stats = bootstrap_statistics(
        label, score, score > 0.5, views, n_resamples, clusters=clusters, seed=seed
    )
    return {
        "auc": percentile_interval(stats[("overall", "auc")], ci),
        "F_FPR": percentile_interval(stats[("fairness", "g", "F_FPR")], ci),
        "fpr_a": percentile_interval(stats[("groups", "g", "a", "fpr")], ci),
    }


def test_intervals_cover_the_true_values_at_about_the_nominal_rate():
    rng = np.random.default_rng(2024)
    repetitions, covered = 60, dict.fromkeys(TRUE, 0)
    for seed in range(repetitions):
        group, label, score, _ = _sample(rng, 800)
        for key, (low, high) in _intervals(group, label, score, 0.9, 200, seed=seed).items():
            covered[key] += low <= TRUE[key] <= high
    for key, count in covered.items():
        assert 0.75 <= count / repetitions <= 0.99, (key, count)


def _fpr_width(group, label, score, clusters=None) -> float:
    """Width of the 95% interval of the overall FPR (a mean, so clustering shows clearly)."""
    views = [overall_view(len(label)), View("g", group, ("a", "b"))]
    stats = bootstrap_statistics(label, score, score > 0.5, views, 300, clusters=clusters)
    low, high = percentile_interval(stats[("overall", "fpr")], 0.95)
    return high - low


def test_cluster_resampling_widens_intervals_only_for_correlated_clusters():
    rng = np.random.default_rng(7)
    group, label, score, clusters = _sample(rng, 2000, cluster_effect=1.0, cluster_size=20)
    correlated = _fpr_width(group, label, score, clusters) / _fpr_width(group, label, score)
    group, label, score, clusters = _sample(rng, 2000, cluster_effect=0.0, cluster_size=20)
    independent = _fpr_width(group, label, score, clusters) / _fpr_width(group, label, score)
    assert correlated > 1.5
    assert 0.75 < independent < 1.33


def test_compute_metrics_intervals_are_deterministic_and_nested_like_the_result():
    frame = synthetic_predictions(n=400, seed=1)
    frame = frame[frame["intersec_label"] != 0]  # male-asian absent: null intervals
    first = compute_metrics(frame, "ffpp", bootstrap=40, seed=3).to_json_dict()
    again = compute_metrics(frame, "ffpp", bootstrap=40, seed=3).to_json_dict()
    other = compute_metrics(frame, "ffpp", bootstrap=40, seed=4).to_json_dict()
    assert first["intervals"] == again["intervals"] != other["intervals"]
    intervals = first["intervals"]
    assert set(intervals["fairness"]) == set(first["fairness"])
    assert set(intervals["fairness"]["race"]) == set(first["fairness"]["race"])
    assert intervals["groups"]["intersectional"]["male-asian"] == dict.fromkeys(
        ["auc", "acc", "fpr", "tpr"]
    )
    low, high = intervals["overall"]["auc"]
    assert low < first["overall"]["auc"] < high
    assert first["meta"]["n_bootstrap"] == 40 and first["meta"]["ci"] == 0.95


def test_cli_bootstrap_by_cluster(tmp_path, capsys):
    frame = synthetic_predictions(n=300, seed=2)
    frame["video"] = np.arange(len(frame)) // 10
    path = tmp_path / "pred.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "m.json"
    argv = ["metrics", str(path), "--bootstrap", "50", "--cluster-by", "video", "--ci", "0.9"]
    argv += ["--video-column", "none"]  # these "videos" mix labels: clusters only
    assert main([*argv, "--seed", "1", "--json", str(out)]) == 0
    result = read_json(out)
    assert result["meta"]["cluster_by"] == "video" and result["meta"]["ci"] == 0.9
    low, high = result["intervals"]["fairness"]["intersectional"]["F_FPR"]
    assert 0 <= low <= high
    printed = capsys.readouterr().out
    assert "90% percentile bootstrap intervals from 50 resamples of clusters of 'video'" in printed
    assert "  interval" in printed
