"""Readable text tables of a `MetricsResult` (metrics in percent, as in the paper)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

from fairdf.metrics.compute import OVERALL_COLUMNS, MetricsResult
from fairdf.metrics.detection import GROUP_COLUMNS, PREDICTIVE_NAMES
from fairdf.metrics.disparity import DISPARITY_RATES
from fairdf.metrics.fairness import FAIRNESS_METRICS, VIEW_METRICS
from fairdf.metrics.parity import PARITY_METRICS, SCORED_METRICS
from fairdf.metrics.reference import REMOVED_DETAIL

COUNT_COLUMNS = ("n", "n_real", "n_fake")
PRINTED_GROUP_COLUMNS = (*GROUP_COLUMNS, *PREDICTIVE_NAMES, "ece")
MORE_METRICS = (*PARITY_METRICS, *SCORED_METRICS)
HEADERS = {"n_real": "real", "n_fake": "fake", "FPR_gap": "FPR gap", "AUC_gap": "AUC gap"}
HEADERS["ErrorRate_gap"] = "ErrRate gap"
FEW_IMAGES = 10  # intervals from fewer images of a group's rarer class are marked *
HEADERS.update({f"{m}_gap": f"{m} gap" for m in ("PPV", "NPV", "ECE")})
HEADERS.update({f"{m}_ratio": f"{m} ratio" for m in ("PR", "FPR", "TPR")})
UNSCALED = ("F_COV",)  # in logit units, not a fraction
HEADERS.update({"F_FPR": "F_FPR (sum)", "F_EO": "F_EO (sum)"})  # sums over groups
TABLE_WIDTH = 120  # console tables wider than this are split (--wide: never)


def _header(name: str) -> str:
    return HEADERS.get(name, name if name.startswith("F_") or name == "n" else name.upper())


def _undefined(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _percent(value: Any, digits: int, scale: float = 100.0) -> str:
    if _undefined(value):
        return "n/a"
    text = f"{scale * float(value):.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # never -0.00


def _bounds(interval: Sequence[float] | None, digits: int) -> str:
    if interval is None:
        return ""
    return f"[{_percent(interval[0], digits)}, {_percent(interval[1], digits)}]"


def render(
    header: Sequence[str], rows: Sequence[Sequence[str]], width: int | None = TABLE_WIDTH
) -> str:
    """Columns padded to width: the first left-aligned, the others right-aligned.

    A table wider than `width` characters is split into several, each repeating the
    first column (None: never split).
    """
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str], columns: list[int]) -> str:
        first = str(cells[0]).ljust(widths[0])
        rest = (str(cells[i]).rjust(widths[i]) for i in columns)
        return "  ".join((first, *rest)).rstrip()

    parts = []
    for columns in _column_chunks(widths, width):
        parts.append("\n".join([line(header, columns), *(line(r, columns) for r in rows)]))
    return "\n\n".join(parts)


def _column_chunks(widths: list[int], width: int | None) -> list[list[int]]:
    """Indexes of the columns after the first, in chunks that fit `width` beside it."""
    chunks: list[list[int]] = [[]]
    used = widths[0]
    for index, column_width in enumerate(widths[1:], start=1):
        if width is not None and chunks[-1] and used + 2 + column_width > width:
            chunks.append([])
            used = widths[0]
        chunks[-1].append(index)
        used += 2 + column_width
    return chunks


def wrap(text: str, width: int | None = TABLE_WIDTH) -> str:
    """Each line of `text` wrapped at `width` (continuation lines indented by 2)."""
    if width is None:
        return text
    return "\n".join(
        line
        if len(line) <= width
        else textwrap.fill(line, width, subsequent_indent="  ", break_on_hyphens=False)
        for line in text.splitlines()
    )


def _rows(
    label: str,
    counts: list[str],
    values: dict[str, Any],
    intervals: dict[str, Any] | None,
    names: Sequence[str],
    digits: int,
    few: bool = False,
) -> list[list[str]]:
    """The value row of one entity, and below it its interval row when bootstrapped.

    `few`: the interval rests on too few images (`FEW_IMAGES`) and is marked with `*`.
    """
    cells = (_percent(values[k], digits, 1.0 if k in UNSCALED else 100.0) for k in names)
    rows = [[label, *counts, *cells]]
    if intervals is not None:
        blanks = [""] * len(counts)
        name = "  interval*" if few else "  interval"
        rows.append([name, *blanks, *(_bounds(intervals.get(k), digits) for k in names)])
    return rows


def _few(n_real: Any, n_fake: Any) -> bool:
    """True when a group with images has fewer than FEW_IMAGES of its rarer class."""
    return int(n_real) + int(n_fake) > 0 and min(int(n_real), int(n_fake)) < FEW_IMAGES


def _levels(result: MetricsResult) -> list[tuple[str, MetricsResult]]:
    """("", frame level) and, when computed, (" (videos)", video level)."""
    return [("", result)] + ([(" (videos)", result.video)] if result.video else [])


def _overall(result: MetricsResult, width: int | None) -> str:
    names = OVERALL_COLUMNS[1:]
    rows = []
    for suffix, level in _levels(result):
        intervals = level.intervals["overall"] if level.intervals else None
        label = "videos" if suffix else ("frames" if result.video else "all")
        rows += _rows(label, [str(int(level.overall["n"]))], level.overall, intervals, names, 2)
    return "Overall (%)\n" + render(["", "n", *(_header(k) for k in names)], rows, width)


def _view_rows(result: MetricsResult, names: tuple[str, ...]) -> list[list[str]]:
    """One row per view (and its interval row), video level beside frame level."""
    rows = []
    for view in result.fairness:
        for suffix, level in _levels(result):
            intervals = level.intervals["fairness"][view] if level.intervals else None
            table = level.groups[view]
            few = any(_few(r, f) for r, f in zip(table["n_real"], table["n_fake"], strict=True))
            rows += _rows(view + suffix, [], level.fairness[view], intervals, names, 3, few)
    return rows


def _fairness(result: MetricsResult, width: int | None) -> str:
    rows = _view_rows(result, FAIRNESS_METRICS)
    title = "Fairness (%, lower is fairer; F_FPR and F_EO are sums over groups, so above 100 is possible)"
    header = ["view", *(_header(m) for m in FAIRNESS_METRICS)]
    return wrap(title, width) + "\n" + render(header, rows, width)


def _more_fairness(result: MetricsResult, width: int | None) -> str:
    rows = _view_rows(result, MORE_METRICS)
    title = (
        "Predictive parity, ratios, calibration and the reference script's figures "
        "(%; *_ratio = min/max, higher is fairer; F_COV in logit units)"
    )
    header = ["view", *(_header(m) for m in MORE_METRICS)]
    return wrap(title, width) + "\n" + render(header, rows, width)


def _groups(level: MetricsResult, view: str, suffix: str, width: int | None) -> str:
    names = [k for k in PRINTED_GROUP_COLUMNS if k not in COUNT_COLUMNS]
    rows = []
    for group, row in level.groups[view].iterrows():
        intervals = level.intervals["groups"][view][str(group)] if level.intervals else None
        counts = [str(int(row[k])) for k in COUNT_COLUMNS]
        few = _few(row["n_real"], row["n_fake"])
        rows += _rows(str(group), counts, row.to_dict(), intervals, names, 2, few)
    header = ["group", *(_header(k) for k in PRINTED_GROUP_COLUMNS)]
    return f"Groups: {view}{suffix} (%)\n" + render(header, rows, width)


def _disparity(level: MetricsResult, suffix: str, width: int | None) -> str:
    """Per view: each group's rate ratios to the reference group; '!' fails four-fifths."""
    rows = []
    for view, section in (level.disparity or {}).items():
        for group, values in section["groups"].items():
            marked = [
                "n/a"
                if _undefined(values[r])
                else f"{values[r]:.2f}{'' if values['pass'][r] else '!'}"
                for r in DISPARITY_RATES
            ]
            mark = " (ref)" if group == section["reference"] else ""
            rows.append([f"{view}: {group}{mark}", *marked])
    title = f"Disparity{suffix}: rate / reference group's rate ('!' = outside [0.8, 1.25])"
    header = ["view: group", *(r.upper() for r in DISPARITY_RATES)]
    return wrap(title, width) + "\n" + render(header, rows, width)


