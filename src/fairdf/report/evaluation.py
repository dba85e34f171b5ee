"""Report tables of the evaluation extras: predictive parity and ratios, disparity against
a reference group, video-level results and robustness under perturbations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fairdf.metrics import MetricsResult
from fairdf.metrics.disparity import DISPARITY_RATES, FOUR_FIFTHS
from fairdf.metrics.parity import PARITY_METRICS, SCORED_METRICS
from fairdf.report.document import Cell, Table
from fairdf.report.tables import (
    DETECTION_DIGITS,
    FAIRNESS_DIGITS,
    NOT_AVAILABLE,
    count_cell,
    fairness_table,
    group_table,
    header,
    overall_table,
    value_cell,
)

MORE_METRICS = (*PARITY_METRICS, *SCORED_METRICS)
MORE_HEADERS = {
    "PPV_gap": "PPV gap",
    "NPV_gap": "NPV gap",
    "ECE_gap": "ECE gap",
    "PR_ratio": "PR ratio",
    "FPR_ratio": "FPR ratio",
    "TPR_ratio": "TPR ratio",
}
ROBUSTNESS_METRICS = ("auc", "F_FPR", "F_OAE", "F_DP", "F_MEO")


def _title(name: str) -> str:
    return MORE_HEADERS.get(name, header(name))


def parity_table(result: MetricsResult, key: str = "summary-parity", unit: str = "") -> Table:
    """One row per view: predictive parity, ratios, calibration gap, F_G/F_S/F_A, F_COV."""
    rows = []
    for view, values in result.fairness.items():
        intervals = result.intervals["fairness"][view] if result.intervals else {}
        cells = [Cell(view)]
        for metric in MORE_METRICS:
            if metric == "F_COV":  # logit units, not a fraction
                value = values[metric]
                text = NOT_AVAILABLE if value is None or value != value else f"{value:.3f}"
                cells.append(Cell(text, undefined=text == NOT_AVAILABLE))
            else:
                cells.append(value_cell(values[metric], FAIRNESS_DIGITS, intervals.get(metric)))
        rows.append(tuple(cells))
    return Table(
        key,
        f"Predictive parity, ratios, calibration and the reference figures{unit} (%)",
        ("view", *(_title(m) for m in MORE_METRICS)),
        tuple(rows),
        note="Gaps: max - min over groups (lower is fairer); ratios: min / max over groups "
        "(higher is fairer); F_COV in logit units. Definitions: docs/metrics.md.",
    )


def disparity_table(result: MetricsResult, key: str = "disparity", unit: str = "") -> Table:
    """One row per (view, group): each rate divided by the reference group's."""
    low, high = FOUR_FIFTHS
    rows = []
    for view, section in (result.disparity or {}).items():
        for group, values in section["groups"].items():
            cells = [
                Cell(view),
                Cell(group + (" (reference)" if group == section["reference"] else "")),
            ]
            for rate in DISPARITY_RATES:
                value, passed = values[rate], values["pass"][rate]
                if value is None or value != value:
                    cells.append(Cell(NOT_AVAILABLE, undefined=True))
                else:
                    cells.append(Cell(f"{value:.2f}", "" if passed else "outside"))
            rows.append(tuple(cells))
    return Table(
        key,
        f"Disparity against the reference group{unit} (ratio of rates)",
        ("view", "group", *(r.upper() for r in DISPARITY_RATES)),
        tuple(rows),
        note=f"Four-fifths rule: a ratio outside [{low}, {high}] is marked 'outside'; the "
        "reference group is each view's largest unless chosen with --reference-group.",
        text_columns=2,
    )


def video_tables(result: MetricsResult) -> list[Table]:
    """The video-level summary tables, keyed apart from the frame-level ones."""
    video = result.video
    if video is None:
        return []
    overall = overall_table(video)
    fairness = fairness_table(video)
    return [
        Table("summary-overall-videos", "Detection over all videos (%)", *_body(overall)),
        Table("summary-fairness-videos", "Fairness per view, videos (%)", *_body(fairness)),
        parity_table(video, "summary-parity-videos", ", videos"),
    ]


def video_group_tables(result: MetricsResult) -> list[Table]:
    if result.video is None:
        return []
    tables = []
    for view in result.video.groups:
        table = group_table(result.video, view)
        tables.append(Table(f"{table.key}-videos", f"Groups: {view}, videos (%)", *_body(table)))
    return tables


def _body(table: Table) -> tuple[Any, ...]:
    return (table.header, table.rows, table.note, table.text_columns)


def robustness_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    """One row per condition: AUC and intersectional fairness, and the change from clean.

    `rows` are the records of `fairdf.engine.robustness.robustness_rows`.
    """
    body = []
    for row in rows:
        cells = [Cell(str(row["condition"])), count_cell(row["n"])]
        for metric in ROBUSTNESS_METRICS:
            digits = DETECTION_DIGITS if metric == "auc" else FAIRNESS_DIGITS
            cells.append(value_cell(row[metric], digits))
            interval = row.get(f"{metric}_change_interval")
            cells.append(value_cell(row[f"{metric}_change"], digits, interval))
        body.append(tuple(cells))
    names = []
    for metric in ROBUSTNESS_METRICS:
        names += [header(metric), f"change {header(metric)}"]
    return Table(
        "robustness",
        "Robustness: test images perturbed (%; change = condition - clean)",
        ("condition", "n", *names),
        tuple(body),
        note="Fairness over the intersectional groups; each perturbation is deterministic "
        "per image.",
    )


def method_tables(result: MetricsResult) -> list[Table]:
    """AUC per manipulation method, frames (and videos): its fakes against all reals."""
    tables = []
    for suffix, level in (("", result), ("-videos", result.video)):
        if level is None or level.methods is None:
            continue
        rows = tuple(
            (
                Cell(f"{name} (held out)" if row["held_out"] else name),
                count_cell(row["n_fake"]),
                value_cell(row["auc"], DETECTION_DIGITS, row["interval"]),
            )
            for name, row in level.methods["rows"].items()
        )
        unit = "videos" if suffix else "images"
        tables.append(
            Table(
                f"summary-methods{suffix}",
                f"AUC per manipulation method, {unit} (%): its fakes against all "
                f"{level.methods['n_real']} real {unit}",
                ("method", "fakes", "AUC"),
                rows,
            )
        )
    return tables
