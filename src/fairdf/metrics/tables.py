"""Readable text tables of a `MetricsResult` (metrics in percent, as in the paper)."""

from __future__ import annotations

import math
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


def _header(name: str) -> str:
    return HEADERS.get(name, name if name.startswith("F_") or name == "n" else name.upper())


def _undefined(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _percent(value: Any, digits: int, scale: float = 100.0) -> str:
    if _undefined(value):
        return "n/a"
    return f"{scale * float(value):.{digits}f}"


def _bounds(interval: Sequence[float] | None, digits: int) -> str:
    if interval is None:
        return ""
    return f"[{_percent(interval[0], digits)}, {_percent(interval[1], digits)}]"


def render(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to width: the first left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = str(cells[0]).ljust(widths[0])
        rest = (str(c).rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])


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


def _overall(result: MetricsResult) -> str:
    names = OVERALL_COLUMNS[1:]
    rows = []
    for suffix, level in _levels(result):
        intervals = level.intervals["overall"] if level.intervals else None
        label = "videos" if suffix else ("frames" if result.video else "all")
        rows += _rows(label, [str(int(level.overall["n"]))], level.overall, intervals, names, 2)
    return "Overall (%)\n" + render(["", "n", *(_header(k) for k in names)], rows)


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


def _fairness(result: MetricsResult) -> str:
    rows = _view_rows(result, FAIRNESS_METRICS)
    title = "Fairness (%, lower is fairer; F_FPR and F_EO are sums over groups)"
    return title + "\n" + render(["view", *(_header(m) for m in FAIRNESS_METRICS)], rows)


def _more_fairness(result: MetricsResult) -> str:
    rows = _view_rows(result, MORE_METRICS)
    title = (
        "Predictive parity, ratios, calibration and the reference script's figures "
        "(%; *_ratio = min/max, higher is fairer; F_COV in logit units)"
    )
    return title + "\n" + render(["view", *(_header(m) for m in MORE_METRICS)], rows)


def _groups(level: MetricsResult, view: str, suffix: str = "") -> str:
    names = [k for k in PRINTED_GROUP_COLUMNS if k not in COUNT_COLUMNS]
    rows = []
    for group, row in level.groups[view].iterrows():
        intervals = level.intervals["groups"][view][str(group)] if level.intervals else None
        counts = [str(int(row[k])) for k in COUNT_COLUMNS]
        few = _few(row["n_real"], row["n_fake"])
        rows += _rows(str(group), counts, row.to_dict(), intervals, names, 2, few)
    header = ["group", *(_header(k) for k in PRINTED_GROUP_COLUMNS)]
    return f"Groups: {view}{suffix} (%)\n" + render(header, rows)


def _disparity(level: MetricsResult, suffix: str = "") -> str:
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
    return title + "\n" + render(["view: group", *(r.upper() for r in DISPARITY_RATES)], rows)


def _excluded(result: MetricsResult) -> str:
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
    return "Excluded (undefined values, left out of the metrics; null in JSON)\n" + body


def format_report(result: MetricsResult) -> str:
    """All tables of `result` as text: summary, overall, fairness, groups, exclusions."""
    meta, overall = result.meta, result.overall
    first = next(iter(result.groups.values()))
    n_real, n_fake = int(first["n_real"].sum()), int(first["n_fake"].sum())
    summary = (
        f"{meta['source']}: {int(overall['n'])} images ({n_real} real, {n_fake} fake), "
        f"scheme {meta['scheme']}; {meta['convention']}; {meta['rule']} {meta['threshold']:g}"
    )
    if meta.get("n_bootstrap"):
        unit = f"clusters of '{meta['cluster_by']}'" if meta.get("cluster_by") else "images"
        summary += (
            f"\n[low, high]: {100 * meta['ci']:g}% percentile bootstrap intervals, "
            f"{meta['n_bootstrap']} resamples of {unit}, seed {meta['seed']}"
        )
    if result.video:
        video = result.video
        summary += (
            f"\nvideos: {int(video.overall['n'])} by column '{meta['video_column']}', "
            f"score = {meta['video_aggregate']} of the frame scores"
        )
    summary += "\nTables in percent (JSON: fractions); n/a = undefined, the reason under Excluded."
    sections = [summary, _overall(result), _fairness(result), _more_fairness(result)]
    for suffix, level in _levels(result):
        sections += [_groups(level, view, suffix) for view in level.groups]
    if zero := meta.get("zero_precision_groups"):
        named = "; ".join(f"{view}: {', '.join(groups)}" for view, groups in zero.items())
        sections.append(
            "PPV 0.00 where a group calls no image fake: precision 0, as the reference script "
            f"prints it (scikit-learn's precision_score); undefined by default ({named})"
        )
    sections += [_disparity(level, suffix) for suffix, level in _levels(result)]
    if meta.get("n_bootstrap"):
        sections.append(
            f"*: interval from fewer than {FEW_IMAGES} images of the rarer class (real or fake) "
            "in a group (for a fairness metric: in any group of the view); treat it as unreliable"
        )
    sections.append(_excluded(result))
    if result.video:
        sections.append("Videos: " + _excluded(result.video))
    return "\n\n".join(sections) + "\n"
