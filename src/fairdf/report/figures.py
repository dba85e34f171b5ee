"""Report figures as PNG bytes, drawn with matplotlib's object API on the Agg canvas
(no pyplot: no global state, no display needed).

Inputs are the validated predictions (`label` (n,) 0/1, `score` (n,) p(fake)), the
`View`s that split them into groups, the `MetricsResult` and the training log records.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from io import BytesIO
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import auc as area_under_curve
from sklearn.metrics import roc_curve

from fairdf.metrics import FAIRNESS_METRICS, MetricsResult
from fairdf.metrics.views import View

REAL_COLOR, FAKE_COLOR = "#1f77b4", "#d62728"
DPI = 100
HIST_BINS = 20
PANEL_COLUMNS = 4
ZOOM_BELOW = 0.5  # score spans narrower than this get a zoomed histogram axis
# Series in one panel differ in colour, marker and dash, so lines that coincide stay visible.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINE_STYLES = ("-", "--", "-.", ":")
WARMUP_COLOR = "#f2e394"


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG bytes (tight bounding box, no timestamp metadata)."""
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def group_color(index: int) -> Any:
    from matplotlib import colormaps

    palette = colormaps["tab10" if index < 10 else "tab20"]
    return palette(index % palette.N)


def _grid(figure: Figure, count: int, columns: int, **kwargs: Any) -> list[Any]:
    """`count` axes in rows of `columns`; the unused ones of the last row are hidden."""
    rows = math.ceil(count / columns)
    axes = figure.subplots(rows, min(columns, count), squeeze=False, **kwargs).ravel()
    for unused in axes[count:]:
        unused.set_visible(False)
    return list(axes[:count])


def roc_figure(label: np.ndarray, score: np.ndarray, views: Sequence[View]) -> bytes:
    """One ROC panel per view, one curve per group (AUC in the legend).

    A group with only one class has no ROC curve; its legend entry says why.
    """
    columns = min(3, len(views))
    figure = Figure(figsize=(4.6 * columns, 5.6 * math.ceil(len(views) / columns)))
    for axes, view in zip(_grid(figure, len(views), columns), views, strict=True):
        for index, name in enumerate(view.names):
            _roc_curve(axes, label[view.codes == index], score[view.codes == index], name, index)
        axes.plot([0, 1], [0, 1], linestyle=":", color="grey", linewidth=1)
        # padded limits: a perfect curve runs along x=0 and y=1 and must not hide under the frame
        axes.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), title=view.name, aspect="equal")
        axes.set_xlabel("false positive rate (reals called fake)")
        axes.set_ylabel("true positive rate (fakes caught)")
        axes.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize="small", frameon=False
        )
    figure.tight_layout()
    return png_bytes(figure)


def _roc_curve(axes: Any, label: np.ndarray, score: np.ndarray, name: str, index: int) -> None:
    color = group_color(index)
    if label.size == 0 or label.min() == label.max():
        why = "no images" if label.size == 0 else f"only {'fake' if label[0] else 'real'}"
        axes.plot(
            [], [], color=color, linestyle="none", marker="x", label=f"{name}: no ROC ({why})"
        )
        return
    fpr, tpr, _ = roc_curve(label, score)
    auc = area_under_curve(fpr, tpr)
    axes.plot(
        fpr,
        tpr,
        color=color,
        linewidth=1.6,
        linestyle=LINE_STYLES[index % len(LINE_STYLES)],
        clip_on=False,
        zorder=3,
        label=f"{name} (AUC {100 * auc:.1f})",
    )


