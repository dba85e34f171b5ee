"""Report tables from a `MetricsResult` and a training log (values in percent, like
`fairdf metrics`: detection metrics with 2 decimals, fairness metrics with 3)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from fairdf.metrics import FAIRNESS_METRICS, GROUP_COLUMNS, MetricsResult
from fairdf.metrics.fairness import VIEW_METRICS
from fairdf.report.document import Cell, Table

DETECTION_COLUMNS = ("auc", "acc", "eer", "ap", "fpr", "tpr")
COUNT_COLUMNS = ("n", "n_real", "n_fake")
HEADERS = {
    "n_real": "real",
    "n_fake": "fake",
    "FPR_gap": "FPR gap",
    "AUC_gap": "AUC gap",
    "ErrorRate_gap": "ErrorRate gap",
}
DETECTION_DIGITS, FAIRNESS_DIGITS = 2, 3
NOT_AVAILABLE = "n/a"


def header(name: str) -> str:
    """Column title of a metric key: "auc" -> "AUC", "n_real" -> "real"."""
    if name in HEADERS:
        return HEADERS[name]
    return name if name.startswith("F_") or name in ("n", "epoch") else name.upper()


def percent(value: Any, digits: int) -> str:
    """A fraction as a percentage with `digits` decimals; "n/a" when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE
    return f"{100 * float(value):.{digits}f}"


def value_cell(value: Any, digits: int, interval: Sequence[float] | None = None) -> Cell:
    """A metric cell: the percentage and, when given, its "[low, high]" interval."""
    text = percent(value, digits)
    bounds = ""
    if interval is not None and text != NOT_AVAILABLE:
        bounds = f"[{percent(interval[0], digits)}, {percent(interval[1], digits)}]"
    return Cell(text, bounds, undefined=text == NOT_AVAILABLE)


def count_cell(value: Any) -> Cell:
    return Cell(str(int(value)))


def overall_table(result: MetricsResult) -> Table:
    """One row: n and the detection metrics over all images."""
    intervals = result.intervals["overall"] if result.intervals else {}
    cells = [count_cell(result.overall["n"])]
    cells += [
        value_cell(result.overall[k], DETECTION_DIGITS, intervals.get(k)) for k in DETECTION_COLUMNS
    ]
    return Table(
        "summary-overall",
        "Detection over all images (%)",
        ("n", *(header(k) for k in DETECTION_COLUMNS)),
        (tuple(cells),),
        text_columns=0,
    )


def fairness_table(result: MetricsResult) -> Table:
    """One row per view (intersectional, gender, race, --by columns)."""
    rows = []
    for view, values in result.fairness.items():
        intervals = result.intervals["fairness"][view] if result.intervals else {}
        cells = [Cell(view)]
        cells += [
            value_cell(values[m], FAIRNESS_DIGITS, intervals.get(m)) for m in FAIRNESS_METRICS
        ]
        rows.append(tuple(cells))
    return Table(
        "summary-fairness",
        "Fairness per view (%, lower is fairer)",
        ("view", *(header(m) for m in FAIRNESS_METRICS)),
        tuple(rows),
        note="F_FPR and F_EO are sums over the groups; the others are max - min over groups.",
    )


def group_table(result: MetricsResult, view: str) -> Table:
    """One row per group of `view`: counts and every per-group metric."""
    metrics = [k for k in GROUP_COLUMNS if k not in COUNT_COLUMNS]
    rows = []
    for group, row in result.groups[view].iterrows():
        intervals = result.intervals["groups"][view][str(group)] if result.intervals else {}
        cells = [Cell(str(group)), *(count_cell(row[k]) for k in COUNT_COLUMNS)]
        cells += [value_cell(row[k], DETECTION_DIGITS, intervals.get(k)) for k in metrics]
        rows.append(tuple(cells))
    return Table(
        f"groups-{slug(view)}",
        f"Groups: {view} (%)",
        ("group", *(header(k) for k in GROUP_COLUMNS)),
        tuple(rows),
    )


def excluded_table(excluded: Sequence[Mapping[str, Any]]) -> Table | None:
    """Undefined values, one row per (view, group, cause); None when every value is defined.

    A group's undefined rates and the fairness metrics it is left out of share a row;
    a fairness metric that is itself undefined (null) gets a row of its own.
    """
    if not excluded:
        return None
    merged: dict[tuple[str, str, str], tuple[list[str], list[str]]] = {}
    for entry in excluded:
        view, group, metric = str(entry["view"]), entry["group"], str(entry["metric"])
        if group is None:  # the fairness metric itself is undefined (null)
            key = (view, "(whole view)", str(entry["reason"]))
            merged.setdefault(key, ([], []))[0].append(header(metric))
            continue
        cause, _, _ = str(entry["reason"]).partition(": ")
        undefined, left_out = merged.setdefault((view, str(group), cause), ([], []))
        if metric in VIEW_METRICS:
            left_out.append(header(metric))
        else:
            undefined.append("every metric" if metric == "all" else header(metric))
    rows = tuple(
        (Cell(view), Cell(group), Cell(reason), Cell(", ".join(undefined)), Cell(", ".join(out)))
        for (view, group, reason), (undefined, out) in merged.items()
    )
    return Table(
        "excluded",
        "Undefined values (left out of the metrics, never counted as 0)",
        ("view", "group", "reason", "undefined", "left out of"),
        rows,
        text_columns=5,
    )


