"""`--model M.onnx` options that contradict the model, or each other, are refused in one
line (exit 2) before any image is read, and nothing is written."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_onnx import export_classifier
from PIL import Image

from fairdf.cli import main

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Models of every shape the cases need, a manifest and an image (never to be read)."""
    root = tmp_path_factory.mktemp("onnx-errors")
    for name in ("a", "b"):
        Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(root / f"{name}.png")
    header = "img_path,label,ismale,isasian,iswhite,isblack,intersec_label,spe_label\n"
    rows = "a.png,0,1,-1,1,-1,1,0\nb.png,1,1,-1,1,-1,1,1\n"
    (root / "m.csv").write_text(header + rows)
    (root / "garbage.onnx").write_bytes(b"this is not a protobuf")
    return {
        "root": root,
        "static32": export_classifier(root / "static32.onnx", "two", size=32),
        "free": export_classifier(root / "free.onnx", "two", free_size=True),
        "prob": export_classifier(root / "prob.onnx", "prob", size=32),
        "nhwc": export_classifier(root / "nhwc.onnx", "two", size=32, nhwc=True),
        "big_logit": export_classifier(root / "big.onnx", "logit1", size=32, bias=50.0),
    }


@pytest.fixture()
def no_image_reads(monkeypatch):
    """Any attempt to decode an image fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("an image was read")

    monkeypatch.setattr(Image, "open", refuse)


CASES = [
    # (model, options, fragment of the one-line error)
    ("static32", ["--output", "two_logits", "--input-size", "48"],
     "takes 32 x 32 images, not --input-size 48"),
    ("static32", ["--output", "fake_logit"],
     "(?, 2) does not fit --output fake_logit; it fits --output two_logits"),
    ("prob", ["--output", "two_logits"],
     "does not fit --output two_logits; it fits --output fake_logit or fake_prob"),
    ("nhwc", ["--output", "two_logits"], "fairdf feeds RGB images as (N, 3, S, S) (NCHW)"),
    ("free", ["--output", "two_logits"], "the image size is not fixed in the file; pass --input-size"),
    ("static32", [], "--model needs --output"),
    ("static32", ["--output", "two_logits", "--std", "0,1,1"], "--std must be > 0"),
    ("static32", ["--output", "two_logits", "--device", "cuda"], "--model runs on the CPU"),
    ("garbage", ["--output", "two_logits"], "ONNX Runtime cannot load it"),
    ("missing", ["--output", "two_logits"], "ONNX model not found"),
]  # fmt: skip


def _model(files, name):
    return str(files[name]) if name in files else str(files["root"] / f"{name}.onnx")


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(("name", "options", "fragment"), CASES)
def test_test_refuses_before_reading_images(
    files, no_image_reads, tmp_path, capsys, name, options, fragment
):
    out = tmp_path / "out"
    arguments = ["test", "--manifest", str(files["root"] / "m.csv"), "--out", str(out)]
    assert main([*arguments, "--model", _model(files, name), *options]) == 2
    assert fragment in _one_line(capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "options", "fragment"), CASES[:5])
def test_predict_refuses_before_reading_images(
    files, no_image_reads, tmp_path, capsys, name, options, fragment
):
    out = tmp_path / "preds.csv"
    arguments = ["predict", str(files["root"] / "a.png"), "--no-align", "--out", str(out)]
    assert main([*arguments, "--model", _model(files, name), *options]) == 2
    assert fragment in _one_line(capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--checkpoint", "ckpt", "--model", "m.onnx"], "exactly one of --checkpoint"),
        ([], "exactly one of --checkpoint"),
        (["--checkpoint", "ckpt", "--mean", "0.4,0.4,0.4"], "--mean is used only with --model"),
        (["--checkpoint", "ckpt", "--output", "fake_prob"], "--output is used only with --model"),
        (["--model", "m.onnx", "--mean", "1,2"], "expected three numbers R,G,B, got '1,2'"),
        (["--model", "m.onnx", "--input-size", "4096"], "must be an integer in [16, 2048]"),
        (["--model", "m.onnx", "--output", "logits"], "invalid choice"),
        (["--model", "m.onnx", "--output", "fake_prob", "--precision", "bf16"], "--precision"),
    ],
)
def test_contradictory_scorer_options(tmp_path, capsys, options, fragment):
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)  # relative names in an empty folder: nothing could be read
        assert main(["test", "--manifest", "m.csv", "--out", "out", *options]) == 2
    assert fragment in _one_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_logits_passed_off_as_probabilities_stop_at_the_first_batch(files, tmp_path, capsys):
    out = tmp_path / "out"
    arguments = ["test", "--manifest", str(files["root"] / "m.csv"), "--out", str(out)]
    model = ["--model", str(files["big_logit"]), "--output", "fake_prob", "--workers", "0"]
    assert main([*arguments, *model]) == 2
    assert "outside [0, 1], so not probabilities; try --output fake_logit" in _one_line(capsys)
    assert not out.exists()
