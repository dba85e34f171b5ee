"""Issue 22 item 2: `fairdf test --model M.onnx` and `fairdf predict --model M.onnx` score with
ONNX classifiers that are not fairdf models, checked against ONNX Runtime run directly on
the images preprocessed independently (helpers_onnx), for each --output kind."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers_onnx import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    expected_scores,
    export_classifier,
    model_inputs,
    run_directly,
)
from PIL import Image
from sklearn.metrics import roc_auc_score

from fairdf.cli import main

pytest.importorskip("onnxruntime")

ODD_MEAN, ODD_STD = (0.3, 0.55, 0.7), (0.2, 0.4, 0.3)

# kind, classifier head, export settings, options: (size, --mean, --std, extra arguments)
VARIANTS = {
    # a fixed 32 px input: --input-size comes from the file
    "two_logits": ("two", dict(size=32), (32, IMAGENET_MEAN, IMAGENET_STD, [])),
    # a free image size, (N,) output: --input-size 48 upsamples the 32 px images
    "fake_logit": ("logit", dict(free_size=True), (48, ODD_MEAN, ODD_STD, ["--input-size", "48"])),
    # a fixed batch of 4 images, (N, 1) probabilities; --batch-size 6 leaves partial batches
    "fake_prob": ("prob", dict(size=32, batch=4), (32, ODD_MEAN, ODD_STD, ["--batch-size", "6"])),
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from fairdf.data.synth import make_synthetic_dataset

    root = tmp_path_factory.mktemp("onnx-synth") / "data"
    return make_synthetic_dataset(root, n_images=100, size=32, seed=3)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx-models")
    return {
        kind: export_classifier(folder / f"{kind}.onnx", head, **settings)
        for kind, (head, settings, _) in VARIANTS.items()
    }


def _triple(values) -> str:
    return ",".join(str(v) for v in values)


def _model_arguments(models, kind: str) -> list[str]:
    _, mean, std, extra = VARIANTS[kind][2]
    return ["--model", str(models[kind]), "--output", kind, "--mean", _triple(mean)] + [
        "--std",
        _triple(std),
        *extra,
    ]


def _oracle(models, kind: str, paths) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    size, mean, std, _ = VARIANTS[kind][2]
    return expected_scores(run_directly(models[kind], model_inputs(paths, size, mean, std)), kind)


def _assert_scores(table: pd.DataFrame, expected) -> None:
    real, fake, score = expected
    np.testing.assert_allclose(table["score"], score, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(table["logit_real"], real, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(table["logit_fake"], fake, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", list(VARIANTS))
def test_fairdf_test_scores_like_onnxruntime_on_independently_prepared_images(
    dataset, models, kind, tmp_path, capsys
):
    manifest = dataset.manifests["test"]
    out = tmp_path / "out"
    arguments = ["test", "--manifest", str(manifest), "--out", str(out), "--workers", "0"]
    assert main([*arguments, *_model_arguments(models, kind)]) == 0
    table = pd.read_csv(out / "test" / "predictions.csv")
    rows = pd.read_csv(manifest)
    assert table["img_path"].tolist() == rows["img_path"].tolist()
    assert list(table.columns[-3:]) == ["logit_real", "logit_fake", "score"]
    expected = _oracle(models, kind, [dataset.root / p for p in rows["img_path"]])
    _assert_scores(table, expected)
    assert np.ptp(expected[2]) > 0.05  # the scores differ between images
    metrics = json.loads((out / "test" / "metrics.json").read_text())
    assert metrics["overall"]["auc"] == pytest.approx(roc_auc_score(rows["label"], expected[2]))
    size, mean, std, _ = VARIANTS[kind][2]
    recorded = metrics["meta"]["model"]
    assert recorded["path"] == str(models[kind].resolve()) and recorded["output"] == kind
    assert (recorded["input_size"], recorded["mean"], recorded["std"]) == (size, [*mean], [*std])
    assert "checkpoint" not in metrics["meta"]
    assert f"test: {out / 'test' / 'predictions.csv'}" in capsys.readouterr().out


@pytest.mark.parametrize("kind", list(VARIANTS))
def test_fairdf_predict_scores_like_onnxruntime(models, kind, tmp_path):
    rng = np.random.default_rng(7)
    paths = []
    for index, side in enumerate((32, 40, 57)):  # resized to the input size as fairdf test does
        path = tmp_path / f"image{index}.png"
        Image.fromarray(rng.integers(0, 256, (side, side + index, 3), np.uint8)).save(path)
        paths.append(path)
    out = tmp_path / "preds.csv"
    arguments = ["predict", *map(str, paths), "--no-align", "--out", str(out)]
    assert main([*arguments, *_model_arguments(models, kind)]) == 0
    table = pd.read_csv(out)
    assert table["source"].tolist() == [str(p) for p in paths]
    _assert_scores(table, _oracle(models, kind, paths))


def test_an_exported_checkpoint_scores_like_the_checkpoint(saved_model, dataset, tmp_path):
    """The same detector as a checkpoint and as ONNX: the same files, the same scores, clean,
    perturbed and at the video level; `fairdf report` reads the ONNX output."""
    exported = tmp_path / "detector.onnx"
    assert main(["export", str(saved_model.folder), str(exported)]) == 0
    rows = pd.read_csv(dataset.manifests["test"])
    rows["video"] = rows["identity"] + "-" + rows["method_name"]  # frames of one video
    manifest = dataset.root / "test_videos.csv"
    rows.to_csv(manifest, index=False)
    common = ["--manifest", str(manifest), "--workers", "0", "--perturb", "jpeg:60"]
    assert main(["test", *common, "--out", str(tmp_path / "c"), "--checkpoint",
                 str(saved_model.folder)]) == 0  # fmt: skip
    assert main(["test", *common, "--out", str(tmp_path / "m"), "--model", str(exported),
                 "--output", "two_logits"]) == 0  # fmt: skip
    files = sorted(p.name for p in (tmp_path / "c" / "test_videos").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "m" / "test_videos").iterdir())
    assert "robustness.json" in files
    for name in ("predictions.csv", "predictions-jpeg-60.csv"):
        ours, theirs = (pd.read_csv(tmp_path / run / "test_videos" / name) for run in "cm")
        assert list(ours.columns) == list(theirs.columns)
        for column in ("logit_real", "logit_fake", "score"):
            np.testing.assert_allclose(theirs[column], ours[column], atol=1e-4)
    checkpoint, model = (
        json.loads((tmp_path / run / "test_videos" / "metrics.json").read_text()) for run in "cm"
    )
    assert model["video"]["overall"]["auc"] == pytest.approx(
        checkpoint["video"]["overall"]["auc"], abs=1e-6
    )
    assert model["meta"]["model"]["input_size"] == 32
    report = tmp_path / "report.html"
    predictions = tmp_path / "m" / "test_videos" / "predictions.csv"
    assert main(["report", str(predictions), "--out", str(report)]) == 0
    assert f"{exported.resolve()} (onnx; --output two_logits; 32 px" in report.read_text()
