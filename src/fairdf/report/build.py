"""Assemble the report `Document`: read the inputs, compute the metrics, draw the figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fairdf.errors import DataError
from fairdf.metrics import MetricOptions, MetricsResult, PredictionTable, measure_predictions
from fairdf.metrics.decisions import constant_decisions_warning
from fairdf.metrics.reference import removal_warning
from fairdf.metrics.tables import interval_statement
from fairdf.metrics.views import build_views
from fairdf.report import figures
from fairdf.report.document import Document, Figure, Section, Table
from fairdf.report.evaluation import (
    disparity_table,
    method_tables,
    parity_table,
    robustness_table,
    video_group_tables,
    video_tables,
)
from fairdf.report.largest import cap_table, largest_view, left_out_note
from fairdf.report.sources import (
    LOG_NAME,
    ReportInputs,
    checkpoint_of,
    read_run_config,
    read_training_log,
    synthetic_note,
)
from fairdf.report.tables import (
    GLOSSARY,
    bootstrap_undefined_table,
    excluded_table,
    fairness_table,
    group_table,
    overall_table,
    slug,
    validation_tables,
)

ROBUSTNESS_NAME = "robustness.json"


@dataclass(frozen=True)
class ReportOptions(MetricOptions):
    """`MetricOptions` with the report's default of 1000 bootstrap resamples."""

    bootstrap: int = 1000


def build_document(
    inputs: ReportInputs, options: ReportOptions, twin: str = "the Markdown twin"
) -> Document:
    """Everything the report shows, computed in memory (nothing is written here).

    `twin` names the Markdown file in the notes on groups the HTML page leaves out."""
    config = read_run_config(inputs.run_dir) if inputs.run_dir else {}
    records = read_training_log(inputs.run_dir) if inputs.run_dir else []
    if inputs.run_dir and not records and inputs.predictions is None:
        raise DataError(
            f"{inputs.run_dir / LOG_NAME}: no epoch logged yet and no predictions to report; "
            "wait for the first epoch or pass --predictions CSV"
        )
    facts = [("Source", str(inputs.source))]
    notices, sections, warnings = [], [], []
    note = synthetic_note(inputs, config)
    if note:
        notices.append(note)
    if inputs.predictions is not None:
        table, result = measure_predictions(inputs.predictions, options)
        facts += _prediction_facts(inputs.predictions, result)
        facts.insert(1, ("Intervals", interval_statement(result.meta)))
        if warning := constant_decisions_warning(result.to_json_dict()):
            warnings.append(warning)
            text = warning.removeprefix("warning: ")
            notices.insert(0, text[:1].upper() + text[1:])
        if listed := excluded_table(all_exclusions(result)):
            notices.append(
                f"{len(listed.rows)} rows of undefined values (left out of the metrics): "
                "see Excluded values."
            )
        sections += prediction_sections(table, result, options, twin)
    else:
        notices.append(
            "No test predictions: this report shows the training curves and the last "
            "validation metrics. Pass --predictions CSV (from fairdf test) to add test metrics."
        )
    facts.append(("Generated", _now()))
    if inputs.run_dir:
        facts += _run_facts(inputs.run_dir, config, records)
        sections.append(training_section(records, _warmup_epochs(config)))
    sections.append(glossary_section())
    return Document(f"fairdf report: {inputs.source.name}", facts, notices, sections, warnings)


def all_exclusions(result: MetricsResult) -> list[dict[str, Any]]:
    """The excluded values of the frames and, named '(videos)', of the videos."""
    video = result.video.excluded if result.video is not None else []
    return [*result.excluded, *({**e, "view": f"{e['view']} (videos)"} for e in video)]


def _now() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


def _prediction_facts(path: Path, result: MetricsResult) -> list[tuple[str, str]]:
    meta = result.meta
    first = next(iter(result.groups.values()))
    n_real, n_fake = int(first["n_real"].sum()), int(first["n_fake"].sum())
    n_groups = len(result.groups["intersectional"])
    facts = [("Predictions", str(path))]
    checkpoint = checkpoint_of(path)
    if checkpoint is not None:
        facts.append(("Checkpoint", _checkpoint_text(checkpoint)))
    if (model := checkpoint_of(path, "model")) is not None:
        facts.append(("Model", _model_text(model)))
    facts += [
        ("Scheme", f"{meta['scheme']} ({n_groups} intersectional groups)"),
        ("Images", f"{int(result.overall['n'])} ({n_real} real, {n_fake} fake)"),
        ("Score", str(meta["convention"])),
        ("Decision", f"{meta['rule']} {meta['threshold']:g}"),
    ]
    if warning := removal_warning(meta):
        facts.append(("Removed groups", warning.split(": ", 2)[-1]))
    if zero := meta.get("zero_precision_groups"):
        named = "; ".join(f"{view}: {', '.join(groups)}" for view, groups in zero.items())
        facts.append(("Precision 0", f"no image called fake, as the reference prints ({named})"))
    return facts


