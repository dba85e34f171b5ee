"""`MetricOptions`: how a predictions file is scored, grouped and resampled.

One object for the options that `fairdf metrics` and `fairdf report` share (the
command-line side is `fairdf.commands.metric_options`), and one function that reads and
measures a predictions file with them.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

from fairdf.metrics.compute import MetricsResult, compute_metrics
from fairdf.metrics.predictions import PredictionTable, read_predictions


@dataclass(frozen=True)
class MetricOptions:
    """Scheme, extra views, score convention, decision threshold and bootstrap settings."""

    scheme: Any = None  # a scheme name or a declared AttributeScheme; None: detect
    by: tuple[str, ...] = ()  # extra columns to measure fairness across
    reference_convention: bool = False  # score = sigmoid(logit_fake), as the reference
    threshold: float = 0.5  # predicted fake when score > threshold
    bootstrap: int = 0  # resamples for percentile intervals; 0 = none
    ci: float = 0.95
    cluster_by: str | None = None  # resample whole clusters of this column
    seed: int = 0
    video_column: str | None = None  # None: 'video' when the predictions have it; 'none': off
    video_aggregate: str = "mean"  # a video's score from its frame scores: mean, median, max
    reference_groups: tuple[tuple[str, str], ...] = ()  # (view, group) disparity references
    held_out: tuple[str, ...] = ()  # manipulation methods unseen in training (marked)

    def as_dict(self) -> dict[str, Any]:
        # shallow: a declared attribute scheme stays an object
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def options_with(options: MetricOptions, settings: dict[str, Any]) -> MetricOptions:
    """`options` with `settings` replaced; a name that is not a field raises TypeError."""
    names = [f.name for f in dataclasses.fields(options)]
    unknown = [name for name in settings if name not in names]
    if unknown:
        raise TypeError(f"unknown metric option {unknown[0]!r}; the options are {', '.join(names)}")
    for name in ("by", "held_out"):
        if name in settings:
            settings = {**settings, name: tuple(settings[name])}
    if isinstance(settings.get("reference_groups"), dict):
        settings = {**settings, "reference_groups": tuple(settings["reference_groups"].items())}
    return dataclasses.replace(options, **settings)


def measure_predictions(
    path: str | os.PathLike, options: MetricOptions | None = None, **settings: Any
) -> tuple[PredictionTable, MetricsResult]:
    """Read the predictions CSV at `path` and compute its metrics with `options`.

    `settings` are `MetricOptions` fields given as keywords (they replace those of
    `options`), e.g. `measure_predictions("p.csv", bootstrap=1000, by=["age"])`.
    """
    from fairdf.metrics.videos import default_video_column

    options = options_with(options or MetricOptions(), settings)

    table = read_predictions(path, options.scheme, options.reference_convention)
    result = compute_metrics(
        table,
        by=options.by,
        threshold=options.threshold,
        bootstrap=options.bootstrap,
        ci=options.ci,
        cluster_by=options.cluster_by,
        seed=options.seed,
        video_column=default_video_column(table.frame, options.video_column),
        video_aggregate=options.video_aggregate,
        reference_groups=dict(options.reference_groups),
        held_out=options.held_out,
    )
    return table, result
