"""A missing optional module is reported first, in one line with the install command."""

from __future__ import annotations

import sys

import pytest

from fairdf.cli import main


def _hide(monkeypatch, *modules: str) -> None:
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_export_without_onnx_names_the_extra_before_reading_the_checkpoint(
    monkeypatch, capsys, tmp_path
):
    _hide(monkeypatch, "onnx")
    assert main(["export", str(tmp_path / "no-such-checkpoint"), str(tmp_path / "m.onnx")]) == 2
    line = _one_error_line(capsys)
    assert "pip install 'fairdf[export]'" in line and "onnx" in line
    assert not (tmp_path / "m.onnx").exists()


def test_export_to_torchscript_does_not_need_onnx(monkeypatch, capsys, tmp_path):
    _hide(monkeypatch, "onnx", "onnxruntime")
    assert main(["export", str(tmp_path / "no-such-checkpoint"), str(tmp_path / "m.pt")]) == 2
    assert "fairdf[export]" not in _one_error_line(capsys)  # the checkpoint error instead


def test_predict_without_dlib_fails_before_loading_the_checkpoint(monkeypatch, capsys, tmp_path):
    _hide(monkeypatch, "dlib")
    image = tmp_path / "face.png"
    image.write_bytes(b"")
    code = main(["predict", str(image), "--checkpoint", str(tmp_path / "no-such-checkpoint")])
    assert code == 2
    line = _one_error_line(capsys)
    assert "pip install 'fairdf[prepare]'" in line and "--no-align" in line


@pytest.mark.parametrize(
    ("step", "hidden"),
    [("frames", "cv2"), ("faces", "dlib"), ("faces", "face_recognition_models")],
)
def test_prepare_steps_name_the_prepare_extra(monkeypatch, capsys, tmp_path, step, hidden):
    _hide(monkeypatch, hidden)
    assert main(["prepare", step, str(tmp_path), str(tmp_path / "out")]) == 2
    assert "pip install 'fairdf[prepare]'" in _one_error_line(capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("hidden", ["skimage", "cv2"])
def test_sample_dataset_without_its_modules_names_the_prepare_extra(monkeypatch, tmp_path, hidden):
    from fairdf.extras import MissingDependencyError
    from fairdf.prepare.sample import face_photo, write_sample_dataset

    _hide(monkeypatch, hidden)
    with pytest.raises(MissingDependencyError) as caught:
        write_sample_dataset(tmp_path / "raw")
    message = str(caught.value)
    assert "pip install 'fairdf[prepare]'" in message and "\n" not in message
    assert {"skimage": "scikit-image", "cv2": "opencv-python-headless"}[hidden] in message
    assert not (tmp_path / "raw").exists()
    with pytest.raises(MissingDependencyError, match=r"fairdf\[prepare\]"):
        face_photo()


@pytest.mark.parametrize("command", ["test", "predict"])
def test_onnx_model_without_onnxruntime_names_the_export_extra(
    monkeypatch, capsys, tmp_path, command
):
    _hide(monkeypatch, "onnxruntime")
    model = tmp_path / "m.onnx"
    model.write_bytes(b"never read")
    arguments = {
        "test": ["test", "--manifest", str(tmp_path / "m.csv"), "--out", str(tmp_path / "out")],
        "predict": ["predict", str(model), "--no-align", "--out", str(tmp_path / "p.csv")],
    }[command]
    assert main([*arguments, "--model", str(model), "--output", "two_logits"]) == 2
    line = _one_error_line(capsys)
    assert "pip install 'fairdf[export]'" in line and "onnxruntime" in line and "--model" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]
