"""Detection and group-fairness metrics of a predictions table, with bootstrap intervals.

table = read_predictions("predictions.csv")            # or a DataFrame
result = compute_metrics(table, by=["age"], bootstrap=1000)
result.to_json_dict()                                    # overall/fairness/groups/excluded
"""

from __future__ import annotations

from fairdf.metrics.compute import MetricsResult, compute_metrics
from fairdf.metrics.detection import GROUP_COLUMNS, equal_error_rate, predicted_fake
from fairdf.metrics.fairness import FAIRNESS_METRICS, fairness_metrics
from fairdf.metrics.options import MetricOptions, measure_predictions
from fairdf.metrics.predictions import PredictionTable, prepare_predictions, read_predictions
from fairdf.metrics.tables import format_report

__all__ = [
    "FAIRNESS_METRICS",
    "GROUP_COLUMNS",
    "MetricOptions",
    "MetricsResult",
    "PredictionTable",
    "compute_metrics",
    "equal_error_rate",
    "fairness_metrics",
    "format_report",
    "measure_predictions",
    "predicted_fake",
    "prepare_predictions",
    "read_predictions",
]
