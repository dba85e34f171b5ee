"""Predictive parity, ratio forms, disparity, calibration and the reference script's figures,
each against an independent computation (fairlearn, numpy on masks, plain Python)."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_ratio,
    false_positive_rate,
    true_positive_rate,
)
from helpers_metrics import brute_force_ece, synthetic_predictions
from scipy.special import expit

from fairdf.errors import UnknownNameError
from fairdf.metrics import compute_metrics


def _views(frame):
    ids = frame["intersec_label"].to_numpy()
    return {
        "intersectional": ids,
        "gender": np.where(ids < 4, 0, 1),
        "race": ids % 4,
        "age": frame["age"].to_numpy(),
    }


def test_ratios_equal_fairlearn():
    frame = synthetic_predictions(n=1500, seed=21)
    result = compute_metrics(frame, "ffpp", by=["age"])
    label = frame["label"].to_numpy()
    predicted = (frame["score"].to_numpy() > 0.5).astype(int)
    for view, names in _views(frame).items():
        fairness = result.fairness[view]
        expected_pr = demographic_parity_ratio(label, predicted, sensitive_features=names)
        assert fairness["PR_ratio"] == pytest.approx(expected_pr, abs=1e-12), view
        for key, metric in (("FPR_ratio", false_positive_rate), ("TPR_ratio", true_positive_rate)):
            frame_metric = MetricFrame(
                metrics=metric, y_true=label, y_pred=predicted, sensitive_features=names
            )
            assert fairness[key] == pytest.approx(frame_metric.ratio(), abs=1e-12), (view, key)


def test_predictive_values_with_undefined_groups_on_masks():
    frame = synthetic_predictions(n=900, seed=22)
    ids = frame["intersec_label"].to_numpy()
    frame.loc[ids == 3, "score"] = 0.2  # male-others: nothing called fake -> no PPV
    frame.loc[ids == 6, "score"] = 0.9  # nonmale-black: nothing called real -> no NPV
    result = compute_metrics(frame, "ffpp").to_json_dict()
    label, called = frame["label"].to_numpy(), frame["score"].to_numpy() > 0.5
    ppv, npv = [], []
    for group in range(8):
        mask = ids == group
        fake_calls, real_calls = mask & called, mask & ~called
        ppv.append(label[fake_calls].mean() if fake_calls.any() else np.nan)
        npv.append(1 - label[real_calls].mean() if real_calls.any() else np.nan)
    groups = result["groups"]["intersectional"]
    names = list(groups)
    for group, name in enumerate(names):
        for key, values in (("ppv", ppv), ("npv", npv)):
            if np.isnan(values[group]):
                assert groups[name][key] is None
            else:
                assert groups[name][key] == pytest.approx(values[group], abs=1e-12)
    fairness = result["fairness"]["intersectional"]
    assert fairness["PPV_gap"] == pytest.approx(np.nanmax(ppv) - np.nanmin(ppv), abs=1e-12)
    assert fairness["NPV_gap"] == pytest.approx(np.nanmax(npv) - np.nanmin(npv), abs=1e-12)
    reasons = {
        (e["group"], e["metric"]): e["reason"]
        for e in result["excluded"]
        if e["view"] == "intersectional"
    }
    assert reasons[("male-others", "ppv")] == "no image called fake"
    assert reasons[("male-others", "PPV_gap")] == "no image called fake: PPV undefined"
    assert reasons[("nonmale-black", "npv")] == "no image called real"
    # nothing called fake anywhere: PR is 0 for every group, so the ratio is undefined
    frame["score"] = 0.1
    flat = compute_metrics(frame, "ffpp").to_json_dict()["fairness"]["intersectional"]
    assert flat["PR_ratio"] is None and flat["PPV_gap"] is None


def test_calibration_error_per_group_and_absent_group():
    frame = synthetic_predictions(n=800, seed=23, ties=True)  # scores on the bin edges
    frame = frame[frame["intersec_label"] != 4]  # nonmale-asian absent
    result = compute_metrics(frame, "ffpp").to_json_dict()
    ids = frame["intersec_label"].to_numpy()
    label, score = frame["label"].to_numpy(), frame["score"].to_numpy()
    groups = result["groups"]["intersectional"]
    expected = []
    for group, name in enumerate(groups):
        mask = ids == group
        value = brute_force_ece(label[mask], score[mask])
        if value is None:
            assert groups[name]["ece"] is None
            continue
        expected.append(value)
        assert groups[name]["ece"] == pytest.approx(value, abs=1e-12)
    assert groups["nonmale-asian"]["ece"] is None
    gap = result["fairness"]["intersectional"]["ECE_gap"]
    assert gap == pytest.approx(max(expected) - min(expected), abs=1e-12)


def _reference_figures(logits, label, names_by_view, intersectional):
    """F_G, F_S, F_A, F_COV as the reference metric script computes them, in plain Python."""
    n = len(label)
    called = [1 / (1 + np.exp(-z)) >= 0.5 for z in logits]

    def positive_rate(rows):
        return sum(called[i] for i in rows) / len(rows)

    everyone = list(range(n))
    pr_all = positive_rate(everyone)
    inter_groups = sorted(set(intersectional))
    inter_rates = [
        positive_rate([i for i in everyone if intersectional[i] == g]) for g in inter_groups
    ]
    f_s = max(abs(a - b) for a in inter_rates for b in inter_rates)
    mean_logit = sum(logits) / n
    out = {}
    for view, (order, names) in names_by_view.items():
        f_g, cov = 0.0, 0.0
        for weight, group in enumerate(order):
            rows = [i for i in everyone if names[i] == group]
            if rows:
                f_g = max(f_g, abs(positive_rate(rows) - pr_all))
            first = sum(weight * logits[i] for i in rows) / n
            second = weight * len(rows) / n * mean_logit
            cov += abs(first - second)
        out[view] = {"F_G": f_g, "F_S": f_s, "F_A": (f_g + f_s) / 2, "F_COV": cov}
    return out


def test_reference_figures_match_the_reference_loop():
    frame = synthetic_predictions(n=500, seed=24)
    logits = np.log(frame["score"] / (1 - frame["score"])).to_numpy() + 0.05
    frame = frame.drop(columns=["score"]).assign(logit_fake=logits)
    result = compute_metrics(frame, "ffpp", reference_convention=True, threshold=0.5)
    ids = frame["intersec_label"].to_numpy()
    assert not np.any(expit(logits) == 0.5)  # the reference's >= and fairdf's > agree
    views = {
        "gender": (["male", "nonmale"], np.where(ids < 4, "male", "nonmale")),
        "race": (
            ["asian", "white", "black", "others"],
            np.array(["asian", "white", "black", "others"])[ids % 4],
        ),
    }
    expected = _reference_figures(list(logits), frame["label"].to_numpy(), views, list(ids))
    for view, values in expected.items():
        for key, value in values.items():
            assert result.fairness[view][key] == pytest.approx(value, abs=1e-9), (view, key)


def test_disparity_against_largest_and_chosen_reference():
    frame = synthetic_predictions(n=1000, seed=25)
    result = compute_metrics(frame, "ffpp", by=["age"]).to_json_dict()
    label, called = frame["label"].to_numpy(), frame["score"].to_numpy() > 0.5
    race = frame["intersec_label"].to_numpy() % 4
    names = ["asian", "white", "black", "others"]
    sizes = [int((race == r).sum()) for r in range(4)]
    section = result["disparity"]["race"]
    assert section["reference"] == names[int(np.argmax(sizes))]

    def rate(mask, of, value):  # share of `of` rows among the masked rows
        return (mask & of & value).sum() / (mask & of).sum()

    reference = race == names.index(section["reference"])
    everyone = np.ones_like(called)
    for r, name in enumerate(names):
        mask = race == r
        for key, of, value in (
            ("pr", everyone, called),
            ("fpr", label == 0, called),
            ("tpr", label == 1, called),
            ("fnr", label == 1, ~called),
        ):
            expected = rate(mask, of, value) / rate(reference, of, value)
            assert section["groups"][name][key] == pytest.approx(expected, abs=1e-12)
            assert section["groups"][name]["pass"][key] == (0.8 <= expected <= 1.25)
    chosen = compute_metrics(frame, "ffpp", reference_groups={"race": "black"})
    assert chosen.disparity["race"]["reference"] == "black"
    assert chosen.disparity["race"]["groups"]["black"]["pr"] == 1.0
    with pytest.raises(UnknownNameError, match="reference group 'purple'"):
        compute_metrics(frame, "ffpp", reference_groups={"race": "purple"})
    with pytest.raises(UnknownNameError, match="view of --reference-group 'age'"):
        compute_metrics(frame, "ffpp", reference_groups={"age": "old"})