def rate_bars_figure(
    result: MetricsResult, view: str, groups: Sequence[str] | None = None
) -> bytes:
    """FPR and TPR per group of `view` (only `groups` when given) with bootstrap error
    bars and the overall rates."""
    table = result.groups[view]
    if groups is not None:
        wanted = set(groups)
        table = table[[str(group) in wanted for group in table.index]]
    names = [str(group) for group in table.index]
    positions = np.arange(len(names))
    width = 0.38
    figure = Figure(figsize=(max(4.0, 0.9 * len(names) + 2.0), 4.4), layout="constrained")
    axes = figure.subplots()
    for offset, rate, color, meaning in (
        (-width / 2, "fpr", REAL_COLOR, "reals called fake"),
        (width / 2, "tpr", FAKE_COLOR, "fakes caught"),
    ):
        values = 100 * table[rate].to_numpy(dtype=np.float64)
        errors = _error_bars(result, view, names, rate, values)
        axes.bar(
            positions + offset,
            np.nan_to_num(values),
            width,
            yerr=errors,
            capsize=3,
            color=color,
            alpha=0.85,
            label=f"{rate.upper()} ({meaning})",
        )
        for x in positions[np.isnan(values)]:
            axes.text(x + offset, 2, "n/a", rotation=90, ha="center", va="bottom", fontsize=8)
        overall = result.overall[rate]
        if not math.isnan(overall):
            axes.axhline(
                100 * overall,
                color=color,
                linestyle="--",
                linewidth=1,
                label=f"overall {rate.upper()}",
            )
    axes.set_xticks(positions, names, rotation=25 if len(names) > 4 else 0, ha="right")
    axes.set(ylim=(0, 105), ylabel="%", title=f"{view}: FPR and TPR per group")
    figure.legend(loc="outside lower center", ncol=2, fontsize="small", frameon=False)
    return png_bytes(figure)


def _error_bars(
    result: MetricsResult, view: str, names: list[str], rate: str, values: np.ndarray
) -> np.ndarray | None:
    """Asymmetric error bars (2, G) in percent from the bootstrap intervals, or None."""
    if not result.intervals:
        return None
    errors = np.zeros((2, len(names)))
    for position, name in enumerate(names):
        interval = result.intervals["groups"][view][name].get(rate)
        if interval is None or math.isnan(values[position]):
            continue
        low, high = 100 * interval[0], 100 * interval[1]
        errors[:, position] = (max(0.0, values[position] - low), max(0.0, high - values[position]))
    return errors


def score_histograms_figure(
    label: np.ndarray, score: np.ndarray, view: View, threshold: float
) -> bytes:
    """One histogram panel per group of `view`: scores of real and of fake images.

    The score axis spans [0, 1], or the scores' range (with the threshold) when that is
    narrower than `ZOOM_BELOW`, so that a detector whose scores crowd one spot still
    shows how reals and fakes separate.
    """
    columns = min(PANEL_COLUMNS, view.n_groups)
    rows = math.ceil(view.n_groups / columns)
    figure = Figure(figsize=(3.3 * columns, 2.4 * rows + 0.6), layout="constrained")
    bins = np.linspace(*score_range(score, threshold), HIST_BINS + 1)
    panels = _grid(figure, view.n_groups, columns, sharex=True)
    for index, (axes, name) in enumerate(zip(panels, view.names, strict=True)):
        in_group = view.codes == index
        real, fake = score[in_group & (label == 0)], score[in_group & (label == 1)]
        for values, color, kind in ((real, REAL_COLOR, "real"), (fake, FAKE_COLOR, "fake")):
            if values.size:
                axes.hist(values, bins=bins, color=color, alpha=0.45, label=kind)
                axes.hist(values, bins=bins, color=color, histtype="step", linewidth=1.2)
        axes.axvline(threshold, color="black", linestyle="--", linewidth=0.8, label="threshold")
        axes.set_title(f"{name}\n{real.size} real, {fake.size} fake", fontsize=9)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        axes.xaxis.set_major_locator(MaxNLocator(nbins=4))
        axes.tick_params(labelsize=8)
        if real.size + fake.size == 0:
            axes.set_yticks([])
            axes.text(0.5, 0.5, "no images", ha="center", va="center", transform=axes.transAxes)
    for axes in panels[-columns:]:
        axes.set_xlabel("score = p(fake)", fontsize=8)
    figure.legend(handles=_histogram_legend(), loc="outside upper center", ncol=3, frameon=False)
    return png_bytes(figure)


