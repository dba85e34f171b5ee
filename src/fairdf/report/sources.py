"""What a report is made from: resolve the input path, read a run's log and config.

Accepted inputs:
- a predictions CSV (`fairdf test` / `fairdf demo` output, or any detector's);
- a run directory (`RUN_DIR/metrics.jsonl`, written by `fairdf train`): training curves
  and the last validation metrics; test predictions only with `--predictions CSV`;
- a demo output folder (`DIR/run/metrics.jsonl` and `DIR/predictions.csv`): both;
- a folder holding `predictions.csv` (a `fairdf test` output folder `OUT/<name>/`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairdf.documents import parse_json, read_json, read_yaml
from fairdf.errors import DataError

LOG_NAME = "metrics.jsonl"
CONFIG_NAME = "config.yaml"
PREDICTIONS_NAME = "predictions.csv"
DEFAULT_REPORT_NAME = "report.html"
SYNTH_GENERATOR = "fairdf synth"
ACCEPTED = (
    "give a predictions CSV, a run directory (with metrics.jsonl) or a demo output folder "
    "(run/ and predictions.csv)"
)


@dataclass(frozen=True)
class ReportInputs:
    """The resolved input: `kind` is "predictions", "run" or "demo"."""

    source: Path
    kind: str
    predictions: Path | None
    run_dir: Path | None

    @property
    def default_out(self) -> Path:
        """report.html inside a folder input, or beside a CSV input."""
        folder = self.source if self.source.is_dir() else self.source.parent
        return folder / DEFAULT_REPORT_NAME


def resolve_inputs(
    source: str | os.PathLike, predictions: str | os.PathLike | None = None
) -> ReportInputs:
    """Decide what `source` is; `predictions` adds (or replaces) the test predictions."""
    path = Path(source).expanduser().resolve()
    extra = None if predictions is None else Path(predictions).expanduser().resolve()
    if extra is not None and not extra.is_file():
        raise DataError(f"--predictions {predictions}: file not found; check the path")
    if not path.exists():
        raise DataError(f"{source}: not found; {ACCEPTED}")
    if path.is_file():
        if extra is not None:
            raise DataError(
                f"{source} is already a predictions CSV; --predictions is for a run directory"
            )
        return ReportInputs(path, "predictions", path, None)
    if (path / LOG_NAME).is_file():
        return ReportInputs(path, "run", extra, path)
    if (path / "run" / LOG_NAME).is_file():
        found = path / PREDICTIONS_NAME
        chosen = extra or (found if found.is_file() else None)
        return ReportInputs(path, "demo", chosen, path / "run")
    if (path / PREDICTIONS_NAME).is_file() or extra is not None:
        return ReportInputs(path, "predictions", extra or path / PREDICTIONS_NAME, None)
    raise DataError(
        f"{source}: folder has no {LOG_NAME}, run/{LOG_NAME} or {PREDICTIONS_NAME}; {ACCEPTED}"
    )


def read_training_log(run_dir: Path) -> list[dict[str, Any]]:
    """The epoch records of `RUN_DIR/metrics.jsonl`, one per epoch (the last one logged
    wins when a resumed run logged an epoch twice), sorted by epoch."""
    path = run_dir / LOG_NAME
    records: dict[int, dict[str, Any]] = {}
    with open(path, encoding="utf-8") as log:
        for number, line in enumerate(log, start=1):
            if not line.strip():
                continue
            record = _parse_record(line, path, number)
            records[record["epoch"]] = record
    return [records[epoch] for epoch in sorted(records)]


def _parse_record(line: str, path: Path, number: int) -> dict[str, Any]:
    where = f"{path}:{number}"
    try:
        record = parse_json(line, where)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{where}: not a JSON record ({exc.msg}); remove the line or rerun the training"
        ) from None
    epoch = record.get("epoch") if isinstance(record, dict) else None
    if not isinstance(epoch, int) or isinstance(epoch, bool):
        raise DataError(f"{where}: record has no integer 'epoch'; is this a fairdf training log?")
    for key in ("train", "val"):
        if not isinstance(record.get(key, {}), dict):
            raise DataError(f"{where}: '{key}' is not an object of metric values")
        for name, value in record.get(key, {}).items():
            if value is not None and not _is_number(value):
                raise DataError(
                    f"{where}: '{key}.{name}' must be a number or null, got {_shown(value)}; "
                    "fix or remove the line"
                )
    return record


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def read_run_config(run_dir: Path) -> dict[str, Any]:
    """`RUN_DIR/config.yaml` as a plain dict ({} when absent)."""
    import yaml

    from fairdf.yamlsafe import yaml_problem

    path = run_dir / CONFIG_NAME
    if not path.is_file():
        return {}
    try:
        config = read_yaml(path)  # refuses YAML aliases and deep nesting
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        reason = yaml_problem(exc) if isinstance(exc, yaml.YAMLError) else "not UTF-8 text"
        raise DataError(f"{path}: not readable YAML ({reason}); restore the run's config") from None
    return config if isinstance(config, dict) else {}


def checkpoint_of(predictions: Path, key: str = "checkpoint") -> dict[str, Any] | None:
    """`meta.checkpoint` of the metrics.json that `fairdf test` wrote beside `predictions`
    (`key="model"`: `meta.model`, the ONNX model of `fairdf test --model`).

    None when there is no such file or it does not say (other detectors' predictions)."""
    metrics = _read_dataset_json(predictions.parent / "metrics.json")
    meta = metrics.get("meta") if metrics else None
    checkpoint = meta.get(key) if isinstance(meta, dict) else None
    return checkpoint if isinstance(checkpoint, dict) else None


def synthetic_note(inputs: ReportInputs, config: dict[str, Any]) -> str | None:
    """The placeholder note of a `fairdf synth` dataset found near the input, if any.

    Looked for in the run's `data.root`, and in the predictions' folder and the two
    folders above it (each also with a `data/` subfolder, the demo layout).
    """
    for folder in _dataset_folders(inputs, config):
        metadata = _read_dataset_json(folder / "dataset.json")
        if metadata is not None and metadata.get("generator") == SYNTH_GENERATOR:
            note = metadata.get("note")
            return str(note) if note else "Synthetic data: the group labels are placeholders."
    return None


def _dataset_folders(inputs: ReportInputs, config: dict[str, Any]) -> list[Path]:
    folders = []
    data = config.get("data")
    if isinstance(data, dict) and isinstance(data.get("root"), str):
        folders.append(Path(data["root"]))
    if inputs.predictions is not None:
        parents = inputs.predictions.parents
        for folder in list(parents)[:3]:
            folders += [folder, folder / "data"]
    return folders


def _read_dataset_json(path: Path) -> dict[str, Any] | None:
    """A JSON object file as a dict; None when absent or unreadable (what it adds is optional)."""
    try:
        metadata = read_json(path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, DataError):
        return None
    return metadata if isinstance(metadata, dict) else None
