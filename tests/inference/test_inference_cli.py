"""`fairdf predict` and `fairdf export` through `fairdf.cli.main`: outputs and user errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fairdf.cli import main
from fairdf.prepare.sample import face_photo, write_video


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, photos):
    """A folder with a face photo, a cat, a grey image, a broken file and a face video."""
    root = tmp_path_factory.mktemp("inputs")
    Image.fromarray(photos["astronaut"]).save(root / "astronaut.png")
    Image.fromarray(photos["cat"]).save(root / "cat.jpg")
    (root / "sub").mkdir()
    Image.fromarray(photos["grey"]).save(root / "sub" / "grey.png")
    (root / "broken.png").write_bytes(b"\x89PNG broken")
    face = face_photo(128)
    frames = [np.roll(face, shift, axis=0) for shift in range(0, 14, 2)]  # 7 frames
    write_video(root / "clip.mp4", frames)
    return root


def predict(*args, checkpoint) -> int:
    return main(["predict", *map(str, args), "--checkpoint", str(checkpoint)])


def test_predict_csv_has_face_frame_and_video_rows(inputs, saved_model, tmp_path, capsys):
    out = tmp_path / "preds.csv"
    assert predict(inputs, "--frames", "3", "--out", out, checkpoint=saved_model.folder) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == [
        "source", "frame", "kind", "left", "top", "right", "bottom",
        "logit_real", "logit_fake", "score",
    ]  # fmt: skip
    images = table[table["kind"] == "image"]
    assert images["source"].tolist() == [str(inputs / "astronaut.png")]
    frames = table[table["kind"] == "frame"]
    assert frames["frame"].tolist() == [0, 3, 6]  # 3 evenly spaced of 7, ends included
    assert frames[["left", "top", "right", "bottom"]].notna().all().all()
    video = table[table["kind"] == "video"]
    assert len(video) == 1 and video["source"].item() == str(inputs / "clip.mp4")
    assert video["score"].item() == pytest.approx(frames["score"].mean(), abs=1e-9)
    assert video[["frame", "left", "logit_real"]].isna().all().all()
    logits = table.loc[table["kind"] != "video", ["logit_real", "logit_fake"]].to_numpy()
    expected = 1 / (1 + np.exp(logits[:, 0] - logits[:, 1]))
    np.testing.assert_allclose(table.loc[table["kind"] != "video", "score"], expected, rtol=1e-6)
    captured = capsys.readouterr()
    assert "without a face" in captured.out
    assert "cat.jpg" in captured.err and "grey.png" in captured.err
    assert "broken.png" in captured.err


def test_predict_json_lists_skipped_inputs(inputs, saved_model, tmp_path):
    out = tmp_path / "preds.json"
    args = (inputs / "cat.jpg", inputs / "sub", inputs / "broken.png", inputs / "clip.mp4")
    assert predict(*args, "--frames", "2", "--out", out, checkpoint=saved_model.folder) == 0
    data = json.loads(out.read_text())
    assert set(data) == {"items", "videos", "no_face", "unreadable"}
    assert [item["frame"] for item in data["items"]] == [0, 6]
    assert all(item["kind"] == "frame" and len(item["box"]) == 4 for item in data["items"])
    assert data["videos"][0]["frames"] == 2 and data["videos"][0]["aggregate"] == "mean"
    assert sorted(s["source"] for s in data["no_face"]) == [
        str(inputs / "cat.jpg"),
        str(inputs / "sub" / "grey.png"),
    ]
    assert [s["source"] for s in data["unreadable"]] == [str(inputs / "broken.png")]


def test_predict_without_out_prints_a_table(inputs, saved_model, capsys):
    code = predict(
        inputs / "astronaut.png", "--no-align", "--aggregate", "max", checkpoint=saved_model.folder
    )
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "source", "frame", "kind", "left", "top", "right", "bottom",
        "logit_real", "logit_fake", "score",
    ]  # fmt: skip
    assert lines[1].split()[:2] == [str(inputs / "astronaut.png"), "image"]


def assert_one_line_error(capsys, *fragments: str) -> None:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, err


def test_nothing_scored_is_an_error_without_output(inputs, saved_model, tmp_path, capsys):
    out = tmp_path / "preds.csv"
    code = predict(
        inputs / "cat.jpg", inputs / "broken.png", "--out", out, checkpoint=saved_model.folder
    )
    assert code == 2 and not out.exists()
    assert_one_line_error(capsys, "nothing could be scored", "1 input(s) without a face")
    assert list(tmp_path.iterdir()) == []


def test_no_align_hint_only_when_alignment_ran(inputs, saved_model, tmp_path, capsys):
    broken = inputs / "broken.png"
    assert predict(broken, checkpoint=saved_model.folder) == 2
    assert "--no-align" in capsys.readouterr().err
    assert predict(broken, "--no-align", checkpoint=saved_model.folder) == 2
    err = capsys.readouterr().err
    assert "nothing could be scored" in err and "--no-align" not in err


@pytest.mark.parametrize(
    "extra, fragments",
    [
        (["--out", "preds.txt"], ["preds.txt", ".csv or .json"]),
        (["--aggregate", "mode"], ["--aggregate", "invalid choice: 'mode'", "median"]),
        (["--frames", "0"], ["--frames: must be an integer in [1, 1024], got 0"]),
        (["--detector", "mtcnn"], ["--detector", "invalid choice: 'mtcnn'", "cnn"]),
    ],
)
def test_predict_bad_options(inputs, saved_model, tmp_path, capsys, extra, fragments):
    extra = [str(tmp_path / e) if e.endswith(".txt") else e for e in extra]
    assert predict(inputs / "clip.mp4", *extra, checkpoint=saved_model.folder) == 2
    assert_one_line_error(capsys, *fragments)
    assert list(tmp_path.iterdir()) == []


def test_predict_bad_checkpoint_or_path(inputs, saved_model, tmp_path, capsys):
    out = tmp_path / "preds.csv"
    assert predict(inputs, "--out", out, checkpoint=tmp_path / "missing") == 2
    assert_one_line_error(capsys, "missing", "not a fairdf checkpoint folder")
    assert predict(inputs, "--out", out, checkpoint=inputs) == 2
    assert_one_line_error(capsys, str(inputs), "not a fairdf checkpoint folder")
    assert predict(inputs / "nope.png", "--out", out, checkpoint=saved_model.folder) == 2
    assert_one_line_error(capsys, "path(s) not found", "nope.png")
    assert not out.exists()


def test_export_bad_input(saved_model, inputs, tmp_path, capsys):
    out = tmp_path / "model.onnx"
    assert main(["export", str(tmp_path / "missing"), str(out)]) == 2
    assert_one_line_error(capsys, "not a fairdf checkpoint folder")
    assert main(["export", str(inputs), str(out)]) == 2
    assert_one_line_error(capsys, "not a fairdf checkpoint folder")
    assert main(["export", str(saved_model.folder), str(out), "--format", "keras"]) == 2
    assert_one_line_error(capsys, "--format", "invalid choice: 'keras'", "torchscript")
    assert main(["export", str(saved_model.folder), str(tmp_path / "model.bin")]) == 2
    assert_one_line_error(capsys, "model.bin", "--format")
    assert list(tmp_path.iterdir()) == []


def test_export_prints_the_difference(saved_model, tmp_path, capsys):
    out = tmp_path / "model.pt"
    assert main(["export", str(saved_model.folder), str(out)]) == 0
    printed = capsys.readouterr().out
    assert out.is_file() and "torchscript" in printed and "max abs diff" in printed
    difference = float(printed.split("batch 1, 3): ")[1].split()[0])
    assert difference <= 1e-4
