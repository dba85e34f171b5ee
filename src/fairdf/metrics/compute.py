"""`compute_metrics`: detection and fairness metrics of a predictions table, as one result."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairdf.data.attributes import declared_scheme
from fairdf.data.groups import GroupScheme, get_scheme
from fairdf.errors import ConfigError, DataError
from fairdf.metrics.bootstrap import INTERVAL_METRICS, bootstrap_statistics, percentile_interval
from fairdf.metrics.decisions import constant_decisions
from fairdf.metrics.detection import (
    confusion_counts,
    group_exclusions,
    group_table,
    predicted_fake,
    rates_from_counts,
)
from fairdf.metrics.disparity import disparity_section
from fairdf.metrics.fairness import fairness_exclusions, fairness_metrics, fairness_of_table, gap
from fairdf.metrics.per_method import method_column, method_table
from fairdf.metrics.predictions import REFERENCE_CONVENTION, PredictionTable, prepare_predictions
from fairdf.metrics.reference import (
    REFERENCE_EER,
    REFERENCE_RULE,
    reference_exclusions,
    reference_fairness_metrics,
    reference_precision,
    reference_spread,
    removed_groups,
    zero_precision_groups,
)
from fairdf.metrics.scored import covariance_fairness, fake_logits, group_calibration_error
from fairdf.metrics.videos import video_predictions
from fairdf.metrics.views import OVERALL, View, build_views, column_view, overall_view

OVERALL_COLUMNS = ("n", "auc", "acc", "eer", "ap", "fpr", "tpr")
PREDICTION_RULE = "fake if score > threshold"


@dataclass
class MetricsResult:
    """Metrics of one predictions table; NaN marks an undefined value (null in JSON).

    `groups` maps each view to its group table (rows = groups, columns =
    `detection.GROUP_COLUMNS`, ppv, npv, ece); `intervals` (bootstrap) mirrors
    overall/fairness/groups with (low, high) pairs (count-based metrics only);
    `disparity` is `disparity.disparity_section`; `video` the same result per video.
    """

    overall: dict[str, float]
    fairness: dict[str, dict[str, float]]
    groups: dict[str, pd.DataFrame]
    excluded: list[dict[str, str | None]]
    meta: dict[str, Any]
    intervals: dict[str, Any] | None = None
    disparity: dict[str, Any] | None = None
    video: MetricsResult | None = None
    methods: dict[str, Any] | None = None  # `per_method.method_table`: AUC per method

    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict: fractions, null for undefined values (never NaN)."""
        result = {
            "overall": {k: _json_number(v) for k, v in self.overall.items()},
            "fairness": {
                view: {k: _json_number(v) for k, v in values.items()}
                for view, values in self.fairness.items()
            },
            "groups": {
                view: {
                    str(group): {k: _json_number(v) for k, v in row.items()}
                    for group, row in table.to_dict(orient="index").items()
                }
                for view, table in self.groups.items()
            },
            "excluded": [dict(entry) for entry in self.excluded],
            "meta": dict(self.meta),
        }
        if self.intervals is not None:
            result["intervals"] = self.intervals
        if self.disparity is not None:
            result["disparity"] = _json_numbers(self.disparity)
        if self.methods is not None:
            result["methods"] = _json_numbers(self.methods)
        if self.video is not None:
            result["video"] = self.video.to_json_dict()
        return result


def _json_numbers(value: Any) -> Any:
    """Nested dicts/lists with NaN -> None; booleans, text and None kept."""
    if isinstance(value, dict):
        return {k: _json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_numbers(v) for v in value]
    if value is None or isinstance(value, (bool, str)):
        return value
    return _json_number(value)


def _json_number(value: Any) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    number = float(value)
    return None if math.isnan(number) else number


