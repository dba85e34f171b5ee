"""The comparison report: one page for several models scored on the same images.

Per test set: one table per view (models as rows, each metric with its interval, and
below each model its paired difference from the baseline), the fairness-vs-AUC planes
with the Pareto front, heatmaps (models x groups) of FPR, TPR and AUC, and the ROC
curves of all models. Several test sets get a side-by-side table first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from fairdf.compare.compute import CompareOptions, Comparison, ComparisonSet
from fairdf.compare.tables import MARK, OVERALL_SHOWN, SIDE_BY_SIDE
from fairdf.metrics.fairness import FAIRNESS_METRICS
from fairdf.metrics.paired import Difference
from fairdf.report import compare_figures
from fairdf.report.build import glossary_section
from fairdf.report.document import Cell, Document, Figure, Section, Table
from fairdf.report.tables import (
    DETECTION_DIGITS,
    FAIRNESS_DIGITS,
    header,
    percent,
    slug,
    value_cell,
)

TRADEOFF_METRICS = ("F_FPR", "F_OAE", "F_DP", "F_MEO")  # the paper's fairness columns
HEATMAP_RATES = ("fpr", "tpr", "auc")
HEATMAP_VIEW = "intersectional"


def comparison_document(comparisons: ComparisonSet, options: CompareOptions) -> Document:
    """Everything the comparison page shows, computed in memory."""
    first = next(iter(comparisons.testsets.values()))
    unit = f"clusters of '{options.cluster_by}'" if options.cluster_by else "images"
    facts = [
        ("Models", ", ".join(comparisons.names)),
        ("Baseline", comparisons.baseline),
        ("Generated", datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        (
            "Intervals",
            f"{100 * options.ci:g}% percentile intervals, {options.bootstrap} paired "
            f"resamples of {unit} (the same resample for every model), seed {options.seed}",
        ),
        ("Decision", f"fake if score > {options.threshold:g}"),
    ]
    if comparisons.single:
        facts += [(f"Predictions: {n}", s) for n, s in first.meta["sources"].items()]
    notices = [
        f"Difference rows: model minus {comparisons.baseline}, with the paired interval; "
        f"{MARK} marks a difference whose interval excludes 0. p (Holm) is the bootstrap "
        "p-value adjusted across all metrics of that model's comparison."
    ]
    sections: list[Section] = []
    if not comparisons.single:
        sections.append(_side_by_side_section(comparisons))
    for testset, comparison in comparisons.testsets.items():
        sections += testset_sections(comparison, testset)
    sections.append(glossary_section())
    title = f"fairdf comparison: {', '.join(comparisons.names)}"
    warnings = comparisons.warnings()
    if warnings:
        notices.insert(
            0,
            "Constant decisions (every image one class) for: "
            + "; ".join(w.removeprefix("warning: ").split(": constant")[0] for w in warnings)
            + ". Such a model's fairness metrics are 0 by construction; it is marked in the "
            "tables and left out of the Pareto front.",
        )
    return Document(title, facts, notices, sections, warnings)


def testset_sections(comparison: Comparison, testset: str) -> list[Section]:
    """Tables, trade-off planes, heatmaps and ROC curves of one test set."""
    prefix = f"{slug(testset)}-" if testset else ""
    suffix = f" ({testset})" if testset else ""
    views = ["overall", *next(iter(comparison.models.values())).fairness]
    tables = Section(
        f"{prefix}tables",
        f"Comparison tables{suffix}",
        tables=[
            _view_table(comparison, view, prefix, metrics)
            for view in views
            for metrics in _metric_chunks(view)
        ],
    )
    undefined = comparison.undefined()
    if undefined:
        tables.paragraphs.append(
            f"{len(undefined)} differences are undefined (a value is undefined for a model): "
            + "; ".join(f"{e['model']} {e['view']} {e['metric']}" for e in undefined[:10])
        )
    return [
        tables,
        Section(
            f"{prefix}tradeoff",
            f"Fairness vs AUC{suffix}",
            [_tradeoff_text()],
            figures=_tradeoff_figures(comparison, prefix),
        ),
        Section(
            f"{prefix}heatmaps", f"Rates per group{suffix}", figures=[_heatmap(comparison, prefix)]
        ),
        Section(f"{prefix}roc", f"ROC curves{suffix}", figures=[_roc(comparison, prefix)]),
    ]


def _tradeoff_text() -> str:
    return (
        "One point per model, whiskers: its bootstrap intervals on both axes; dashed: the "
        "Pareto front (models no other model beats on both AUC and the fairness metric). "
        "Whiskers of two models may overlap while their paired difference is still "
        "significant: the tables give the paired intervals."
    )


def _difference_cells(d: Difference | None, digits: int) -> Cell:
    if d is None:
        return Cell("")
    if d.estimate is None:
        return Cell("n/a", undefined=True)
    text = f"{100 * d.estimate:+.{digits}f}" + (MARK if d.significant else "")
    bounds = "" if d.low is None else f"[{percent(d.low, digits)}, {percent(d.high, digits)}]"
    if d.p_holm is not None:
        bounds += f" p={d.p_holm:.3g}"
    return Cell(text, bounds)


def _metric_chunks(view: str) -> list[tuple[str, ...]]:
    """The metrics of a view's tables: the paper's four fairness columns, then the rest, so
    that no table needs more than a 1400 px wide window."""
    if view == "overall":
        return [OVERALL_SHOWN]
    rest = tuple(m for m in FAIRNESS_METRICS if m not in TRADEOFF_METRICS)
    return [TRADEOFF_METRICS, rest]


def _view_table(comparison: Comparison, view: str, prefix: str, metrics: tuple[str, ...]) -> Table:
    overall = view == "overall"
    digits = DETECTION_DIGITS if overall else FAIRNESS_DIGITS
    rows = []
    for name, result in comparison.models.items():
        intervals = result.intervals or {}
        values = result.overall if overall else result.fairness[view]
        bounds = intervals.get("overall", {}) if overall else intervals.get("fairness", {})
        bounds = bounds if overall else bounds.get(view, {})
        rows.append(
            (
                Cell(comparison.label(name)),
                *(value_cell(values[m], digits, bounds.get(m)) for m in metrics),
            )
        )
        if name != comparison.baseline:
            deltas = comparison.differences[name]
            key = (lambda m: ("overall", m)) if overall else (lambda m: ("fairness", view, m))
            rows.append(
                (
                    Cell(f"  {name} - {comparison.baseline}"),
                    *(_difference_cells(deltas.get(key(m)), digits) for m in metrics),
                )
            )
    caption = (
        "Detection over all images (%)" if overall else f"Fairness: {view} (%, lower is fairer)"
    )
    part = "" if overall or metrics == TRADEOFF_METRICS else "-more"
    if part:
        caption = caption.replace("Fairness:", "Fairness (more):")
    return Table(
        f"{prefix}compare-{slug(view)}{part}",
        caption,
        ("model", *(header(m) for m in metrics)),
        tuple(rows),
    )


def _bounds(intervals: dict[str, Any] | None, *path: str) -> tuple[float, float] | None:
    node: Any = intervals or {}
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return None if node is None else (float(node[0]), float(node[1]))


def _tradeoff_figures(comparison: Comparison, prefix: str) -> list[Figure]:
    view = HEATMAP_VIEW
    figures = []
    for metric in TRADEOFF_METRICS:
        points = [
            compare_figures.ModelPoint(
                name,
                float(result.overall["auc"]),
                float(result.fairness[view][metric]),
                _bounds(result.intervals, "overall", "auc"),
                _bounds(result.intervals, "fairness", view, metric),
                constant=result.meta.get("constant_decisions") is not None,
            )
            for name, result in comparison.models.items()
        ]
        figures.append(
            Figure(
                f"{prefix}tradeoff-{slug(metric)}",
                f"{metric} vs AUC",
                f"{view} groups; lower {metric} is fairer, higher AUC is better.",
                compare_figures.tradeoff_figure(points, metric, view),
            )
        )
    return figures


def _heatmap(comparison: Comparison, prefix: str) -> Figure:
    names = list(comparison.models)
    groups = [str(g) for g in comparison.models[names[0]].groups[HEATMAP_VIEW].index]
    values = {
        rate: np.array(
            [comparison.models[n].groups[HEATMAP_VIEW][rate].to_numpy(float) for n in names]
        )
        for rate in HEATMAP_RATES
    }
    return Figure(
        f"{prefix}heatmap-{HEATMAP_VIEW}",
        f"FPR, TPR and AUC per {HEATMAP_VIEW} group",
        "Rows: models; columns: groups; grey n/a: undefined (a group without reals or fakes).",
        compare_figures.heatmap_figure(names, groups, values, HEATMAP_VIEW),
    )


def _roc(comparison: Comparison, prefix: str) -> Figure:
    tables = comparison.tables
    label = next(iter(tables.values())).label
    scores = {name: table.score for name, table in tables.items()}
    return Figure(
        f"{prefix}roc-models",
        "ROC curves of all models",
        "Every model on the same images; AUC in the legend.",
        compare_figures.models_roc_figure(label, scores),
    )


def _side_by_side_section(comparisons: ComparisonSet) -> Section:
    view = HEATMAP_VIEW
    testsets = list(comparisons.testsets)
    head = ("model", *(f"{t}: {header(m)}" for t in testsets for m in SIDE_BY_SIDE))
    rows = []
    for name in comparisons.names:
        cells = [Cell(name)]
        for testset in testsets:
            comparison = comparisons.testsets[testset]
            result = comparison.models[name]
            for metric in SIDE_BY_SIDE:
                overall = metric == "auc"
                key = ("overall", metric) if overall else ("fairness", view, metric)
                value = result.overall[metric] if overall else result.fairness[view][metric]
                bounds = _bounds(result.intervals, *key)
                cell = value_cell(value, DETECTION_DIGITS if overall else FAIRNESS_DIGITS, bounds)
                delta = comparison.differences.get(name, {}).get(key)
                if delta is not None and delta.significant:
                    cell = Cell(cell.text + MARK, cell.interval, cell.undefined)
                cells.append(cell)
        rows.append(tuple(cells))
    table = Table(
        "side-by-side",
        f"Test sets side by side ({view} fairness, %)",
        head,
        tuple(rows),
        note=f"{MARK}: differs from {comparisons.baseline} (paired interval excludes 0).",
    )
    return Section("side-by-side", "Test sets side by side", tables=[table])
