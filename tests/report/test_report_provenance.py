"""What the report says about where its numbers come from: the checkpoint that scored
the predictions, and the fairness warm-up on the training curves."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
from helpers_report import Page, epoch_record, make_predictions, write_run
from PIL import Image

from fairdf.report import write_report
from fairdf.report.figures import WARMUP_COLOR, validation_curves_figure


def test_report_names_the_checkpoint_recorded_by_fairdf_test(tmp_path):
    folder = tmp_path / "results" / "test"
    folder.mkdir(parents=True)
    make_predictions().to_csv(folder / "predictions.csv", index=False)
    checkpoint = {
        "path": "/runs/ffpp/checkpoints/best",
        "name": "best",
        "epoch": 7,
        "best_metric": "auc",
        "best_value": 0.9312,
    }
    (folder / "metrics.json").write_text(json.dumps({"meta": {"checkpoint": checkpoint}}))
    html = write_report(folder, bootstrap=0).html.read_text(encoding="utf-8")
    assert "<dt>Checkpoint</dt><dd>/runs/ffpp/checkpoints/best (epoch 7; best auc 0.9312" in html


def test_report_without_recorded_checkpoint_says_nothing_about_one(tmp_path):
    make_predictions().to_csv(tmp_path / "predictions.csv", index=False)
    html = write_report(tmp_path / "predictions.csv", bootstrap=0).html.read_text("utf-8")
    assert "<dt>Checkpoint</dt>" not in html


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _count_near(pixels: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 6) -> int:
    return int((np.abs(pixels - np.array(rgb)).max(axis=-1) <= tolerance).sum())


def test_warmup_epochs_are_shaded_on_the_validation_curves():
    records = [epoch_record(epoch) for epoch in range(1, 7)]
    # the shading: WARMUP_COLOR at alpha 0.5 over the white axes background
    colour = tuple(int(WARMUP_COLOR[i : i + 2], 16) for i in (1, 3, 5))
    shaded = tuple((255 + c) // 2 for c in colour)
    without = _count_near(_pixels(validation_curves_figure(records, 0)), shaded)
    with_warmup = _count_near(_pixels(validation_curves_figure(records, 3)), shaded)
    assert without == 0 and with_warmup > 1000


def test_run_report_captions_the_warmup(tmp_path):
    run = write_run(tmp_path / "run", [epoch_record(epoch) for epoch in range(1, 4)])
    config = (
        (run / "config.yaml")
        .read_text()
        .replace("train:\n", "train:\n  fairness_warmup_epochs: 2\n")
    )
    (run / "config.yaml").write_text(config)
    page = Page(write_report(run, bootstrap=0).html.read_text(encoding="utf-8"))
    assert "training" in page.sections
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "Shaded: epochs 1-2, the warm-up trained without the fairness loss." in html
    images = [base64.b64decode(src.split(",", 1)[1]) for src in page.images]
    assert all(image.startswith(b"\x89PNG") for image in images)