def compute_metrics(
    table: pd.DataFrame | PredictionTable,
    scheme: str | GroupScheme | None = None,
    by: Iterable[str] = (),
    threshold: float = 0.5,
    *,
    attributes: Any = None,
    reference_convention: bool = False,
    bootstrap: int = 0,
    ci: float = 0.95,
    cluster_by: str | None = None,
    seed: int = 0,
    statistics: dict[tuple[str, ...], np.ndarray] | None = None,
    video_column: str | None = None,
    video_aggregate: str = "mean",
    reference_groups: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    held_out: Iterable[str] = (),
    n_bootstrap: int | None = None,
) -> MetricsResult:
    """Overall, per-group and fairness metrics of `table`, optionally with bootstrap intervals.

    The keywords are those of `MetricOptions` and of the command-line options. A
    DataFrame is validated with `prepare_predictions` first (rows named by position);
    `attributes` declares its groups from plain columns instead of a `scheme`
    (`{"gender": ["male", "female"]}`, or column names whose values are read from the
    table, as in fairlearn's `sensitive_features`).
    `by` adds one view per categorical column. With `bootstrap` > 0 resamples, percentile
    intervals at level `ci` from resampling rows, or whole clusters of `cluster_by`;
    `statistics` gives those resamples' values precomputed (e.g. by the paired bootstrap
    of `fairdf.metrics.paired`) instead of drawing them here.
    With `video_column`, `result.video` holds the same metrics of the videos (frame
    scores aggregated by `video_aggregate`; its bootstrap resamples videos).
    `reference_groups` maps a view to its disparity reference group (default: largest).
    A `method_name` (or `spe_label`) column adds `result.methods`: each method's AUC
    against all reals, with intervals; the methods named in `held_out` are marked.
    """
    by = list(by)
    if n_bootstrap is not None:  # the former name of `bootstrap`
        warnings.warn("compute_metrics: n_bootstrap is now bootstrap", DeprecationWarning, 2)
        bootstrap = n_bootstrap
    n_bootstrap = bootstrap
    reference_groups = dict(reference_groups or {})
    _check_options(threshold, n_bootstrap, ci, cluster_by)
    if attributes is not None:
        scheme = declared_scheme(table, attributes, scheme)
    if not isinstance(table, PredictionTable):
        table = prepare_predictions(table, scheme, reference_convention=reference_convention)
    elif scheme is not None and get_scheme(scheme) != table.scheme:
        raise DataError(
            f"{table.source}: read with scheme '{table.scheme.name}', not '{get_scheme(scheme).name}'"
        )
    views = build_views(table, by)
    if table.reference:
        predicted = table.score >= threshold
    else:
        predicted = predicted_fake(table.score, threshold)
    result = _point_estimates(table, views, predicted)
    result.disparity = disparity_section(result.groups, reference_groups)
    result.meta.update(
        constant_decisions=constant_decisions(predicted),
        threshold=float(threshold),
        rule=REFERENCE_RULE if table.reference else PREDICTION_RULE,
        n_bootstrap=int(n_bootstrap),
        ci=float(ci) if n_bootstrap else None,
        cluster_by=cluster_by if n_bootstrap else None,
        seed=int(seed) if n_bootstrap else None,
    )
    clusters = column_view(table, cluster_by).codes if cluster_by else None
    own_resamples = n_bootstrap if statistics is None else 0  # a paired caller has its own
    if n_bootstrap and statistics is None:
        all_views = [overall_view(len(table)), *views]
        statistics = bootstrap_statistics(
            table.label,
            table.score,
            predicted,
            all_views,
            n_bootstrap,
            clusters=clusters,
            seed=seed,
            fairness=_reference_and_more_fairness if table.reference else fairness_metrics,
        )
    if n_bootstrap:
        interval = _IntervalBuilder(statistics, ci)
        result.intervals = _intervals(result, interval)
        # resamples where a statistic was undefined (e.g. no real image drawn for a
        # group); its interval uses the other resamples
        result.meta["bootstrap_undefined"] = interval.undefined
    result.methods = method_table(
        table.frame,
        table.label,
        table.score,
        held_out=held_out,
        n_bootstrap=own_resamples,
        ci=ci,
        clusters=clusters,
        seed=seed,
    )
    if video_column is not None:
        method = method_column(table.frame)
        per_video = method is not None and _constant_per_video(table.frame, method, video_column)
        constant = [*by, *([method] if per_video else [])]
        videos = video_predictions(table, video_column, video_aggregate, constant=constant)
        result.video = compute_metrics(
            videos,
            by=by,
            threshold=threshold,
            bootstrap=n_bootstrap,
            ci=ci,
            seed=seed,
            reference_groups=reference_groups,
            held_out=held_out,
        )
        result.video.meta.update(video_column=video_column, video_aggregate=video_aggregate)
        result.meta.update(video_column=video_column, video_aggregate=video_aggregate)
    return result


