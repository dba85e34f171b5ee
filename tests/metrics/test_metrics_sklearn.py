"""Every per-group number against scikit-learn on masks; fairness against fairlearn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from helpers_metrics import (
    brentq_eer,
    brute_force_fairness,
    sklearn_group_metrics,
    synthetic_predictions,
)

from fairdf.data.groups import SCHEMES
from fairdf.metrics import compute_metrics, equal_error_rate

CROSS_VIEW = {"F_S", "F_A", "F_COV"}
VIEW_COLUMNS = {
    "intersectional": "intersec_label",
    "gender": "gender",
    "race": "race",
    "age": "age",
}


def _view_labels(frame: pd.DataFrame, scheme: str) -> dict[str, np.ndarray]:
    """Group name of each row per view, derived independently of fairdf."""
    groups = SCHEMES[scheme]
    ids = frame["intersec_label"].to_numpy()
    return {
        "intersectional": np.asarray(groups.group_names, dtype=object)[ids],
        "gender": np.where(ids < len(groups.races), "male", "nonmale"),
        "race": np.asarray(groups.races, dtype=object)[ids % len(groups.races)],
        "age": frame["age"].to_numpy(),
    }


@pytest.mark.parametrize(("scheme", "ties"), [("ffpp", False), ("celebdf", True)])
def test_every_group_number_matches_sklearn(scheme, ties):
    frame = synthetic_predictions(n=900, seed=3, scheme=scheme, ties=ties)
    result = compute_metrics(frame, scheme, by=["age"]).to_json_dict()
    label, score = frame["label"].to_numpy(), frame["score"].to_numpy()
    overall = sklearn_group_metrics(label, score)
    for key, value in result["overall"].items():
        assert value == pytest.approx(overall[key], abs=1e-12), key
    for view, names in _view_labels(frame, scheme).items():
        ours = result["groups"][view]
        assert sorted(ours) == sorted(set(names))
        expected_groups = []
        for group, values in ours.items():
            mask = names == group
            expected = sklearn_group_metrics(label[mask], score[mask])
            expected_groups.append(expected)
            for key, value in values.items():
                assert value == pytest.approx(expected[key], abs=1e-12), (view, group, key)
        expected_fairness = brute_force_fairness(expected_groups, overall)
        for key, value in result["fairness"][view].items():
            if key in CROSS_VIEW:  # checked in test_reference_figures
                continue
            assert value == pytest.approx(expected_fairness[key], abs=1e-12), (view, key)
    assert result["excluded"] == []


def test_fairness_agrees_with_fairlearn():
    frame = synthetic_predictions(n=1200, seed=5)
    result = compute_metrics(frame, "ffpp", by=["age"])
    label, score = frame["label"].to_numpy(), frame["score"].to_numpy()
    predicted = (score > 0.5).astype(int)
    for view, names in _view_labels(frame, "ffpp").items():
        fairness = result.fairness[view]
        assert fairness["F_DP"] == pytest.approx(
            demographic_parity_difference(label, predicted, sensitive_features=names), abs=1e-12
        )
        # FNR gap = TPR gap and TNR gap = FPR gap, so F_MEO is fairlearn's equalized odds
        assert fairness["F_MEO"] == pytest.approx(
            equalized_odds_difference(label, predicted, sensitive_features=names), abs=1e-12
        )
        frame_metrics = MetricFrame(
            metrics={"fpr": false_positive_rate, "tpr": true_positive_rate, "pr": selection_rate},
            y_true=label,
            y_pred=predicted,
            sensitive_features=pd.Series(names, name="group"),
        )
        table = result.groups[view]
        for key in ("fpr", "tpr", "pr"):
            by_group = frame_metrics.by_group[key]
            np.testing.assert_allclose(table.loc[by_group.index, key], by_group, atol=1e-12)
        assert fairness["FPR_gap"] == pytest.approx(frame_metrics.difference()["fpr"], abs=1e-12)
        deviations = (frame_metrics.by_group["fpr"] - frame_metrics.overall["fpr"]).abs()
        assert fairness["F_FPR"] == pytest.approx(deviations.sum(), abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equal_error_rate_matches_brentq_on_the_roc_curve(seed):
    from sklearn.metrics import roc_curve

    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, 300)
    score = rng.normal(label * 0.8, 1.0)
    fpr, tpr, _ = roc_curve(label, score)
    assert equal_error_rate(fpr, tpr) == pytest.approx(brentq_eer(label, score), abs=1e-12)


def test_threshold_is_strict_and_configurable():
    """An image is fake when score > threshold; a score equal to it counts as real."""
    frame = pd.DataFrame(
        {"label": [0, 0, 1, 1], "score": [0.5, 0.2, 0.5, 0.9], "intersec_label": [6, 6, 7, 7]}
    )
    result = compute_metrics(frame, "ffpp")
    assert result.overall["fpr"] == 0.0 and result.overall["tpr"] == 0.5
    lowered = compute_metrics(frame, "ffpp", threshold=0.4)
    assert lowered.overall["fpr"] == 0.5 and lowered.overall["tpr"] == 1.0
