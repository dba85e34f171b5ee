"""Score-based group metrics: calibration per group and the reference script's F_S, F_A, F_COV.

Per group g of a view (n_g images, scores p = p(fake), labels y):

    ECE_g   sum_b (n_gb / n_g) |mean_b(y) - mean_b(p)| over 10 equal-width score bins
            (0, 0.1], (0.1, 0.2], ..., (0.9, 1] (0 falls in the first), as
            `sklearn.calibration.calibration_curve(strategy="uniform")` bins them
    ECE_gap max_g ECE_g - min_g ECE_g
    F_S     max - min of PR over the intersectional groups (the same number in every view,
            as in the reference script)
    F_A     (F_G + F_S) / 2
    F_COV   sum_g w_g (n_g / N) |mean_g(z) - mean(z)|, w_g = the group's position (0, 1, ...)
            in the view, z = the fake logit (`logit_fake` with the reference convention,
            else log(p / (1 - p)) with p clipped to [1e-12, 1 - 1e-12])

ECE_g is undefined (NaN) for a group without images; the view metrics need at least 2
groups with images, like the other fairness metrics.
"""

from __future__ import annotations

import numpy as np

from fairdf.metrics.views import View

CALIBRATION_BINS = 10
LOGIT_CLIP = 1e-12
MIN_GROUPS = 2


def calibration_bins(score: np.ndarray, n_bins: int = CALIBRATION_BINS) -> np.ndarray:
    """Bin index (n,) of each score: right-closed equal-width bins, 0 in the first."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.searchsorted(edges[1:-1], score, side="left")


def group_calibration_error(
    view: View, label: np.ndarray, score: np.ndarray, n_bins: int = CALIBRATION_BINS
) -> np.ndarray:
    """ECE per group (G,), NaN for groups without images."""
    cells = view.codes * n_bins + calibration_bins(score, n_bins)
    size = view.n_groups * n_bins
    count = np.bincount(cells, minlength=size).reshape(view.n_groups, n_bins)
    fakes = np.bincount(cells, weights=label, minlength=size).reshape(view.n_groups, n_bins)
    scores = np.bincount(cells, weights=score, minlength=size).reshape(view.n_groups, n_bins)
    per_group = count.sum(axis=1)
    # |sum(y) - sum(p)| / n_g per bin = (n_gb / n_g) |mean(y) - mean(p)|
    error = np.abs(fakes - scores).sum(axis=1)
    out = np.full(view.n_groups, np.nan)
    np.divide(error, per_group, out=out, where=per_group > 0)
    return out


def fake_logits(score: np.ndarray, logit_fake: np.ndarray | None = None) -> np.ndarray:
    """The logit z of each row (n,): `logit_fake` when given, else logit(score) clipped."""
    if logit_fake is not None:
        return np.asarray(logit_fake, dtype=np.float64)
    p = np.clip(score, LOGIT_CLIP, 1.0 - LOGIT_CLIP)
    return np.log(p) - np.log1p(-p)


def covariance_fairness(view: View, logits: np.ndarray) -> float:
    """The reference script's F_COV of one view (see the module docstring)."""
    count = np.bincount(view.codes, minlength=view.n_groups).astype(np.float64)
    if (count > 0).sum() < MIN_GROUPS:
        return float("nan")
    total = np.bincount(view.codes, weights=logits, minlength=view.n_groups)
    weight = np.arange(view.n_groups, dtype=np.float64)
    # w_g |sum_g(z) / N - (n_g / N) mean(z)|, the reference's two terms
    terms = weight * np.abs(total / len(logits) - count / len(logits) * logits.mean())
    return float(terms.sum())
