"""`compare_models`: every model's metrics and its paired differences from the baseline.

result = compare_models(["a.csv", "b.csv"], names=["A", "B"], options=CompareOptions())
result.to_json_dict()   # {"models", "baseline", "differences", "meta"} (one test set)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fairdf.compare.inputs import SINGLE, Models, read_matched, resolve_models
from fairdf.errors import ConfigError
from fairdf.metrics import MetricsResult, PredictionTable, compute_metrics, predicted_fake
from fairdf.metrics.decisions import constant_decisions_warning
from fairdf.metrics.options import MetricOptions
from fairdf.metrics.paired import (
    Difference,
    Key,
    compare_to_baseline,
    difference_keys,
    paired_statistics,
)
from fairdf.metrics.views import build_views, column_view, overall_view


@dataclass(frozen=True)
class CompareOptions(MetricOptions):
    """The options of `fairdf metrics`; the paired bootstrap draws 2000 resamples by default."""

    bootstrap: int = 2000


@dataclass
class Comparison:
    """One test set: each model's metrics and each non-baseline model's differences."""

    models: dict[str, MetricsResult]
    baseline: str
    differences: dict[str, dict[Key, Difference]]
    meta: dict[str, Any]
    tables: dict[str, PredictionTable] = field(default_factory=dict, repr=False)

    def label(self, name: str) -> str:
        """A model's row label, marked as the baseline and when its decisions are constant."""
        marks = ["baseline"] if name == self.baseline else []
        if kind := self.models[name].meta.get("constant_decisions"):
            marks.append(f"constant decisions: all {kind}")
        return f"{name} ({'; '.join(marks)})" if marks else name

    def warnings(self, testset: str = SINGLE) -> list[str]:
        """One line per model whose decisions are constant (its fairness is 0 by construction)."""
        prefix = f"{testset}: " if testset else ""
        lines = []
        for name, result in self.models.items():
            if result.meta.get("constant_decisions"):
                lines.append(constant_decisions_warning(result.to_json_dict(), prefix + name))
        return [line for line in lines if line]

    def undefined(self) -> list[dict[str, str | None]]:
        """One entry per null difference: model, view, metric and why."""
        entries = []
        for name, values in self.differences.items():
            for key, d in values.items():
                if d.estimate is not None:
                    continue
                view, metric = _view_metric(key)
                side = name if math.isnan(_point(self.models[name], key)) else self.baseline
                entries.append(
                    {
                        "model": name,
                        "view": view,
                        "metric": metric,
                        "reason": f"undefined for {side} (see its excluded values)",
                    }
                )
        return entries

    def to_json_dict(self) -> dict[str, Any]:
        differences = {}
        for name, values in self.differences.items():
            entry: dict[str, Any] = {"overall": {}, "fairness": {}}
            for key, d in values.items():
                view, metric = _view_metric(key)
                target = entry["overall"] if key[0] == "overall" else entry["fairness"]
                target = target if key[0] == "overall" else target.setdefault(view, {})
                target[metric] = d.to_json_dict()
            differences[name] = entry
        return {
            "models": {name: result.to_json_dict() for name, result in self.models.items()},
            "baseline": self.baseline,
            "differences": differences,
            "meta": {**self.meta, "undefined_differences": self.undefined()},
        }


@dataclass
class ComparisonSet:
    """All test sets of one call (a single "" test set for plain CSV files)."""

    testsets: dict[str, Comparison]
    names: tuple[str, ...]
    baseline: str

    @property
    def single(self) -> bool:
        return list(self.testsets) == [SINGLE]

    def warnings(self) -> list[str]:
        """Every test set's `Comparison.warnings`."""
        return [line for name, c in self.testsets.items() for line in c.warnings(name)]

    def to_json_dict(self) -> dict[str, Any]:
        if self.single:
            return self.testsets[SINGLE].to_json_dict()
        return {
            "testsets": {name: c.to_json_dict() for name, c in self.testsets.items()},
            "baseline": self.baseline,
            "meta": {"models": list(self.names), "testsets": list(self.testsets)},
        }


def _view_metric(key: Key) -> tuple[str, str]:
    return ("overall", key[1]) if key[0] == "overall" else (key[1], key[2])


def _point(result: MetricsResult, key: Key) -> float:
    if key[0] == "overall":
        return float(result.overall[key[1]])
    return float(result.fairness[key[1]][key[2]])


def compare_models(
    paths: Sequence[str | os.PathLike],
    names: Sequence[str] | None = None,
    baseline: str | None = None,
    options: CompareOptions = CompareOptions(),
) -> ComparisonSet:
    """Compare the models of `paths` (CSV files or `fairdf test` folders) test set by test set."""
    if options.bootstrap < 1:
        raise ConfigError(
            f"--bootstrap {options.bootstrap}: the paired comparison needs at least 1 "
            "resample (e.g. 2000)"
        )
    models = resolve_models(paths, names, baseline)
    testsets = {
        testset: compare_tables(_read(models, testset, options), models, options)
        for testset in models.testsets
    }
    for testset, comparison in testsets.items():
        comparison.meta["testset"] = testset or None
    return ComparisonSet(testsets, models.names, models.baseline)


def _read(models: Models, testset: str, options: CompareOptions) -> list[PredictionTable]:
    return read_matched(
        models.testsets[testset],
        scheme=options.scheme,
        reference_convention=options.reference_convention,
        by=options.by,
        cluster_by=options.cluster_by,
    )


def compare_tables(
    tables: Sequence[PredictionTable], models: Models, options: CompareOptions
) -> Comparison:
    """Metrics and paired differences of matched tables (row i = one image in each)."""
    first = tables[0]
    views = [overall_view(len(first)), *build_views(first, options.by)]
    clusters = column_view(first, options.cluster_by).codes if options.cluster_by else None
    predicted = [predicted_fake(t.score, options.threshold) for t in tables]
    statistics = paired_statistics(
        first.label,
        [t.score for t in tables],
        predicted,
        views,
        options.bootstrap,
        clusters=clusters,
        seed=options.seed,
    )
    results = {
        name: compute_metrics(
            table,
            by=options.by,
            threshold=options.threshold,
            bootstrap=options.bootstrap,
            ci=options.ci,
            cluster_by=options.cluster_by,
            seed=options.seed,
            statistics=stats,
        )
        for name, table, stats in zip(models.names, tables, statistics, strict=True)
    }
    keys = difference_keys(views)
    points = [{key: _point(results[name], key) for key in keys} for name in models.names]
    base = models.names.index(models.baseline)
    by_index = compare_to_baseline(points, statistics, keys, base, options.ci)
    differences = {models.names[i]: values for i, values in by_index.items()}
    meta = {
        "n_bootstrap": options.bootstrap,
        "ci": options.ci,
        "cluster_by": options.cluster_by,
        "seed": options.seed,
        "paired": True,
        "p_value": "two-sided percentile bootstrap, min(1, 2 min((1 + #D*<=0), (1 + #D*>=0)) / (B + 1))",
        "adjustment": "Holm across the metrics of each model's comparison with the baseline",
        "sources": {name: t.source for name, t in zip(models.names, tables, strict=True)},
    }
    return Comparison(
        results, models.baseline, differences, meta, dict(zip(models.names, tables, strict=True))
    )