def _excluded(result: MetricsResult, width: int | None) -> str:
    """Per view: one line per group with undefined values, one per metric that is null."""
    per_group: dict[tuple[str, str, str], tuple[list[str], list[str]]] = {}
    null_lines: dict[str, list[str]] = {}
    for entry in result.excluded:
        view, group, metric = str(entry["view"]), entry["group"], str(entry["metric"])
        if group is None:
            null_lines.setdefault(view, []).append(
                f"  {view}: {metric} is null ({entry['reason']})"
            )
            continue
        cause, _, detail = str(entry["reason"]).partition(": ")
        undefined, left_out = per_group.setdefault((view, group, cause), ([], []))
        if metric in VIEW_METRICS:
            left_out.append(f"{metric} ({detail.removesuffix(' undefined')})")
            if detail == REMOVED_DETAIL and len(left_out) == len(FAIRNESS_METRICS):
                left_out[:] = [f"every fairness metric ({detail})"]
        else:
            undefined.append("every metric" if metric == "all" else metric)
    lines: dict[str, list[str]] = {}
    for (view, group, cause), (undefined, left_out) in per_group.items():
        text = f"  {view} / {group} ({cause}): undefined {', '.join(undefined)}"
        lines.setdefault(view, []).append(
            text + (f"; left out of {', '.join(left_out)}" if left_out else "")
        )
    for view, view_lines in null_lines.items():
        lines.setdefault(view, []).extend(view_lines)
    if not lines:
        return "Excluded: nothing (every value is defined)"
    body = "\n".join(line for view_lines in lines.values() for line in view_lines)
    title = "Excluded (undefined values, left out of the metrics; null in JSON)"
    return title + "\n" + wrap(body, width)


