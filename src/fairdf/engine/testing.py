"""`fairdf test`: score test manifests with a checkpoint, write predictions and metrics."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch

from fairdf.data.manifest import Manifest, read_manifest
from fairdf.data.perturbations import Perturbation
from fairdf.engine.checkpoint import CheckpointInfo
from fairdf.engine.evaluate import predictions_table, score_frame, skipped_images
from fairdf.engine.robustness import CLEAN, Condition, robustness_frame, robustness_rows
from fairdf.errors import DataError
from fairdf.io import atomic_path
from fairdf.paths import safe_stem

PAPER_METRICS = ("F_FPR", "F_OAE", "F_DP", "F_MEO")


@dataclass
class TestSetResult:
    name: str
    manifest: Manifest
    predictions_path: Path
    metrics_path: Path
    metrics: dict
    robustness: list[dict] = field(default_factory=list)  # rows; empty without --perturb
    skipped: list[str] = field(default_factory=list)  # img_path of images skipped (--skip-corrupt)


def test_set_names(paths: list[Path]) -> list[str]:
    """Short unique names: the file stem, prefixed by its folder when stems repeat."""
    stems = [safe_stem(p) for p in paths]  # '...csv' must not name the folder '..'
    names = [
        f"{safe_stem(p.parent.name or 'root')}-{stem}" if stems.count(stem) > 1 else stem
        for p, stem in zip(paths, stems, strict=True)
    ]
    if len(set(names)) != len(names):
        names = [f"{i}-{name}" for i, name in enumerate(names)]
    return names


def read_test_manifests(paths: list[str | Path], scheme: str | None = None) -> list[Manifest]:
    """Read every manifest first, so that a bad one stops the run before any scoring."""
    manifests = []
    for path in paths:
        if not Path(path).is_file():
            raise DataError(f"test manifest not found: {path}; check --manifest")
        manifests.append(read_manifest(path, scheme, role="test"))
    return manifests


def run_test(
    model: torch.nn.Module,
    manifests: list[Manifest],
    out_dir: Path,
    *,
    image_size: int,
    device: torch.device,
    batch_size: int = 64,
    workers: int = 0,
    precision: str = "fp32",
    skip_corrupt: bool = False,
    progress=None,
    perturbations: list[Perturbation] = (),
    video_column: str | None = None,
    video_aggregate: str = "mean",
    checkpoint: CheckpointInfo | None = None,
    model_provenance: dict | None = None,
) -> list[TestSetResult]:
    """Score each manifest; write `<name>/predictions.csv` and `<name>/metrics.json`.

    Each perturbation adds `<name>/predictions-<condition>.csv` and
    `metrics-<condition>.json` (e.g. `predictions-jpeg-60.csv`), and `robustness.json`
    / `robustness.csv` compare them with the clean scores. `video_column` (default:
    'video' when the manifest has it, 'none' = off) adds the video-level section.
    With `checkpoint`, each metrics.json records which checkpoint scored the images
    (`meta.checkpoint`); `model_provenance` records another scorer, such as an ONNX
    model (`meta.model`). Each also lists the images skipped as unreadable
    (`skipped_images`).
    The whole output folder appears atomically when every test set has been scored.
    """
    names = test_set_names([m.source for m in manifests])
    options = dict(
        image_size=image_size,
        device=device,
        batch_size=batch_size,
        workers=workers,
        precision=precision,
        skip_corrupt=skip_corrupt,
        progress=progress,
    )
    provenance = {} if checkpoint is None else {"checkpoint": checkpoint_provenance(checkpoint)}
    if model_provenance is not None:
        provenance["model"] = model_provenance
    metric_options = dict(
        video_column=video_column,
        video_aggregate=video_aggregate,
        provenance=provenance,
        trained_on=training_methods(checkpoint),
    )
    results = []
    with atomic_path(out_dir) as tmp:
        for name, manifest in zip(names, manifests, strict=True):
            folder = tmp / name
            folder.mkdir(parents=True)

            clean = score_condition(model, manifest, folder, None, options, metric_options)
            perturbed = [
                score_condition(model, manifest, folder, p, options, metric_options)
                for p in perturbations
            ]
            rows = robustness_rows(clean, perturbed, manifest.scheme) if perturbed else []
            if rows:
                _write_robustness(folder, rows)
            results.append(
                TestSetResult(
                    name,
                    manifest,
                    out_dir / name / "predictions.csv",
                    out_dir / name / "metrics.json",
                    clean.metrics,
                    rows,
                    clean.metrics["skipped_images"]["images"],
                )
            )
    return results


def score_condition(
    model: torch.nn.Module,
    manifest: Manifest,
    folder: Path,
    perturbation: Perturbation | None,
    options: dict,
    metric_options: dict,
) -> Condition:
    """Score one condition (clean when `perturbation` is None); write its two files."""
    scored = score_frame(model, manifest.frame, perturbation=perturbation, **options)
    metrics = _metrics(scored, manifest, **metric_options)
    skipped = skipped_images(manifest.frame, scored)
    metrics["skipped_images"] = {"count": len(skipped), "images": skipped}
    name, spec = (CLEAN, CLEAN) if perturbation is None else (perturbation.name, perturbation.spec)
    suffix = "" if perturbation is None else f"-{name}"
    predictions_table(scored).to_csv(folder / f"predictions{suffix}.csv", index=False)
    (folder / f"metrics{suffix}.json").write_text(json.dumps(metrics, indent=2))
    return Condition(name, spec, scored, metrics)


def _metrics(
    scored: pd.DataFrame,
    manifest: Manifest,
    video_column: str | None,
    video_aggregate: str,
    provenance: dict,
    trained_on: set[str] | None = None,
) -> dict:
    from fairdf.metrics import compute_metrics
    from fairdf.metrics.videos import default_video_column

    metrics = compute_metrics(
        scored,
        manifest.scheme,
        video_column=default_video_column(scored, video_column),
        held_out=held_out_methods(scored, trained_on),
        video_aggregate=video_aggregate,
    ).to_json_dict()
    metrics["meta"].update(provenance)  # which checkpoint or model scored
    return metrics


def training_methods(checkpoint: CheckpointInfo | None) -> set[str] | None:
    """The manipulation methods of the run's training fakes (`RUN/config.yaml` beside
    `RUN/checkpoints/NAME`), by name and by spe_label id; None when unknown."""
    from fairdf.documents import read_yaml
    from fairdf.errors import FairdfError
    from fairdf.metrics.per_method import METHOD_COLUMNS

    if checkpoint is None:
        return None
    config = checkpoint.path.parent.parent / "config.yaml"
    try:
        data = read_yaml(config)["data"]
        frame = pd.read_csv(Path(data["root"]) / data["train_fake"], dtype=str)
    except (OSError, ValueError, KeyError, TypeError, FairdfError):
        return None  # not a run directory's checkpoint, or its data moved
    columns = [c for c in METHOD_COLUMNS if c in frame.columns]
    return {str(v) for c in columns for v in frame[c].dropna().unique()} or None


def held_out_methods(scored: pd.DataFrame, trained_on: set[str] | None) -> tuple[str, ...]:
    """The test fakes' methods that the training fakes lack."""
    from fairdf.metrics.per_method import method_column

    column = method_column(scored)
    if trained_on is None or column is None:
        return ()
    fakes = scored.loc[scored["label"].astype(int) == 1, column].astype(str)
    return tuple(sorted(set(fakes) - trained_on))