def _constant_per_video(frame: pd.DataFrame, column: str, video_column: str) -> bool:
    """True when every video's frames share one value of `column` (a video-level method
    table needs it; a 'video' that mixes methods gets none)."""
    if video_column not in frame.columns:
        return False
    return bool((frame.groupby(video_column)[column].nunique(dropna=False) <= 1).all())


def _reference_and_more_fairness(rates, totals) -> dict:
    """Bootstrap fairness under the reference convention: the reference script's numbers,
    and fairdf's other metrics (those the script does not print) beside them."""
    rates = {**rates, "ppv": reference_precision(rates["ppv"], rates["n_real"], rates["n_fake"])}
    values = fairness_metrics(rates, totals)
    values.update(reference_fairness_metrics(rates, totals))
    return values


def _point_estimates(
    table: PredictionTable, views: list[View], predicted: np.ndarray
) -> MetricsResult:
    """Overall and per-group metrics, fairness per view and the excluded values."""
    label, score, nearest = table.label, table.score, table.reference
    overall_table = group_table(
        overall_view(len(table)), label, score, predicted, nearest_eer=nearest
    )
    overall_row = overall_table.iloc[0]
    groups = {
        view.name: group_table(view, label, score, predicted, nearest_eer=nearest) for view in views
    }
    for view in views:
        groups[view.name]["ece"] = group_calibration_error(view, label, score)
    if table.reference:  # precision 0, not undefined, where a kept group calls none fake
        for t in (overall_table, *groups.values()):
            t["ppv"] = reference_precision(t["ppv"].to_numpy(), t["n_real"], t["n_fake"])
    fairness = {name: fairness_of_table(t, overall_row) for name, t in groups.items()}
    if table.reference:  # the reference script's numbers replace those it prints
        for view in views:
            values = _reference_fairness(view, groups[view.name], label, predicted, overall_row)
            fairness[view.name].update(values)
    _add_scored_metrics(table, views, groups, fairness)
    if table.reference:
        for view in views:
            if np.isnan(fairness[view.name]["F_FPR"]):
                # no group left (the reference script stops): nothing of the view is defined
                fairness[view.name] = dict.fromkeys(fairness[view.name])
    excluded = group_exclusions(OVERALL, overall_table)
    for name, group_metrics in groups.items():
        excluded += group_exclusions(name, group_metrics)
        if table.reference:
            excluded += reference_exclusions(name, group_metrics)
        else:
            excluded += fairness_exclusions(name, group_metrics, fairness[name])
    meta = {
        "source": table.source,
        "scheme": table.scheme.name,
        "convention": table.convention,
        "views": [view.name for view in views],
    }
    if table.reference:
        meta["eer"] = REFERENCE_EER
        meta["zero_precision_groups"] = {
            name: names for name, t in groups.items() if (names := zero_precision_groups(t))
        }
        meta["removed_groups"] = {
            name: [group for group, cause in removed_groups(t) if cause != "no images"]
            for name, t in groups.items()
        }
    overall = {name: overall_table[name].iloc[0] for name in OVERALL_COLUMNS}  # n stays int
    return MetricsResult(overall, fairness, groups, excluded, meta)