def _histogram_legend() -> list[Any]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return [
        Patch(facecolor=REAL_COLOR, edgecolor=REAL_COLOR, alpha=0.6, label="real"),
        Patch(facecolor=FAKE_COLOR, edgecolor=FAKE_COLOR, alpha=0.6, label="fake"),
        Line2D([], [], color="black", linestyle="--", linewidth=0.8, label="threshold"),
    ]


def score_range(score: np.ndarray, threshold: float) -> tuple[float, float]:
    """Histogram span: (0, 1), or the padded range of the scores and the threshold."""
    low, high = min(float(score.min()), threshold), max(float(score.max()), threshold)
    if high - low >= ZOOM_BELOW:
        return 0.0, 1.0
    pad = max(0.05 * (high - low), 1e-6)
    return max(0.0, low - pad), min(1.0, high + pad)


def _series(records: Sequence[dict[str, Any]], part: str, key: str) -> np.ndarray:
    """(E,) values of `record[part][key]` per epoch; NaN where missing or null."""
    values = [(record.get(part) or {}).get(key) for record in records]
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _epoch_axes(axes: Any, title: str, warmup_epochs: int = 0) -> None:
    """Title, integer epoch ticks, grid; epochs 1..warmup_epochs shaded (fairness loss off)."""
    if warmup_epochs > 0:
        axes.axvspan(
            0.5, warmup_epochs + 0.5, color=WARMUP_COLOR, alpha=0.5, zorder=0, label="warm-up"
        )
    axes.set_title(title, fontsize=10)
    axes.set_xlabel("epoch", fontsize=9)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(labelsize=8)
    axes.grid(alpha=0.3)


def loss_curves_figure(records: Sequence[dict[str, Any]], warmup_epochs: int = 0) -> bytes:
    """One panel per training loss term (mean over the epoch's steps), total first.

    The first `warmup_epochs` (trained without the fairness loss) are shaded."""
    terms = list(dict.fromkeys(key for record in records for key in record.get("train", {})))
    terms.sort(key=lambda term: term != "total")
    epochs = [record["epoch"] for record in records]
    columns = min(PANEL_COLUMNS, len(terms))
    figure = Figure(figsize=(3.4 * columns, 2.6 * math.ceil(len(terms) / columns)))
    for index, (axes, term) in enumerate(
        zip(_grid(figure, len(terms), columns), terms, strict=True)
    ):
        axes.plot(epochs, _series(records, "train", term), marker="o", color=group_color(index))
        _epoch_axes(axes, f"loss: {term}", warmup_epochs)
    figure.tight_layout()
    return png_bytes(figure)


def validation_curves_figure(records: Sequence[dict[str, Any]], warmup_epochs: int = 0) -> bytes:
    """Validation detection metrics and intersectional fairness metrics per epoch (%).

    Each series has its own colour, marker and dash, so coinciding series stay visible;
    the first `warmup_epochs` are shaded."""
    epochs = [record["epoch"] for record in records]
    figure = Figure(figsize=(11.0, 3.8))
    detection, fairness = figure.subplots(1, 2)
    for axes, keys in ((detection, ("auc", "acc", "ap", "eer")), (fairness, FAIRNESS_METRICS)):
        for index, key in enumerate(keys):
            axes.plot(
                epochs,
                100 * _series(records, "val", key),
                marker=MARKERS[index % len(MARKERS)],
                markersize=7 - 0.5 * index,
                linestyle=LINE_STYLES[index % len(LINE_STYLES)],
                color=group_color(index),
                label=key.upper() if axes is detection else key,
            )
    _epoch_axes(detection, "validation detection (%)", warmup_epochs)
    _epoch_axes(fairness, "validation fairness, intersectional (%, lower is fairer)", warmup_epochs)
    detection.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))
    fairness.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))
    figure.tight_layout()
    return png_bytes(figure)
