"""`Detector.predict` / `predict_video`: scores match the model and the prepare pipeline."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from fairdf.data.transforms import load_image
from fairdf.errors import ConfigError, DataError, UnknownNameError
from fairdf.inference import load_detector
from fairdf.prepare.crops import prepare_faces
from fairdf.prepare.faces import CropOptions
from fairdf.prepare.sample import face_photo, write_video

SIZE = 32


@pytest.fixture(scope="module")
def detector(saved_model):
    return load_detector(saved_model.folder, "cpu", batch_size=3)


@pytest.fixture(scope="module")
def astronaut_file(tmp_path_factory, photos):
    path = tmp_path_factory.mktemp("images") / "astronaut.png"
    Image.fromarray(photos["astronaut"]).save(path)
    return path


def oracle_scores(model, images: torch.Tensor) -> np.ndarray:
    """p(fake) of the in-memory original model (full detector, not the loaded checkpoint)."""
    return model.score(images).p_fake.numpy()


def test_ready_crops_score_like_the_original_model(detector, saved_model, tmp_path, photos):
    rng = np.random.default_rng(0)
    paths = []
    for index in range(5):  # more than one batch of 3
        pixels = rng.integers(0, 256, size=(40, 48, 3), dtype=np.uint8)
        paths.append(tmp_path / f"crop{index}.png")
        Image.fromarray(pixels).save(paths[-1])
    result = detector.predict(paths, align=False)
    expected = oracle_scores(saved_model.model, torch.stack([load_image(p, SIZE) for p in paths]))
    np.testing.assert_allclose(result["score"], expected, rtol=0, atol=1e-6)
    assert result["status"].eq("ok").all() and result["left"].isna().all()
    assert result["source"].tolist() == [str(p) for p in paths]
    logits = result[["logit_real", "logit_fake"]].to_numpy()
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(result["score"], softmax[:, 1], rtol=1e-6)
    assert np.ptp(result["score"]) > 1e-4  # the scores depend on the image


def test_aligned_image_scores_like_prepare_faces_crop(
    detector, saved_model, astronaut_file, tmp_path
):
    """align=True on a photo == `prepare faces` at the checkpoint size, then the model."""
    summary = prepare_faces(astronaut_file, tmp_path / "faces", CropOptions(size=SIZE))
    index = pd.read_csv(summary.index)
    crop = tmp_path / "faces" / index.loc[0, "crop"]
    expected = oracle_scores(saved_model.model, load_image(crop, SIZE)[None])
    for given in (astronaut_file, str(astronaut_file), Image.open(astronaut_file)):
        row = detector.predict(given).iloc[0]
        assert row["status"] == "ok"
        assert row["score"] == pytest.approx(float(expected[0]), abs=1e-6)
        box = [int(row[c]) for c in ("left", "top", "right", "bottom")]
        assert box == index.loc[0, ["left", "top", "right", "bottom"]].tolist()


def test_inputs_without_a_face_or_unreadable_are_reported(detector, photos, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    inputs = [photos["cat"], photos["astronaut"], photos["grey"], broken, tmp_path / "gone.png"]
    result = detector.predict(inputs)
    assert result["status"].tolist()[:3] == ["no face found", "ok", "no face found"]
    assert result["status"][3].startswith("unreadable") and str(broken) in result["status"][3]
    assert result["status"][4].startswith("unreadable")
    assert result["source"].tolist()[:3] == ["<input 0>", "<input 1>", "<input 2>"]
    scored = result["score"].notna()
    assert scored.tolist() == [False, True, False, False, False]


def test_array_inputs_are_converted_or_rejected(detector, photos):
    rgba = np.dstack([photos["astronaut"], np.full(photos["astronaut"].shape[:2], 255, np.uint8)])
    same = detector.predict([photos["astronaut"], rgba, Image.fromarray(photos["astronaut"])])
    assert same["score"].nunique() == 1 and same["status"].eq("ok").all()
    stacked = detector.predict(np.stack([photos["astronaut"], photos["astronaut"][:, ::-1]]))
    assert len(stacked) == 2 and stacked["status"].eq("ok").all()
    floats = detector.predict(photos["astronaut"].astype(np.float32))
    assert floats["status"][0].startswith("unreadable: expected an (H, W, 3) uint8")


def decode_all(path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


@pytest.fixture(scope="module")
def mixed_video(tmp_path_factory):
    """Nine frames: the face photo in frames 0-5, flat grey in frames 6-8."""
    face = face_photo(128)
    grey = np.full_like(face, 120)
    frames = [np.roll(face, shift, axis=1) for shift in range(0, 12, 2)] + [grey] * 3
    return write_video(tmp_path_factory.mktemp("videos") / "mixed.mp4", frames)


def test_video_scores_sampled_frames_and_aggregates(detector, mixed_video):
    count = 5
    expected_frames = np.linspace(0, 8, count).round().astype(int).tolist()  # [0, 2, 4, 6, 8]
    video = detector.predict_video(mixed_video, frames=count)
    with_face = [f for f in expected_frames if f < 6]
    assert video.frames["frame"].tolist() == with_face
    assert video.no_face == [f for f in expected_frames if f >= 6]
    assert video.sampled == count
    assert video.score == pytest.approx(float(np.mean(video.frames["score"])), abs=1e-12)
    # Each frame scores as the same decoded frame does through predict() on images.
    decoded = decode_all(mixed_video)
    as_images = detector.predict([decoded[f] for f in with_face])
    np.testing.assert_allclose(video.frames["score"], as_images["score"], rtol=0, atol=1e-6)
    for how, reduce in (("median", np.median), ("max", np.max)):
        other = detector.predict_video(mixed_video, frames=count, aggregate=how)
        assert other.score == pytest.approx(float(reduce(other.frames["score"])), abs=1e-12)


def test_video_without_faces_has_no_score(detector, tmp_path):
    path = write_video(tmp_path / "grey.avi", [np.full((64, 64, 3), 90, np.uint8)] * 4)
    video = detector.predict_video(path, frames=2)
    assert np.isnan(video.score) and video.frames.empty and video.no_face == [0, 3]


def test_unreadable_video_and_bad_settings_raise(detector, saved_model, tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000)
    with pytest.raises(DataError, match="junk.mp4"):
        detector.predict_video(junk)
    with pytest.raises(UnknownNameError, match="valid names: max, mean, median"):
        detector.predict_video(junk, aggregate="mode")
    with pytest.raises(UnknownNameError, match="face detector 'mtcnn'"):
        load_detector(saved_model.folder, "cpu", face_detector="mtcnn")
    with pytest.raises(ConfigError, match="device 'gpu7'"):
        load_detector(saved_model.folder, "gpu7")
