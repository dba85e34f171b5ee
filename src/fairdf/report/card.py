"""A model card of a tested detector: Hugging Face layout, Mitchell et al.'s sections.

`build_card(TEST_OUT)` reads a `fairdf test` output folder (one sub-folder per test set
with `predictions.csv` and `metrics.json`) and the checkpoint each metrics file names,
and returns Markdown: YAML front matter with a `model-index` (one result per test set,
values taken from metrics.json as they are) and a body in the order of *Model Cards for
Model Reporting* (Mitchell et al., FAT* 2019): model details, intended use, factors,
metrics, evaluation data, quantitative analyses per group and per fairness gap with
bootstrap intervals, undefined values, caveats and limitations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairdf.errors import DataError
from fairdf.metrics.compute import MetricsResult
from fairdf.metrics.tables import FEW_IMAGES, _few
from fairdf.report.tables import percent

CARD_METRICS = (("auc", "AUC"), ("acc", "ACC"), ("eer", "EER"), ("ap", "AP"))
PAPER_FAIRNESS = ("F_FPR", "F_OAE", "F_DP", "F_MEO")
GROUP_RATES = ("auc", "acc", "fpr", "tpr")
CARD_BOOTSTRAP = 1000


@dataclass
class TestSet:
    """One test set of a `fairdf test` folder: its saved metrics and recomputed intervals."""

    name: str
    metrics: dict[str, Any]
    result: MetricsResult


def read_test_folder(folder: str | Path, bootstrap: int = CARD_BOOTSTRAP) -> list[TestSet]:
    """Every test set under `folder`, with `bootstrap` resamples for the intervals."""
    folder = Path(folder)
    sets = sorted(p.parent for p in folder.glob("*/metrics.json"))
    if not sets:
        raise DataError(f"{folder}: no <test set>/metrics.json inside; give a fairdf test --out")
    return [_read_test_set(path, bootstrap) for path in sets]


def _read_test_set(path: Path, bootstrap: int) -> TestSet:
    from fairdf.documents import read_json
    from fairdf.metrics import measure_predictions
    from fairdf.metrics.options import MetricOptions

    try:
        metrics = read_json(path / "metrics.json")
    except (OSError, ValueError) as exc:
        raise DataError(f"{path / 'metrics.json'}: not readable JSON ({exc})") from None
    predictions = path / "predictions.csv"
    if not isinstance(metrics, dict) or "overall" not in metrics or not predictions.is_file():
        raise DataError(f"{path}: expected metrics.json and predictions.csv of fairdf test")
    meta = metrics.get("meta", {})
    options = MetricOptions(
        scheme=_scheme(meta),
        bootstrap=bootstrap,
        video_column=meta.get("video_column") or "none",
        video_aggregate=meta.get("video_aggregate", "mean"),
    )
    _, result = measure_predictions(predictions, options)
    return TestSet(path.name, metrics, result)


def _scheme(meta: dict[str, Any]) -> Any:
    """The group scheme the test used: declared attributes of its checkpoint, or the name."""
    from fairdf.data.groups import SCHEMES

    checkpoint = _checkpoint_info(meta)
    if checkpoint is not None and checkpoint.attributes is not None:
        return checkpoint.group_scheme
    return meta.get("scheme") if meta.get("scheme") in SCHEMES else None


def _checkpoint_info(meta: dict[str, Any]):
    from fairdf.engine.checkpoint import read_checkpoint_info
    from fairdf.errors import FairdfError

    path = (meta.get("checkpoint") or {}).get("path")
    if not path:
        return None
    try:
        return read_checkpoint_info(path)
    except FairdfError:
        return None  # moved or deleted since the test: the card says less about the model


def build_card(folder: str | Path, name: str | None = None, bootstrap: int = CARD_BOOTSTRAP) -> str:
    """The model card of the detector tested into `folder`, as Markdown."""
    sets = read_test_folder(folder, bootstrap)
    checkpoint = _checkpoint_info(sets[0].metrics.get("meta", {}))
    name = name or _model_name(checkpoint, Path(folder))
    parts = [
        _front_matter(name, sets),
        f"# Model card: {name}",
        _details(checkpoint, sets),
        _intended_use(),
        _factors(sets),
        _metrics_section(),
        *(_test_set_section(test_set) for test_set in sets),
        _caveats(sets),
    ]
    return "\n\n".join(parts) + "\n"


def _model_name(checkpoint, folder: Path) -> str:
    if checkpoint is None:
        return folder.resolve().name
    meta = checkpoint.metadata
    if meta.get("source"):
        return f"{meta['source']}-{meta['detector']}"
    return f"fairdf-{checkpoint.detector.method}"


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _front_matter(name: str, sets: list[TestSet]) -> str:
    import yaml

    results = []
    for test_set in sets:
        overall = test_set.metrics["overall"]
        fairness = test_set.metrics["fairness"].get("intersectional", {})
        metrics = [
            {"type": key, "name": label, "value": _number(overall.get(key))}
            for key, label in CARD_METRICS
        ]
        metrics += [
            {"type": key, "name": f"{key} (intersectional)", "value": _number(fairness.get(key))}
            for key in PAPER_FAIRNESS
        ]
        results.append(
            {
                "task": {"type": "image-classification", "name": "Deepfake detection"},
                "dataset": {"name": test_set.name, "type": test_set.name},
                "metrics": metrics,
            }
        )
    header = {
        "license": "TODO",
        "tags": ["deepfake-detection", "fairness", "fairdf", "TODO"],
        "model-index": [{"name": name, "results": results}],
    }
    note = (
        "# TODO (the card's author): set `license` to the weights' licence and complete\n"
        "# `tags`; the model-index values are metrics.json's, as fractions.\n"
    )
    return "---\n" + note + yaml.safe_dump(header, sort_keys=False) + "---"


def _details(checkpoint, sets: list[TestSet]) -> str:
    lines = ["## Model details", ""]
    if checkpoint is None:
        lines.append("- Checkpoint: not found (the path in metrics.json no longer exists).")
        return "\n".join(lines)
    detector, meta = checkpoint.detector, checkpoint.metadata
    lines += [
        f"- Checkpoint: `{checkpoint.path}`",
        f"- Method: `{detector.method}`; encoder `{detector.encoder}`; head `{detector.head}` "
        f"with {detector.head_logits} logit(s)",
    ]
    if meta.get("source"):
        pre = meta.get("preprocessing", {})
        lines += [
            f"- Source: released `{meta['detector']}` of {meta['source']}, imported from "
            f"`{meta.get('imported_from', '?')}`",
            f"- Preprocessing: RGB face crop resized to {pre.get('input_size')} px, "
            f"(pixel / 255 - mean) / std with mean {pre.get('mean')} and std {pre.get('std')}; "
            f"p(fake) = {pre.get('fake')}",
        ]
    else:
        lines.append(
            f"- Preprocessing: RGB face crop resized to {detector.image_size} px, scaled to "
            "[-1, 1] (mean 0.5, std 0.5); p(fake) = softmax(logits)[1]"
        )
    if meta.get("epoch") is not None:
        lines.append(
            f"- Training: epoch {meta['epoch']}, selected by validation "
            f"{meta.get('best_metric')} = {meta.get('best_value')}"
        )
    threshold = sets[0].metrics.get("meta", {}).get("threshold", 0.5)
    lines.append(f"- Decision: fake when p(fake) > {threshold:g}")
    return "\n".join(lines)


def _intended_use() -> str:
    return "\n".join(
        [
            "## Intended use",
            "",
            "- Intended: scoring aligned face crops of images or video frames for face "
            "forgery, to support a human review, and measuring how its errors differ "
            "between demographic groups.",
            "- Out of scope: deciding about a person without human review; whole images "
            "without face detection; media types or manipulation methods far from the test "
            "sets below; treating its fairness numbers as a property of the model on other "
            "data: they hold for these test sets and their annotations only.",
        ]
    )


def _factors(sets: list[TestSet]) -> str:
    views = ", ".join(sets[0].result.fairness)
    return "\n".join(
        [
            "## Factors",
            "",
            f"Demographic groups of the test annotations, reported per view ({views}); "
            "the intersectional view crosses every attribute.",
        ]
    )


def _metrics_section() -> str:
    return "\n".join(
        [
            "## Metrics",
            "",
            "Detection: AUC, accuracy (ACC), equal error rate (EER), average precision (AP), "
            "FPR and TPR at the decision threshold. Fairness, lower is fairer: F_FPR = sum over "
            "groups of |FPR_g - FPR| (a sum, so it can exceed 100%), F_OAE = accuracy gap, "
            "F_DP = gap of the predicted-fake rate, F_MEO = largest gap of FPR, FNR, TNR and "
            "TPR. Intervals: 95% percentile bootstrap over images "
            f"({CARD_BOOTSTRAP} resamples, seed 0). A gap's interval can lie above its value: "
            "resampling adds spread to every group's rate, most in small groups, and a gap "
            "grows with spread.",
        ]
    )


def _with_interval(value: Any, interval: Any, digits: int = 2) -> str:
    text = percent(value, digits)
    if interval:
        text += f" [{percent(interval[0], digits)}, {percent(interval[1], digits)}]"
    return text


def _test_set_section(test_set: TestSet) -> str:
    result = test_set.result
    intervals = result.intervals or {}
    overall = result.overall
    first = result.groups[next(iter(result.groups))]
    lines = [
        f"## Evaluation: {test_set.name}",
        "",
        f"- Data: `{result.meta['source']}`: {int(overall['n'])} images "
        f"({int(first['n_real'].sum())} real, {int(first['n_fake'].sum())} fake), "
        f"scheme {result.meta['scheme']}",
    ]
    if result.meta.get("constant_decisions"):
        lines.append(
            f"- **Every image is called {result.meta['constant_decisions']}: the fairness gaps "
            "below are 0 by construction and say nothing about fairness.**"
        )
    shown = ", ".join(
        f"{label} {_with_interval(overall[key], intervals.get('overall', {}).get(key))}"
        for key, label in CARD_METRICS
    )
    lines += [f"- Overall (%): {shown}", ""]
    lines += _fairness_table(result)
    for view in result.groups:
        lines += ["", *_group_table(result, view)]
    lines += ["", *_undefined(result)]
    return "\n".join(lines)


def _fairness_table(result: MetricsResult) -> list[str]:
    intervals = (result.intervals or {}).get("fairness", {})
    lines = [
        "Fairness gaps (%, lower is fairer; 95% intervals):",
        "",
        "| view | " + " | ".join(PAPER_FAIRNESS) + " |",
        "| --- |" + " --- |" * len(PAPER_FAIRNESS),
    ]
    for view, values in result.fairness.items():
        cells = [
            _with_interval(values[m], intervals.get(view, {}).get(m), 3) for m in PAPER_FAIRNESS
        ]
        lines.append(f"| {view} | " + " | ".join(cells) + " |")
    return lines


def _group_table(result: MetricsResult, view: str) -> list[str]:
    intervals = (result.intervals or {}).get("groups", {}).get(view, {})
    names = " | ".join(key.upper() for key in GROUP_RATES)
    lines = [
        f"Per group, {view} (%, 95% intervals; * = fewer than {FEW_IMAGES} images of the "
        "rarer class, treat as unreliable):",
        "",
        f"| group | n | real | fake | {names} |",
        "| --- | --- | --- | --- |" + " --- |" * len(GROUP_RATES),
    ]
    for group, row in result.groups[view].iterrows():
        real, fake = int(row["n_real"]), int(row["n_fake"])
        few = _few(real, fake)
        bounds = intervals.get(str(group), {})
        cells = [_with_interval(row[key], bounds.get(key)) for key in GROUP_RATES]
        label = f"{group}{' *' if few else ''}"
        lines.append(f"| {label} | {int(row['n'])} | {real} | {fake} | " + " | ".join(cells) + " |")
    return lines


def _undefined(result: MetricsResult) -> list[str]:
    if not result.excluded:
        return ["Undefined values: none."]
    merged: dict[tuple[str, str, str], list[str]] = {}
    for entry in result.excluded:
        where = (str(entry["view"]), str(entry["group"] or "whole view"), str(entry["reason"]))
        merged.setdefault(where, []).append(str(entry["metric"]))
    lines = ["Undefined values (left out of the metrics, never counted as 0):", ""]
    for (view, group, reason), metrics in merged.items():
        lines.append(f"- {view} / {group}: {', '.join(metrics)} ({reason})")
    return lines


def _caveats(sets: list[TestSet]) -> str:
    return "\n".join(
        [
            "## Caveats and recommendations",
            "",
            "- Groups with few images of one class have wide intervals (marked *); their "
            "rates and the gaps built from them are unreliable.",
            "- The demographic labels are annotations of the test data, not self-reported "
            "identities; errors in them move every group number.",
            "- Results hold at the decision threshold above; another threshold changes FPR, "
            "TPR and every fairness gap (AUC does not depend on it).",
            "- A face detector and aligner run before this model; faces it misses never reach "
            "the detector and are not in these numbers.",
            f"- Made with fairdf from `{len(sets)}` test set(s); rerun `fairdf card` after "
            "`fairdf test` to update it.",
        ]
    )


def write_card(folder: str | Path, out: str | Path, name: str | None = None) -> Path:
    """Write the card of `folder` to `out` atomically."""
    from fairdf.io import write_text_atomic

    text = build_card(folder, name)
    write_text_atomic(out, text)
    return Path(out)