def _checkpoint_text(checkpoint: dict[str, Any]) -> str:
    """'RUN/checkpoints/best (epoch 9; best auc 0.931)' from metrics.json's meta.checkpoint."""
    details = []
    if checkpoint.get("epoch") is not None:
        details.append(f"epoch {checkpoint['epoch']}")
    value = checkpoint.get("best_value")
    if checkpoint.get("best_metric") and isinstance(value, int | float):
        details.append(f"best {checkpoint['best_metric']} {value:.4g} (validation, fraction)")
    text = str(checkpoint.get("path", "?"))
    return f"{text} ({'; '.join(details)})" if details else text


def _model_text(model: dict[str, Any]) -> str:
    """'M.onnx (onnx; --output fake_logit; 224 px; mean 0.485,0.456,0.406; std ...)'."""

    def triple(values: Any) -> str:
        if not isinstance(values, list):
            return "?"
        return ",".join(f"{v:g}" if isinstance(v, int | float) else "?" for v in values)

    details = [
        str(model.get("format", "?")),
        f"--output {model.get('output', '?')}",
        f"{model.get('input_size', '?')} px",
        f"mean {triple(model.get('mean'))}",
        f"std {triple(model.get('std'))}",
    ]
    return f"{model.get('path', '?')} ({'; '.join(details)})"


