"""Figures of the comparison report (PNG bytes, matplotlib object API on Agg).

- `tradeoff_figure`: fairness metric vs AUC, one point per model with its bootstrap
  intervals as whiskers on both axes, and the Pareto front (no other model has a
  higher-or-equal AUC and a lower-or-equal fairness value, one of them strictly);
- `heatmap_figure`: models x groups of FPR, TPR and AUC;
- `models_roc_figure`: the overall ROC curve of every model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from fairdf.report.figures import group_color, png_bytes

MAX_CURVE_POINTS = 2000  # ROC points drawn per curve (the curve is resampled on an FPR grid)


@dataclass(frozen=True)
class ModelPoint:
    """One model in the fairness-vs-AUC plane; bounds are None without an interval."""

    name: str
    auc: float
    fairness: float
    auc_bounds: tuple[float, float] | None = None
    fairness_bounds: tuple[float, float] | None = None
    constant: bool = False  # decisions all one class: drawn hollow, never on the front


def pareto_front(
    auc: Sequence[float], fairness: Sequence[float], constant: Sequence[bool] | None = None
) -> list[int]:
    """Indexes of the models no other model dominates (higher AUC, lower fairness value),
    sorted by AUC; models with an undefined value, or whose decisions are `constant`
    (fairness 0 by construction), are left out."""
    constant = constant or [False] * len(auc)
    points = [(a, f, i) for i, (a, f) in enumerate(zip(auc, fairness, strict=True))]
    points = [p for p in points if not (math.isnan(p[0]) or math.isnan(p[1]) or constant[p[2]])]
    front = [
        i
        for a, f, i in points
        if not any((a2 >= a and f2 <= f) and (a2 > a or f2 < f) for a2, f2, j in points if j != i)
    ]
    return sorted(front, key=lambda i: auc[i])


def _whiskers(value: float, bounds: tuple[float, float] | None) -> list[list[float]] | None:
    if bounds is None:
        return None
    return [[max(0.0, value - bounds[0])], [max(0.0, bounds[1] - value)]]


def tradeoff_figure(points: Sequence[ModelPoint], metric: str, view: str) -> bytes:
    """`metric` (y, lower is fairer) against AUC (x), in percent, with the Pareto front."""
    figure = Figure(figsize=(5.0, 4.1), layout="constrained")
    axes = figure.subplots()
    for index, point in enumerate(points):
        if math.isnan(point.auc) or math.isnan(point.fairness):
            continue
        x, y = 100 * point.auc, 100 * point.fairness
        xerr = _whiskers(x, _percent_bounds(point.auc_bounds))
        yerr = _whiskers(y, _percent_bounds(point.fairness_bounds))
        axes.errorbar(
            x,
            y,
            xerr=xerr,
            yerr=yerr,
            fmt="o",
            markerfacecolor="none" if point.constant else group_color(index),
            color=group_color(index),
            capsize=3,
            markersize=7,
            label=f"{point.name} (constant decisions)" if point.constant else point.name,
        )
        axes.annotate(point.name, (x, y), textcoords="offset points", xytext=(6, 6), fontsize=8)
    front = pareto_front(
        [p.auc for p in points], [p.fairness for p in points], [p.constant for p in points]
    )
    if front:
        xs = [100 * points[i].auc for i in front]
        ys = [100 * points[i].fairness for i in front]
        axes.plot(
            xs, ys, color="black", linestyle="--", linewidth=1, label="Pareto front", zorder=0
        )
    axes.set_xlabel("AUC (%), higher is better")
    axes.set_ylabel(f"{metric} (%), lower is fairer")
    axes.set_title(f"{metric} ({view}) vs AUC", fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", loc="best")
    return png_bytes(figure)


def _percent_bounds(bounds: tuple[float, float] | None) -> tuple[float, float] | None:
    return None if bounds is None else (100 * bounds[0], 100 * bounds[1])


def heatmap_figure(
    names: Sequence[str], groups: Sequence[str], values: Mapping[str, np.ndarray], view: str
) -> bytes:
    """One panel per rate (e.g. FPR, TPR, AUC): values (M, G) in percent, n/a where NaN."""
    from matplotlib import colormaps

    figure = Figure(
        figsize=(max(6.0, 0.8 * len(groups) + 3.0), len(values) * (0.42 * len(names) + 1.9)),
        layout="constrained",
    )
    panels = figure.subplots(len(values), 1, squeeze=False)[:, 0]
    cmap = colormaps["viridis"].with_extremes(bad="#dddddd")
    for axes, (rate, matrix) in zip(panels, values.items(), strict=True):
        shown = np.ma.masked_invalid(100 * matrix)
        image = axes.imshow(shown, cmap=cmap, vmin=0, vmax=100, aspect="auto")
        for (row, column), value in np.ndenumerate(100 * matrix):
            text = "n/a" if math.isnan(value) else f"{value:.0f}"
            color = "black" if math.isnan(value) or value > 60 else "white"
            axes.text(column, row, text, ha="center", va="center", fontsize=8, color=color)
        axes.set_xticks(range(len(groups)), groups, rotation=30, ha="right", fontsize=8)
        axes.set_yticks(range(len(names)), names, fontsize=8)
        axes.set_title(f"{rate.upper()} per group (%)", fontsize=9)
        figure.colorbar(image, ax=axes, shrink=0.8)
    figure.suptitle(f"{view}: models x groups", fontsize=10)
    return png_bytes(figure)


def _thinned(fpr: np.ndarray, tpr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most about MAX_CURVE_POINTS points of a ROC curve (for drawing only)."""
    if len(fpr) <= MAX_CURVE_POINTS:
        return fpr, tpr
    keep = np.unique(np.linspace(0, len(fpr) - 1, MAX_CURVE_POINTS).astype(np.int64))
    return fpr[keep], tpr[keep]


def models_roc_figure(label: np.ndarray, scores: Mapping[str, np.ndarray]) -> bytes:
    """The overall ROC curve of each model (AUC in the legend); dotted: chance."""
    from sklearn.metrics import auc as area

    figure = Figure(figsize=(5.4, 5.4), layout="constrained")
    axes = figure.subplots()
    for index, (name, score) in enumerate(scores.items()):
        fpr, tpr, _ = roc_curve(label, score)
        value = area(fpr, tpr)
        x, y = _thinned(fpr, tpr)
        axes.plot(
            x, y, color=group_color(index), linewidth=1.6, label=f"{name} (AUC {100 * value:.1f})"
        )
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey", linewidth=1)
    axes.set(xlim=(0, 1), ylim=(0, 1.01), aspect="equal", title="ROC curves, all images")
    axes.set_xlabel("false positive rate (reals called fake)")
    axes.set_ylabel("true positive rate (fakes caught)")
    axes.legend(fontsize="small", loc="lower right")
    return png_bytes(figure)
