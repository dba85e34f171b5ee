"""AUC per manipulation method: each method's fakes against every real image.

The table DeepfakeBench users read first, and the paper's generalisation claim: a
method held out of training is scored like the others and marked. A predictions table
names its methods by a `method_name` column, else by its `spe_label` ids. Intervals come
from the same bootstrap as the other metrics (rows, or whole clusters), drawn for each
method's subset (its fakes and all reals) with the result's seed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from fairdf.metrics.bootstrap import bootstrap_statistics, percentile_interval
from fairdf.metrics.detection import group_table
from fairdf.metrics.views import overall_view

METHOD_COLUMNS = ("method_name", "spe_label")


def method_column(frame: pd.DataFrame) -> str | None:
    """The column naming each fake's manipulation method, or None."""
    return next((c for c in METHOD_COLUMNS if c in frame.columns), None)


def method_table(
    frame: pd.DataFrame,
    label: np.ndarray,
    score: np.ndarray,
    *,
    held_out: Iterable[str] = (),
    n_bootstrap: int = 0,
    ci: float = 0.95,
    clusters: np.ndarray | None = None,
    seed: int = 0,
) -> dict[str, Any] | None:
    """{"column", "rows": {method: {n_fake, auc, interval, held_out}}}, or None when the
    table names no methods (or has no real image)."""
    column = method_column(frame)
    real = label == 0
    if column is None or not real.any():
        return None
    names = frame[column].astype(str).to_numpy()
    held_out = {str(name) for name in held_out}
    rows = {}
    for name in sorted({n for n, fake in zip(names, label == 1, strict=True) if fake}):
        subset = real | ((label == 1) & (names == name))
        rows[name] = {
            "n_fake": int(((label == 1) & (names == name)).sum()),
            "auc": _auc(label[subset], score[subset]),
            "interval": _interval(
                label[subset], score[subset], clusters, subset, n_bootstrap, ci, seed
            ),
            "held_out": name in held_out,
        }
    return {"column": column, "n_real": int(real.sum()), "rows": rows}


def _auc(label: np.ndarray, score: np.ndarray) -> float:
    view = overall_view(len(label))
    return float(group_table(view, label, score, score > 0.5)["auc"].iloc[0])


def _interval(label, score, clusters, subset, n_bootstrap, ci, seed) -> list[float] | None:
    if not n_bootstrap:
        return None
    codes = None
    if clusters is not None:
        codes = np.unique(clusters[subset], return_inverse=True)[1]
    statistics = bootstrap_statistics(
        label,
        score,
        score > 0.5,
        [overall_view(len(label))],
        n_bootstrap,
        clusters=codes,
        seed=seed,
    )
    bounds = percentile_interval(statistics[("overall", "auc")], ci)
    return None if bounds is None else [float(b) for b in bounds]