def bootstrap_undefined_table(undefined: Mapping[str, int], n_bootstrap: int) -> Table | None:
    """Statistics left undefined in some bootstrap resamples, with how many; None if none.

    Keys are paths as in `MetricsResult.meta["bootstrap_undefined"]`:
    "overall/auc", "fairness/<view>/<metric>", "groups/<view>/<group>/<metric>".
    """
    if not undefined:
        return None
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for key, count in undefined.items():
        part, _, rest = key.partition("/")
        where, _, metric = rest.rpartition("/")
        place = where.replace("/", " / ", 1) if part == "groups" else where
        counts.setdefault((part, place or "all images"), {})[metric] = count
    metrics = list(dict.fromkeys(m for values in counts.values() for m in values))
    rows = tuple(
        (Cell(part), Cell(place), *(Cell(str(values.get(m, ""))) for m in metrics))
        for (part, place), values in counts.items()
    )
    return Table(
        "bootstrap-undefined",
        f"Resamples (of {n_bootstrap}) in which a statistic was undefined",
        ("part", "where", *(header(m) for m in metrics)),
        rows,
        text_columns=2,
    )


def validation_tables(record: Mapping[str, Any]) -> list[Table]:
    """The validation metrics of one epoch record: detection, and intersectional fairness."""
    values = record.get("val") or {}
    epoch = Cell(str(record["epoch"]))
    n = Cell(str(values["n"]) if values.get("n") is not None else NOT_AVAILABLE)
    detection = [value_cell(values.get(k), DETECTION_DIGITS) for k in DETECTION_COLUMNS]
    fairness = [value_cell(values.get(m), FAIRNESS_DIGITS) for m in FAIRNESS_METRICS]
    return [
        Table(
            "validation-detection",
            "Validation detection, last epoch (%)",
            ("epoch", "n", *(header(k) for k in DETECTION_COLUMNS)),
            ((epoch, n, *detection),),
            text_columns=0,
        ),
        Table(
            "validation-fairness",
            "Validation fairness over the intersectional groups, last epoch (%)",
            ("epoch", *(header(m) for m in FAIRNESS_METRICS)),
            ((epoch, *fairness),),
            note=(
                "n/a = undefined on the validation set: fewer than two groups in which the "
                "metric's rates are defined (a group needs reals for FPR, fakes for TPR)."
            ),
            text_columns=0,
        ),
    ]


def slug(name: str) -> str:
    """A name safe for HTML ids and file names: letters, digits and '-'."""
    text = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return "-".join(part for part in text.split("-") if part) or "view"


GLOSSARY = (
    ("AUC", "area under the ROC curve: the chance a random fake scores above a random real"),
    ("ACC", "accuracy at the threshold (an image is called fake when score > threshold)"),
    ("EER", "equal error rate: the error where false positive rate = false negative rate"),
    ("AP", "average precision of the fake class (area under the precision-recall curve)"),
    ("FPR / TNR", "share of real images called fake / called real (undefined without reals)"),
    ("TPR / FNR", "share of fake images called fake / called real (undefined without fakes)"),
    ("PR", "positive rate: share of all images called fake"),
    ("F_FPR", "sum over groups of |FPR_g - FPR_overall| (equal false positive rate)"),
    ("F_EO", "sum over groups of |FPR_g - FPR_overall| + |TPR_g - TPR_overall| (equal odds)"),
    ("F_OAE", "max - min over groups of ACC (overall accuracy equality)"),
    ("F_DP", "max - min over groups of PR, or of 1 - PR if larger (demographic parity)"),
    ("F_MEO", "largest max - min over groups among FPR, FNR, TNR, TPR (max equalized odds)"),
    ("FPR gap", "max - min over groups of FPR"),
    ("AUC gap", "max - min over groups of AUC"),
    ("ErrorRate gap", "max - min over groups of the balanced error rate 1 - (TPR + TNR) / 2"),
    (
        "[low, high]",
        "percentile bootstrap interval at the stated level; for a max - min metric it leans "
        "upward (resampling adds spread), so the point value may sit below it",
    ),
    ("n/a", "undefined for that group (listed under Excluded values with the reason)"),
)