def method_section(result: MetricsResult, width: int | None = TABLE_WIDTH) -> str | None:
    """AUC per manipulation method (frames, and videos beside them), or None."""
    if result.methods is None:
        return None
    video = result.video.methods if result.video and result.video.methods else None
    header = ["method", "fakes", "AUC", "interval"]
    header += ["video AUC", "interval"] if video else []
    rows = []
    for name, row in result.methods["rows"].items():
        label = f"{name} (held out)" if row["held_out"] else name
        cells = [label, str(row["n_fake"]), _percent(row["auc"], 2), _bounds(row["interval"], 2)]
        if video:
            other = video["rows"].get(name, {})
            cells += [_percent(other.get("auc"), 2), _bounds(other.get("interval"), 2)]
        rows.append(cells)
    title = (
        f"AUC per manipulation method (%, its fakes against all {result.methods['n_real']} "
        f"real images; column '{result.methods['column']}')"
    )
    return wrap(title, width) + "\n" + render(header, rows, width)


def interval_statement(meta: dict[str, Any]) -> str:
    """How the intervals were drawn, or that there are none (each output's first line)."""
    if not meta.get("n_bootstrap"):
        return "no intervals (bootstrap 0 resamples; --bootstrap N adds them)"
    unit = f"clusters of '{meta['cluster_by']}'" if meta.get("cluster_by") else "images"
    return (
        f"{100 * meta['ci']:g}% percentile bootstrap intervals from {meta['n_bootstrap']} "
        f"resamples of {unit} (seed {meta['seed']})"
    )


def _summary(result: MetricsResult) -> str:
    meta, overall = result.meta, result.overall
    first = next(iter(result.groups.values()))
    n_real, n_fake = int(first["n_real"].sum()), int(first["n_fake"].sum())
    lines = [
        f"{int(overall['n'])} images ({n_real} real, {n_fake} fake); {interval_statement(meta)}",
        f"predictions: {meta['source']}",
        f"scheme {meta['scheme']}; {meta['convention']}; {meta['rule']} {meta['threshold']:g}",
    ]
    if result.video:
        lines.append(
            f"videos: {int(result.video.overall['n'])} by column '{meta['video_column']}', "
            f"score = {meta['video_aggregate']} of the frame scores"
        )
    lines.append("Tables in percent (JSON: fractions); n/a = undefined, the reason under Excluded.")
    return "\n".join(lines)


def format_report(result: MetricsResult, width: int | None = TABLE_WIDTH) -> str:
    """All tables of `result` as text: summary, overall, fairness, groups, exclusions.

    Tables wider than `width` characters are split (None: never).
    """
    meta = result.meta
    sections = [_summary(result), _overall(result, width)]
    if methods := method_section(result, width):
        sections.append(methods)
    sections += [_fairness(result, width), _more_fairness(result, width)]
    for suffix, level in _levels(result):
        sections += [_groups(level, view, suffix, width) for view in level.groups]
    if zero := meta.get("zero_precision_groups"):
        named = "; ".join(f"{view}: {', '.join(groups)}" for view, groups in zero.items())
        sections.append(
            "PPV 0.00 where a group calls no image fake: precision 0, as the reference script "
            f"prints it (scikit-learn's precision_score); undefined by default ({named})"
        )
    sections += [_disparity(level, suffix, width) for suffix, level in _levels(result)]
    if meta.get("n_bootstrap"):
        sections.append(
            f"*: interval from fewer than {FEW_IMAGES} images of the rarer class (real or fake) "
            "in a group (for a fairness metric: in any group of the view); treat it as unreliable"
        )
    sections.append(_excluded(result, width))
    if result.video:
        sections.append("Videos: " + _excluded(result.video, width))
    return "\n\n".join(wrap(section, width) for section in sections) + "\n"