def method_lines(result: TestSetResult) -> list[str]:
    """The per-method AUC of one test set, for the console (percent)."""
    methods = result.metrics.get("methods")
    if not methods:
        return []
    lines = [f"\nAUC per manipulation method of {result.name} (%, its fakes against all reals)"]
    for name, row in methods["rows"].items():
        auc = "n/a" if row["auc"] is None else f"{100 * row['auc']:.2f}"
        mark = "  (held out of training)" if row["held_out"] else ""
        lines.append(f"  {name:<28} {row['n_fake']:>7} fakes  AUC {auc}{mark}")
    return lines


def _write_robustness(folder: Path, rows: list[dict]) -> None:
    document = {
        "conditions": rows,
        "note": "values are fractions; change = condition - clean; fairness over the "
        "intersectional groups; *_change_interval: paired 95% bootstrap interval of the change "
        "(1000 resamples of the same images; null: undefined)",
    }
    (folder / "robustness.json").write_text(json.dumps(document, indent=2, allow_nan=False))
    robustness_frame(rows).to_csv(folder / "robustness.csv")


def checkpoint_provenance(info: CheckpointInfo) -> dict:
    """Which checkpoint produced a set of predictions, as recorded in metrics.json."""
    metadata = info.metadata
    return {
        "path": str(info.path.resolve()),
        "name": info.path.name,  # "best" or "last" for a run's checkpoints
        "epoch": metadata.get("epoch"),
        "best_metric": metadata.get("best_metric"),
        "best_value": metadata.get("best_value"),
    }


def paper_table(results: list[TestSetResult]) -> pd.DataFrame:
    """One row per test set: AUC and the intersectional fairness metrics, in percent."""
    rows = {}
    for result in results:
        fairness = result.metrics["fairness"].get("intersectional", {})
        row = {"n": result.metrics["overall"]["n"], "AUC": result.metrics["overall"]["auc"]}
        for key in PAPER_METRICS:
            row[key] = fairness.get(key)
        if "video" in result.metrics:  # video level beside frame level
            row["videos"] = result.metrics["video"]["overall"]["n"]
            row["video AUC"] = result.metrics["video"]["overall"]["auc"]
        rows[result.name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    for column in ("AUC", "F_FPR", "F_OAE", "F_DP", "F_MEO", "video AUC"):
        if column in table.columns:
            table[column] = pd.to_numeric(table[column], errors="coerce") * 100
    return table.round(2)


def robustness_tables(results: list[TestSetResult]) -> dict[str, pd.DataFrame]:
    """Printed robustness table (percent) of each test set that has perturbations."""
    return {r.name: robustness_frame(r.robustness) for r in results if r.robustness}


def undefined_notes(results: list[TestSetResult]) -> list[str]:
    """Footnotes for the n/a cells of `paper_table`: test set, metric and reason."""
    notes = []
    for result in results:
        for entry in result.metrics["excluded"]:
            overall = entry["view"] == "overall" and entry["metric"] in ("auc", "all")
            fairness = entry["view"] == "intersectional" and entry["group"] is None
            if overall or (fairness and entry["metric"] in PAPER_METRICS):
                metric = "AUC" if overall else entry["metric"]
                notes.append(f"n/a: {result.name} {metric}: {entry['reason']}")
    return notes