def _run_facts(
    run_dir: Path, config: dict[str, Any], records: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    def setting(part: str, key: str) -> Any:
        values = config.get(part)
        return values.get(key) if isinstance(values, dict) else None

    planned = setting("train", "epochs")
    logged = f"{len(records)} logged" + (f" of {planned}" if planned is not None else "")
    facts = [("Run directory", str(run_dir)), ("Epochs", logged)]
    model = [
        f"encoder {setting('model', 'encoder')}" if setting("model", "encoder") else "",
        f"SAM {'on' if setting('optim', 'sam') else 'off'}" if config else "",
        f"batch {setting('train', 'batch_size')}" if setting("train", "batch_size") else "",
    ]
    if any(model):
        facts.append(("Training", ", ".join(part for part in model if part)))
    return facts


def prediction_sections(
    table: PredictionTable, result: MetricsResult, options: ReportOptions, twin: str
) -> list[Section]:
    """Summary, excluded values, group tables and the figures of the test predictions."""
    summary = Section(
        "summary",
        "Summary",
        tables=[
            overall_table(result),
            *method_tables(result),
            fairness_table(result),
            parity_table(result),
            *video_tables(result),
        ],
    )
    if result.video is not None:
        meta = result.meta
        summary.paragraphs.append(
            f"Video level: frames grouped by column '{meta['video_column']}', a video's "
            f"score is the {meta['video_aggregate']} of its frame scores; its intervals "
            "resample videos."
        )
    entries = all_exclusions(result)
    excluded = Section("excluded", "Excluded values", alert=bool(entries))
    listed = excluded_table(entries)
    if listed is None:
        excluded.paragraphs.append("Nothing excluded: every value is defined.")
    else:
        excluded.paragraphs.append(
            "These values are undefined (a group without real images has no FPR, one without "
            "fakes no TPR, one with a single class no AUC); they are left out of the fairness "
            "metrics named, never counted as 0."
        )
        excluded.tables.append(listed)
    resampled = bootstrap_undefined_table(
        result.meta.get("bootstrap_undefined") or {}, options.bootstrap
    )
    if resampled is not None:
        excluded.paragraphs.append(
            "Some bootstrap resamples left a statistic undefined (e.g. no real image drawn "
            "for a group); its interval uses the other resamples (second table)."
        )
        excluded.tables.append(resampled)
    groups = Section("groups", "Groups", tables=_group_tables(result, twin))
    disparity = Section("disparity", "Disparity", tables=[_disparity(result, twin)])
    sections = [summary, excluded, groups, disparity]
    robustness = _robustness_section(table.source)
    if robustness is not None:
        sections.append(robustness)
    return [*sections, *_prediction_figures(table, result, options, twin)]


def _disparity(result: MetricsResult, twin: str) -> Table:
    """The disparity table; the HTML page shows the largest groups of each view."""
    pairs = [(v, g) for v, part in (result.disparity or {}).items() for g in part["groups"]]
    counts = {
        view: {str(group): int(n) for group, n in frame["n"].items()}
        for view, frame in result.groups.items()
    }
    sizes = [counts.get(view, {}).get(group, 0) for view, group in pairs]
    return cap_table(disparity_table(result), sizes, twin, [v for v, _ in pairs])


def _group_tables(result: MetricsResult, twin: str) -> list[Table]:
    """Per view, one row per group; the HTML page shows the largest groups only."""
    tables = [
        cap_table(group_table(result, view), frame["n"].to_numpy(), twin)
        for view, frame in result.groups.items()
    ]
    if result.video is not None:
        sizes = [frame["n"].to_numpy() for frame in result.video.groups.values()]
        tables += [
            cap_table(t, n, twin) for t, n in zip(video_group_tables(result), sizes, strict=True)
        ]
    return tables


def _robustness_section(source: str) -> Section | None:
    """The robustness table of `fairdf test --perturb`, read from beside the predictions."""
    from fairdf.documents import read_json

    path = Path(source).parent / ROBUSTNESS_NAME
    if not path.is_file():
        return None
    try:
        rows = read_json(path)["conditions"]
    except (ValueError, KeyError, TypeError):
        raise DataError(f"{path}: not a robustness table written by fairdf test") from None
    text = (
        "The same test images scored clean and under each perturbation (one predictions "
        "file per condition beside the clean one)."
    )
    return Section("robustness", "Robustness", [text], tables=[robustness_table(rows)])


def _prediction_figures(
    table: PredictionTable, result: MetricsResult, options: ReportOptions, twin: str
) -> list[Section]:
    all_views = build_views(table, options.by)
    views = [largest_view(view) for view in all_views]  # the figures draw the largest groups
    label, score = table.label, table.score
    roc = Figure(
        "roc",
        "ROC curves per group",
        "One panel per view, one curve per group; dotted: chance." + left_out_note(all_views, twin),
        figures.roc_figure(label, score, views),
    )
    bars = [
        Figure(
            f"rates-{slug(view.name)}",
            view.name,
            "FPR and TPR per group." + left_out_note([whole], twin),
            figures.rate_bars_figure(result, view.name, view.names),
        )
        for view, whole in zip(views, all_views, strict=True)
    ]
    pairs = zip(views, all_views, strict=True)
    shown = [pair for pair in pairs if pair[0].name not in ("gender", "race")]
    histograms = [
        Figure(
            f"scores-{slug(view.name)}",
            f"Score distributions: {view.name}",
            "Histograms of p(fake) of real and fake images per group; dashed: the threshold "
            "(the score axis zooms in when every score lies in a narrow range)."
            + left_out_note([whole], twin),
            figures.score_histograms_figure(label, score, view, options.threshold),
        )
        for view, whole in shown
    ]
    return [
        Section("roc", "ROC curves", figures=[roc]),
        Section("rates", "FPR and TPR per group", [_rates_text(result)], figures=bars),
        Section("scores", "Score distributions", figures=histograms),
    ]


def _rates_text(result: MetricsResult) -> str:
    text = f"Rates at the threshold ({result.meta['rule']} {result.meta['threshold']:g}); "
    text += "dashed lines: the overall rates"
    if result.intervals:
        text += f"; error bars: {100 * result.meta['ci']:g}% bootstrap intervals"
    return text + "."


def _warmup_epochs(config: dict[str, Any]) -> int:
    """`train.fairness_warmup_epochs` of a run's config (0 when absent or not a number)."""
    train = config.get("train")
    value = train.get("fairness_warmup_epochs") if isinstance(train, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def training_section(records: list[dict[str, Any]], warmup_epochs: int = 0) -> Section:
    """Loss terms and validation metrics per epoch, and the last epoch's validation table.

    The first `warmup_epochs` (trained without the fairness loss) are shaded on the curves."""
    section = Section("training", "Training")
    if not records:
        section.paragraphs.append("No epoch logged yet.")
        return section
    section.tables += validation_tables(records[-1])
    section.figures.append(
        Figure(
            "training-losses",
            "Training losses per term",
            "Mean of each loss term over the epoch's steps." + _warmup_caption(warmup_epochs),
            figures.loss_curves_figure(records, warmup_epochs),
        )
    )
    section.figures.append(
        Figure(
            "training-validation",
            "Validation metrics per epoch",
            "Detection metrics and the intersectional fairness metrics on the validation set."
            + _warmup_caption(warmup_epochs),
            figures.validation_curves_figure(records, warmup_epochs),
        )
    )
    return section


def _warmup_caption(warmup_epochs: int) -> str:
    if not warmup_epochs:
        return ""
    return f" Shaded: epochs 1-{warmup_epochs}, the warm-up trained without the fairness loss."


def glossary_section() -> Section:
    return Section("glossary", "Glossary", definitions=list(GLOSSARY))
