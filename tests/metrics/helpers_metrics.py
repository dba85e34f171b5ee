"""Synthetic predictions and independent (scikit-learn / brute-force) metric oracles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    precision_score,
    roc_auc_score,
    roc_curve,
)

from fairdf.data.groups import SCHEMES

RACE_FLAGS = {"asian": "isasian", "white": "iswhite", "black": "isblack"}


def synthetic_predictions(
    n: int = 600, seed: int = 0, scheme: str = "ffpp", ties: bool = False
) -> pd.DataFrame:
    """A predictions table in the reference manifest layout, groups of unequal quality."""
    rng = np.random.default_rng(seed)
    groups = SCHEMES[scheme]
    group = rng.integers(0, groups.n_groups, n)
    label = rng.integers(0, 2, n)
    logit = rng.normal(0, 1, n) + (2 * label - 1) * (0.5 + 0.2 * group) + 0.1 * group
    score = expit(logit)
    if ties:
        score = np.round(score, 1)
    frame = pd.DataFrame({"img_path": [f"img/{i:05d}.png" for i in range(n)], "label": label})
    frame["ismale"] = np.where(group < len(groups.races), 1, -1)
    race = groups.race_of(group)
    for name, column in RACE_FLAGS.items():
        if name in groups.races:
            frame[column] = np.where(race == name, 1, -1)
    frame["intersec_label"] = group
    frame["score"] = score
    frame["age"] = rng.choice(["young", "middle", "old"], n)
    return frame


def read_json(path: Path) -> dict:
    """Parse JSON, failing on NaN / Infinity (which are not JSON)."""

    def reject(constant: str):
        raise AssertionError(f"{path} holds {constant}")

    return json.loads(Path(path).read_text(), parse_constant=reject)


def sklearn_group_metrics(label: np.ndarray, score: np.ndarray, threshold: float = 0.5) -> dict:
    """Every per-group number recomputed with scikit-learn on one group's rows."""
    predicted = (score > threshold).astype(int)
    (tn, fp), (fn, tp) = confusion_matrix(label, predicted, labels=[0, 1])
    n_real, n_fake = tn + fp, fn + tp
    out = {
        "n": len(label),
        "n_real": n_real,
        "n_fake": n_fake,
        "acc": (tn + tp) / len(label) if len(label) else None,
        "pr": (fp + tp) / len(label) if len(label) else None,
        "fpr": fp / n_real if n_real else None,
        "tnr": tn / n_real if n_real else None,
        "tpr": tp / n_fake if n_fake else None,
        "fnr": fn / n_fake if n_fake else None,
        "auc": None,
        "ap": None,
        "eer": None,
        "ppv": _precision(label, predicted, 1),
        "npv": _precision(label, predicted, 0),
        "ece": brute_force_ece(label, score),
    }
    if n_real and n_fake:
        out["auc"] = roc_auc_score(label, score)
        out["ap"] = average_precision_score(label, score)
        out["eer"] = brentq_eer(label, score)
    return out


def _precision(label: np.ndarray, predicted: np.ndarray, positive: int) -> float | None:
    """scikit-learn's precision of class `positive`; None when nothing was called that."""
    if not (predicted == positive).any():
        return None
    return precision_score(label, predicted, pos_label=positive, zero_division=np.nan)


def brute_force_ece(label: np.ndarray, score: np.ndarray, n_bins: int = 10) -> float | None:
    """ECE over bins (lo, hi] (0 in the first), bin by bin, checked against scikit-learn."""
    if len(label) == 0:
        return None
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    total, true_means, score_means = 0.0, [], []
    for b in range(n_bins):
        inside = (score > edges[b]) & (score <= edges[b + 1])
        if b == 0:
            inside |= score == 0.0
        if inside.any():
            true_means.append(label[inside].mean())
            score_means.append(score[inside].mean())
            total += inside.sum() / len(label) * abs(true_means[-1] - score_means[-1])
    prob_true, prob_pred = calibration_curve(label, score, n_bins=n_bins, strategy="uniform")
    np.testing.assert_allclose(prob_true, true_means, atol=1e-12)
    np.testing.assert_allclose(prob_pred, score_means, atol=1e-12)
    return total


def brentq_eer(label: np.ndarray, score: np.ndarray) -> float:
    """The classic EER: root of 1 - x - TPR(x) on the interpolated ROC curve."""
    fpr, tpr, _ = roc_curve(label, score, drop_intermediate=False)
    return brentq(lambda x: 1.0 - x - np.interp(x, fpr, tpr), 0.0, 1.0, xtol=1e-14)


def brute_force_fairness(groups: list[dict], overall: dict) -> dict:
    """The fairness metrics of docs/metrics.md over fully defined groups, written out in plain Python."""

    def gap(key: str) -> float:  # over the groups where the value is defined
        values = [g[key] for g in groups if g[key] is not None]
        return max(values) - min(values)

    def ratio(key: str) -> float:
        values = [g[key] for g in groups if g[key] is not None]
        return min(values) / max(values)

    ber = [1 - (g["tpr"] + g["tnr"]) / 2 for g in groups]
    return {
        "PPV_gap": gap("ppv"),
        "NPV_gap": gap("npv"),
        "PR_ratio": ratio("pr"),
        "FPR_ratio": ratio("fpr"),
        "TPR_ratio": ratio("tpr"),
        "F_G": max(abs(g["pr"] - overall["pr"]) for g in groups),
        "ECE_gap": gap("ece"),
        "F_FPR": sum(abs(g["fpr"] - overall["fpr"]) for g in groups),
        "F_EO": sum(
            abs(g["fpr"] - overall["fpr"]) + abs(g["tpr"] - overall["tpr"]) for g in groups
        ),
        "F_OAE": gap("acc"),
        "F_DP": max(gap("pr"), max(1 - g["pr"] for g in groups) - min(1 - g["pr"] for g in groups)),
        "F_MEO": max(gap("fpr"), gap("fnr"), gap("tnr"), gap("tpr")),
        "FPR_gap": gap("fpr"),
        "AUC_gap": gap("auc"),
        "ErrorRate_gap": max(ber) - min(ber),
    }
