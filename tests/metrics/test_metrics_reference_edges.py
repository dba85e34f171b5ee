"""The reference convention on one-class groups, logits exactly 0 and groups of 1-3 images.

The expected numbers are computed here from the reference metric script's definitions
with numpy on masks (and scikit-learn's ROC for AUC and EER, as that script does), never
with fairdf: score = 1 / (1 + exp(-logit)), fake when score >= 0.5, EER = FPR of the ROC
point nearest FNR = FPR, groups without both classes dropped from the fairness numbers.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from fairdf.cli import main

GENDERS = ("male", "nonmale")
RACES = ("asian", "white", "black", "others")
# (gender, race): [(label, logit), ...]; nonmale-others stays empty
CELLS = {
    ("male", "asian"): [(1, 0.3), (1, -2.0), (1, 0.0)],  # fakes only: dropped
    ("male", "white"): [(0, 0.0), (0, -1.0)],  # reals only: dropped
    ("male", "black"): [(0, 0.0), (1, -0.4)],  # a real at logit 0 counts as fake
    ("male", "others"): [(0, -0.5), (0, 0.0), (1, 0.0)],
    ("nonmale", "asian"): [(1, 1.2)],  # one image: dropped
    ("nonmale", "black"): [(0, -1e-20), (1, 2.0), (0, 0.7)],  # -1e-20 scores exactly 0.5
}


def _rows(seed: int = 3) -> pd.DataFrame:
    records = [(g, r, y, x) for (g, r), cell in CELLS.items() for y, x in cell]
    rng = np.random.default_rng(seed)
    for _ in range(40):  # one ordinary group: nonmale-white
        label = int(rng.integers(0, 2))
        logit = float(np.round(rng.normal(0.8 * (2 * label - 1), 1.0), 1))  # ties and zeros
        records.append(("nonmale", "white", label, logit))
    records.append(("nonmale", "white", 0, 0.0))
    frame = pd.DataFrame(records, columns=["gender", "race", "label", "logit_fake"])
    frame.insert(0, "group_id", [GENDERS.index(g) * 4 + RACES.index(r) for g, r, _, _ in records])
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _reference_rates(label: np.ndarray, logit: np.ndarray) -> dict[str, float]:
    score = 1 / (1 + np.exp(-1 * logit))
    fake = score >= 0.5
    tn, fp = np.sum((label == 0) & ~fake), np.sum((label == 0) & fake)
    fn, tp = np.sum((label == 1) & ~fake), np.sum((label == 1) & fake)
    fpr, tpr = fp / (fp + tn), tp / (tp + fn)
    roc_fpr, roc_tpr, _ = roc_curve(label, score, pos_label=1)
    return {
        "auc": roc_auc_score(label, score),
        "eer": roc_fpr[np.nanargmin(np.absolute((1 - roc_tpr) - roc_fpr))],
        "fpr": fpr,
        "tpr": tpr,
        "fnr": fn / (fn + tp),
        "tnr": tn / (tn + fp),
        "acc": (tp + tn) / len(label),
        "pr": (tp + fp) / len(label),
        "nr": (tn + fn) / len(label),
        "er": 1 - ((tpr + (1 - fpr)) / 2),
    }


def _kept_rates(frame: pd.DataFrame, masks: list[np.ndarray]) -> list[dict[str, float]]:
    """Rates of the groups the reference keeps (its metric call succeeds: both classes)."""
    label, logit = frame["label"].to_numpy(), frame["logit_fake"].to_numpy()
    return [
        _reference_rates(label[m], logit[m])
        for m in masks
        if (label[m] == 0).any() and (label[m] == 1).any()
    ]


def _reference_spread(frame: pd.DataFrame, intersectional: list[np.ndarray]) -> float:
    """F_S: largest pairwise |PR_i - PR_j| over the kept intersectional groups, from 0."""
    rates = [r["pr"] for r in _kept_rates(frame, intersectional)]
    spread = 0.0
    for i in range(len(rates)):
        for j in range(i + 1, len(rates)):
            spread = max(spread, abs(rates[i] - rates[j]))
    return spread


def _reference_fairness(
    frame: pd.DataFrame, masks: list[np.ndarray], spread: float | None = None
) -> dict[str, float]:
    label, logit = frame["label"].to_numpy(), frame["logit_fake"].to_numpy()
    overall = _reference_rates(label, logit)
    kept = _kept_rates(frame, masks)
    f_g = 0.0  # F_G: largest |PR_g - PR_overall| over the kept groups, from 0
    for rates in kept:
        f_g = max(f_g, abs(rates["pr"] - overall["pr"]))
    f_fpr = f_eo = 0.0
    for rates in kept:
        f_fpr += abs(rates["fpr"] - overall["fpr"])
        f_eo += abs(rates["fpr"] - overall["fpr"]) + abs(rates["tpr"] - overall["tpr"])

    def gap(key: str) -> float:
        values = [rates[key] for rates in kept]
        return max(values) - min(values)

    values = {
        "F_FPR": f_fpr,
        "F_EO": f_eo,
        "F_OAE": gap("acc"),
        "F_DP": max(gap("pr"), gap("nr")),
        "F_MEO": max(gap("fpr"), gap("fnr"), gap("tnr"), gap("tpr")),
        "FPR_gap": gap("fpr"),
        "AUC_gap": gap("auc"),
        "ErrorRate_gap": gap("er"),
        "F_G": f_g,
    }
    if spread is not None:
        values.update(F_S=spread, F_A=(f_g + spread) / 2)
    return values


def _view_masks(frame: pd.DataFrame) -> dict[str, list[np.ndarray]]:
    gender, race = frame["gender"].to_numpy(), frame["race"].to_numpy()
    return {
        "intersectional": [(gender == g) & (race == r) for g in GENDERS for r in RACES],
        "gender": [gender == g for g in GENDERS],
        "race": [race == r for r in RACES],
    }


def _run(tmp_path, frame: pd.DataFrame, capsys) -> tuple[dict, str]:
    csv, out = tmp_path / "edges.csv", tmp_path / "metrics.json"
    frame.to_csv(csv, index=False)
    options = ["--reference-convention", "--scheme", "ffpp", "--json", str(out)]
    code = main(["metrics", str(csv), *options])
    assert code == 0
    return json.loads(out.read_text()), capsys.readouterr().err


def test_one_class_groups_zero_logits_and_tiny_groups(tmp_path, capsys):
    frame = _rows()
    ours, err = _run(tmp_path, frame, capsys)
    label, logit = frame["label"].to_numpy(), frame["logit_fake"].to_numpy()
    overall = _reference_rates(label, logit)
    for key in ("auc", "eer", "fpr", "tpr", "acc"):
        assert ours["overall"][key] == overall[key], key
    views = _view_masks(frame)
    spread = _reference_spread(frame, views["intersectional"])
    for view, masks in views.items():
        expected = _reference_fairness(frame, masks, spread)
        for metric, value in expected.items():
            assert ours["fairness"][view][metric] == pytest.approx(value, rel=0, abs=1e-15), (
                view,
                metric,
            )
    group = (frame["gender"] == "nonmale") & (frame["race"] == "white")
    white = _reference_rates(label[group.to_numpy()], logit[group.to_numpy()])
    assert ours["groups"]["intersectional"]["nonmale-white"]["eer"] == white["eer"]
    # one warning line naming exactly the groups with images but one class
    lines = [line for line in err.splitlines() if line.startswith("warning")]
    assert len(lines) == 1
    for name in ("male-asian", "male-white", "nonmale-asian", "race: asian"):
        assert name in lines[0]
    assert "nonmale-others" not in lines[0] and "male-black" not in lines[0]
    assert ours["meta"]["rule"].startswith("fake if score >= threshold")


def test_a_tie_is_fake_under_the_convention_and_real_by_default(tmp_path, capsys):
    frame = pd.DataFrame(
        {
            "group_id": [1, 1, 1, 1, 5, 5, 5, 5],
            "label": [0, 0, 1, 1, 0, 0, 1, 1],
            "logit_fake": [0.0, -3.0, 0.0, 2.0, -1e-20, -2.0, 1.0, -1.0],
        }
    )
    ours, _ = _run(tmp_path, frame, capsys)
    # reals at logit 0 and -1e-20 (score exactly 0.5) are false positives: FPR = 2/4
    assert ours["overall"]["fpr"] == 0.5 and ours["overall"]["tpr"] == 0.75
    default = frame.assign(score=1 / (1 + np.exp(-frame["logit_fake"])))
    default = default.drop(columns="logit_fake")
    csv, out = tmp_path / "default.csv", tmp_path / "default.json"
    default.to_csv(csv, index=False)
    assert main(["metrics", str(csv), "--scheme", "ffpp", "--json", str(out)]) == 0
    plain = json.loads(out.read_text())
    assert plain["overall"]["fpr"] == 0.0 and plain["overall"]["tpr"] == 0.5
    assert "removed_groups" not in plain["meta"]


def test_a_view_with_no_two_class_group_is_null_with_a_reason(tmp_path, capsys):
    # males all real, non-males all fake: no intersectional or gender group keeps both
    frame = pd.DataFrame(
        {
            "group_id": [0, 1, 1, 4, 5, 5],
            "label": [0, 0, 0, 1, 1, 1],
            "logit_fake": [-1.0, 0.5, -0.2, 0.3, 2.0, -0.1],
        }
    )
    ours, err = _run(tmp_path, frame, capsys)
    assert all(v is None for v in ours["fairness"]["intersectional"].values())
    assert all(v is None for v in ours["fairness"]["gender"].values())
    reasons = {e["reason"] for e in ours["excluded"] if e["view"] == "gender" and not e["group"]}
    assert reasons == {"no group with both real and fake images (the reference script stops here)"}
    race_masks = [(frame["group_id"] % 4 == r).to_numpy() for r in range(4)]
    expected = _reference_fairness(frame, race_masks)
    # race: asian and white each hold reals and fakes
    assert ours["fairness"]["race"]["F_FPR"] == pytest.approx(expected["F_FPR"], abs=1e-15)
    assert ours["fairness"]["race"]["AUC_gap"] == pytest.approx(expected["AUC_gap"], abs=1e-15)
    assert "warning" in err


def test_parity_numbers_run_over_the_kept_groups_only(tmp_path, capsys):
    # male-asian holds reals only, all called real (PR 0): the reference drops it, so it
    # must not set F_G, F_S or F_A; F_COV still counts it (the reference keeps it there)
    rng = np.random.default_rng(11)
    records = [("male", "asian", 0, -3.0 - i) for i in range(6)]
    for gender, race, shift in (("male", "white", 0.6), ("nonmale", "black", 0.2)):
        for _ in range(30):
            label = int(rng.integers(0, 2))
            records.append((gender, race, label, float(rng.normal(shift + label, 1.0))))
    frame = pd.DataFrame(records, columns=["gender", "race", "label", "logit_fake"])
    frame.insert(0, "group_id", [GENDERS.index(g) * 4 + RACES.index(r) for g, r, _, _ in records])
    ours, _ = _run(tmp_path, frame, capsys)
    views = _view_masks(frame)
    spread = _reference_spread(frame, views["intersectional"])
    for view, masks in views.items():
        expected = _reference_fairness(frame, masks, spread)
        for metric in ("F_G", "F_S", "F_A"):
            assert ours["fairness"][view][metric] == pytest.approx(expected[metric], abs=1e-15), (
                view,
                metric,
            )
    # the dropped group would have moved them: PR 0 against kept PRs near 0.5-0.7
    label, logit = frame["label"].to_numpy(), frame["logit_fake"].to_numpy()
    overall_pr = float(np.mean(1 / (1 + np.exp(-logit)) >= 0.5))
    assert ours["fairness"]["intersectional"]["F_G"] < overall_pr - 0.05
    assert ours["fairness"]["gender"]["F_COV"] is not None


def test_a_kept_group_calling_nothing_fake_has_precision_0_as_the_reference_prints(
    tmp_path, capsys
):
    # male-white keeps both classes but calls every image real: scikit-learn's
    # precision_score (zero_division default) gives 0 there, fairdf's own convention n/a
    frame = pd.DataFrame(
        {
            "group_id": [1, 1, 1, 1, 5, 5, 5, 5],
            "label": [0, 0, 1, 1, 0, 0, 1, 1],
            "logit_fake": [-1.0, -2.0, -0.5, -3.0, -1.0, 0.5, 1.0, 2.0],
        }
    )
    ours, _ = _run(tmp_path, frame, capsys)
    groups = ours["groups"]["intersectional"]
    assert groups["male-white"]["ppv"] == 0.0
    label, logit = frame["label"].to_numpy(), frame["logit_fake"].to_numpy()
    called = (1 / (1 + np.exp(-logit)) >= 0.5) & (frame["group_id"] == 5).to_numpy()
    assert groups["nonmale-white"]["ppv"] == label[called].mean()
    assert not any(e["group"] == "male-white" and e["metric"] == "ppv" for e in ours["excluded"])
    printed = capsys.readouterr().out
    csv = tmp_path / "edges.csv"
    assert main(["metrics", str(csv), "--reference-convention", "--scheme", "ffpp"]) == 0
    printed = capsys.readouterr().out
    assert "precision 0" in printed and "male-white" in printed.split("precision 0")[-1]
    # the default convention keeps it undefined
    default = frame.assign(score=1 / (1 + np.exp(-frame["logit_fake"]))).drop(columns="logit_fake")
    default.to_csv(csv, index=False)
    out = tmp_path / "default.json"
    assert main(["metrics", str(csv), "--scheme", "ffpp", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["groups"]["intersectional"]["male-white"]["ppv"] is None