def _reference_fairness(
    view: View, table: pd.DataFrame, label: np.ndarray, predicted: np.ndarray, overall: pd.Series
) -> dict[str, float]:
    """The reference script's fairness numbers of one view (rates straight from counts)."""
    rates = rates_from_counts(confusion_counts(view.codes, label, predicted, view.n_groups))
    rates["auc"] = table["auc"].to_numpy(dtype=np.float64)
    totals = {name: np.float64(overall[name]) for name in ("fpr", "tpr", "pr")}
    values = reference_fairness_metrics(rates, totals)
    return {name: float(value) for name, value in values.items()}


def _add_scored_metrics(
    table: PredictionTable,
    views: list[View],
    groups: dict[str, pd.DataFrame],
    fairness: dict[str, dict[str, float]],
) -> None:
    """ECE_gap, F_S, F_A and F_COV of every view (see `fairdf.metrics.scored`)."""
    reference_logits = table.convention == REFERENCE_CONVENTION and "logit_fake" in table.frame
    logit_fake = table.frame["logit_fake"].to_numpy() if reference_logits else None
    logits = fake_logits(table.score, logit_fake)
    intersectional = groups[views[0].name]
    pr = intersectional["pr"].to_numpy(dtype=np.float64)
    if table.reference:  # over the groups the reference keeps
        spread = reference_spread(pr, intersectional["n_real"], intersectional["n_fake"])
    else:
        spread = float(gap(pr))
    for view in views:
        values = fairness[view.name]
        values["ECE_gap"] = float(gap(groups[view.name]["ece"].to_numpy(dtype=np.float64)))
        values["F_S"] = spread
        values["F_A"] = (values["F_G"] + spread) / 2
        values["F_COV"] = covariance_fairness(view, logits)


def _check_options(threshold: float, n_bootstrap: int, ci: float, cluster_by: str | None) -> None:
    if not (math.isfinite(threshold) and 0.0 <= threshold <= 1.0):
        raise ConfigError(f"threshold {threshold} is not in [0, 1]; scores are p(fake)")
    if n_bootstrap < 0:
        raise ConfigError(f"bootstrap resamples {n_bootstrap} is negative; use 0 (none) or more")
    if not 0.0 < ci < 1.0:
        raise ConfigError(f"interval level {ci} is not in (0, 1); e.g. 0.95")
    if cluster_by is not None and n_bootstrap == 0:
        raise ConfigError("cluster resampling needs bootstrap resamples; add --bootstrap N")


class _IntervalBuilder:
    """Percentile intervals of the bootstrap statistics; counts resamples left undefined."""

    def __init__(self, statistics: dict[tuple[str, ...], np.ndarray], ci: float):
        self.statistics, self.ci = statistics, ci
        self.undefined: dict[str, int] = {}

    def __call__(self, point: float, *key: str) -> list[float] | None:
        """[low, high] of statistic `key`; None where the point estimate is undefined."""
        if math.isnan(point):
            return None
        values = self.statistics[key]
        if missing := int(np.isnan(values).sum()):
            self.undefined["/".join(key)] = missing
        bounds = percentile_interval(values, self.ci)
        return None if bounds is None else list(bounds)


def _intervals(result: MetricsResult, interval: _IntervalBuilder) -> dict[str, Any]:
    """[low, high] per metric, nested like the result."""
    return {
        "overall": {
            name: interval(result.overall[name], "overall", name) for name in INTERVAL_METRICS
        },
        "fairness": {
            view: {
                # score-based metrics (ECE_gap, F_S, F_A, F_COV) have no interval
                metric: interval(point, "fairness", view, metric)
                if ("fairness", view, metric) in interval.statistics
                else None
                for metric, point in values.items()
            }
            for view, values in result.fairness.items()
        },
        "groups": {
            view: {
                str(group): {
                    name: interval(table.at[group, name], "groups", view, str(group), name)
                    for name in INTERVAL_METRICS
                }
                for group in table.index
            }
            for view, table in result.groups.items()
        },
    }
