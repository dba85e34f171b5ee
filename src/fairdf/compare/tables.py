"""Text tables of a comparison: one per view, models as rows, metrics with intervals.

Below each model its interval row; below each non-baseline model the paired difference
(model - baseline), its interval and its Holm-adjusted p-value; `*` marks a difference
whose interval excludes 0. Values in percent, as in the paper's tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from fairdf.compare.compute import Comparison, ComparisonSet
from fairdf.metrics.fairness import FAIRNESS_METRICS
from fairdf.metrics.paired import Difference, Key
from fairdf.metrics.tables import TABLE_WIDTH, _bounds, _header, _percent, render, wrap

OVERALL_SHOWN = ("auc", "acc", "eer", "ap", "fpr", "tpr")
SIDE_BY_SIDE = ("auc", "F_FPR", "F_OAE", "F_DP", "F_MEO")
MARK = "*"


def _delta(d: Difference | None, digits: int) -> tuple[str, str, str]:
    """(value, interval, p_holm) cells of one difference."""
    if d is None:
        return "", "", ""
    if d.estimate is None:
        return "n/a", "", ""
    value = f"{100 * d.estimate:+.{digits}f}" + (MARK if d.significant else "")
    interval = "" if d.low is None else _bounds((d.low, d.high), digits)
    p = "" if d.p_holm is None else f"p={d.p_holm:.3g}"
    return value, interval, p


def _view_table(comparison: Comparison, view: str, width: int | None) -> str:
    overall = view == "overall"
    metrics = OVERALL_SHOWN if overall else FAIRNESS_METRICS
    digits = 2 if overall else 3
    rows: list[list[str]] = []
    for name, result in comparison.models.items():
        values = result.overall if overall else result.fairness[view]
        intervals = (result.intervals or {}).get("overall" if overall else "fairness", {})
        intervals = intervals if overall else intervals.get(view, {})
        rows.append([comparison.label(name), *(_percent(values[m], digits) for m in metrics)])
        rows.append(["  interval", *(_bounds(intervals.get(m), digits) for m in metrics)])
        if name == comparison.baseline:
            continue
        deltas = comparison.differences[name]
        cells = [_delta(deltas.get(_key(view, m)), digits) for m in metrics]
        rows.append([f"  - {comparison.baseline}", *(c[0] for c in cells)])
        rows.append(["  interval", *(c[1] for c in cells)])
        rows.append(["  Holm p", *(c[2] for c in cells)])
    title = "Overall (%)" if overall else f"Fairness: {view} (%, lower is fairer)"
    return title + "\n" + render(["model", *(_header(m) for m in metrics)], rows, width)


def _key(view: str, metric: str) -> Key:
    return ("overall", metric) if view == "overall" else ("fairness", view, metric)


def format_comparison(comparison: Comparison, width: int | None = TABLE_WIDTH) -> str:
    """Every view's table of one test set (tables wider than `width` are split)."""
    meta = comparison.meta
    unit = f"clusters of '{meta['cluster_by']}'" if meta.get("cluster_by") else "images"
    summary = (
        f"{len(comparison.models)} models on {len(next(iter(comparison.tables.values())))} "
        f"images; baseline {comparison.baseline}; {100 * meta['ci']:g}% intervals from "
        f"{meta['n_bootstrap']} paired bootstrap resamples of {unit} (seed {meta['seed']})\n"
        f"'- {comparison.baseline}' rows: model minus baseline, {MARK} = interval excludes 0, "
        "Holm p across each model's metrics"
    )
    views = ["overall", *next(iter(comparison.models.values())).fairness]
    sections = [wrap(summary, width), *(_view_table(comparison, view, width) for view in views)]
    undefined = comparison.undefined()
    if undefined:
        lines = [f"  {e['model']}: {e['view']} {e['metric']} ({e['reason']})" for e in undefined]
        sections.append("Undefined differences (null in JSON)\n" + "\n".join(lines))
    return "\n\n".join(sections) + "\n"


def side_by_side(
    comparisons: ComparisonSet, view: str = "intersectional", width: int | None = TABLE_WIDTH
) -> str:
    """Models as rows, test sets side by side: AUC and the paper's fairness metrics."""
    testsets = list(comparisons.testsets)
    header = ["model", *(f"{t}: {_header(m)}" for t in testsets for m in SIDE_BY_SIDE)]
    rows = []
    for name in comparisons.names:
        cells = [name]
        for testset in testsets:
            comparison = comparisons.testsets[testset]
            result = comparison.models[name]
            for metric in SIDE_BY_SIDE:
                overall = metric == "auc"
                value = result.overall[metric] if overall else result.fairness[view][metric]
                delta = comparison.differences.get(name, {}).get(_key_for(metric, view))
                mark = MARK if delta is not None and delta.significant else ""
                cells.append(_percent(value, 2 if overall else 3) + mark)
        rows.append(cells)
    title = (
        f"Side by side ({view} fairness, %): {MARK} = differs from {comparisons.baseline} "
        "(paired interval excludes 0)"
    )
    return wrap(title, width) + "\n" + render(header, rows, width) + "\n"


def _key_for(metric: str, view: str) -> Key:
    return _key("overall" if metric == "auc" else view, metric)


def format_comparisons(
    comparisons: ComparisonSet, sections: Sequence[str] = (), width: int | None = TABLE_WIDTH
) -> str:
    """All test sets' tables (a side-by-side summary first when there are several)."""
    if comparisons.single:
        return format_comparison(next(iter(comparisons.testsets.values())), width)
    first = next(iter(comparisons.testsets.values())).meta
    parts = [
        f"{len(comparisons.testsets)} test sets; {first['n_bootstrap']} paired bootstrap "
        "resamples each",
        side_by_side(comparisons, width=width),
        *sections,
    ]
    for testset, comparison in comparisons.testsets.items():
        parts.append(f"=== Test set {testset} ===\n\n" + format_comparison(comparison, width))
    return "\n".join(parts)
