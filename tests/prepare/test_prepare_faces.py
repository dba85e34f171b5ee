"""Face detection, alignment and crops on real photos shipped with scikit-image."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pandas as pd
import pytest

from fairdf.cli import main
from fairdf.errors import FairdfError, UnknownNameError
from fairdf.prepare import faces as faces_module
from fairdf.prepare.crops import crop_landmarks, prepare_faces
from fairdf.prepare.faces import CropOptions, align_face, eye_centres, get_finder

data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut()


def rotate(image: np.ndarray, degrees: float, centre=(220.0, 125.0)) -> np.ndarray:
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    return cv2.warpAffine(image, matrix, image.shape[1::-1], borderMode=cv2.BORDER_REFLECT)


def eye_line_degrees(landmarks: np.ndarray) -> float:
    left, right = landmarks[36:42].mean(axis=0), landmarks[42:48].mean(axis=0)
    return math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))


def assert_face_well_placed(landmarks: np.ndarray, size: int) -> None:
    """Eyes level, both in the upper half, every landmark inside the crop."""
    left, right = eye_centres(landmarks)
    assert abs(left[1] - right[1]) < 0.01 * size
    assert left[0] < size / 2 < right[0]
    assert 0 < left[1] < size / 2 and 0 < right[1] < size / 2
    assert (landmarks > 0).all() and (landmarks < size).all()


def test_astronaut_crop_is_aligned_and_contains_the_face(astronaut):
    finder = get_finder("hog", 1)
    face = finder.find(astronaut)
    assert face is not None and face.landmarks.shape == (68, 2)
    aligned = align_face(astronaut, face, size=256, margin=1.3)
    assert aligned.crop.shape == (256, 256, 3) and aligned.crop.dtype == np.uint8
    assert_face_well_placed(aligned.crop_landmarks, 256)
    # An independent look: dlib finds the face again in the crop, centred and upright.
    again = finder.find(aligned.crop)
    assert again is not None
    left, top, right, bottom = again.box
    assert abs((left + right) / 2 - 128) < 20 and abs((top + bottom) / 2 - 128) < 30
    assert abs(eye_line_degrees(again.landmarks)) < 3


def test_alignment_matrix_matches_opencv_rotation(astronaut):
    face = get_finder("hog", 1).find(astronaut)
    aligned = align_face(astronaut, face, size=128, margin=1.5)
    angle = eye_line_degrees(face.landmarks)
    # Oracle: level the landmarks with OpenCV's rotation, box them, scale and centre.
    rotation = cv2.getRotationMatrix2D((0.0, 0.0), angle, 1.0)
    levelled = np.c_[face.landmarks, np.ones(68)] @ rotation.T
    low, high = levelled.min(axis=0), levelled.max(axis=0)
    scale = 128 / (1.5 * (high - low).max())
    expected = cv2.getRotationMatrix2D((0.0, 0.0), angle, scale)
    expected[:, 2] = 64.0 - scale * (low + high) / 2
    np.testing.assert_allclose(aligned.matrix, expected, atol=1e-9)
    homogeneous = np.c_[face.landmarks, np.ones(68)]
    np.testing.assert_allclose(aligned.crop_landmarks, homogeneous @ expected.T, atol=1e-9)
    # The square spans the landmarks' longer side times the margin, centred.
    span = aligned.crop_landmarks.max(axis=0) - aligned.crop_landmarks.min(axis=0)
    assert span.max() == pytest.approx(128 / 1.5)


def test_a_rotated_face_is_levelled(astronaut):
    original = get_finder("hog", 1).find(astronaut)
    tilted = get_finder("hog", 1).find(rotate(astronaut, 12.0))
    assert tilted is not None
    aligned = align_face(rotate(astronaut, 12.0), tilted, size=200)
    # cv2 turns the picture counter-clockwise by 12 degrees: the eye line turns by -12.
    assert aligned.angle == pytest.approx(eye_line_degrees(original.landmarks) - 12.0, abs=2.5)
    assert_face_well_placed(aligned.crop_landmarks, 200)


def test_cnn_detector_finds_the_face(astronaut):
    head = astronaut[20:260, 100:340]
    face = get_finder("cnn", 0).find(head)
    assert face is not None and face.score > 0
    cnn_crop = align_face(head, face, size=96)
    assert_face_well_placed(cnn_crop.crop_landmarks, 96)
    # The crop is defined by the landmarks, so HOG and CNN give nearly the same one.
    hog_crop = align_face(head, get_finder("hog", 1).find(head), size=96)
    assert np.abs(cnn_crop.crop_landmarks - hog_crop.crop_landmarks).max() < 3


def test_no_face_in_a_cat_or_a_flat_image():
    finder = get_finder("hog", 1)
    assert finder.find(data.chelsea()) is None
    assert finder.find(np.full((120, 160, 3), 90, np.uint8)) is None


def test_crop_options_are_checked():
    with pytest.raises(UnknownNameError, match="hog"):
        CropOptions(detector="mtcnn")
    with pytest.raises(FairdfError, match="--margin"):
        CropOptions(margin=0)


def test_missing_model_package_gives_an_install_hint(monkeypatch):
    monkeypatch.setattr(faces_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FairdfError, match=r"fairdf\[prepare\]"):
        faces_module.model_file("shape_predictor_68_face_landmarks.dat")


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory, astronaut):
    root = tmp_path_factory.mktemp("images")
    (root / "people").mkdir()
    cv2.imwrite(str(root / "people" / "astronaut.png"), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    tilted = rotate(astronaut, -9.0)
    cv2.imwrite(str(root / "people" / "tilted.jpg"), cv2.cvtColor(tilted, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(root / "cat.png"), cv2.cvtColor(data.chelsea(), cv2.COLOR_RGB2BGR))
    (root / "broken.png").write_bytes(b"\x89PNG not really")
    return root


def test_faces_folder_writes_crops_sidecars_and_index(image_folder, tmp_path):
    out = tmp_path / "faces"
    summary = prepare_faces(image_folder, out, CropOptions(size=128))
    assert summary.images == 4 and summary.crops == 2
    assert dict(summary.skipped) == {
        "cat.png": "no face found",
        "broken.png": dict(summary.skipped)["broken.png"],
    }
    assert dict(summary.skipped)["broken.png"].startswith("unreadable")
    skipped = pd.read_csv(out / "skipped.csv")
    assert sorted(skipped["image"]) == ["broken.png", "cat.png"]
    index = pd.read_csv(out / "faces.csv")
    assert sorted(index["crop"]) == ["people/astronaut.png", "people/tilted.png"]
    assert sorted(index["image"]) == ["people/astronaut.png", "people/tilted.jpg"]
    for crop in index["crop"]:
        image = cv2.imread(str(out / crop))
        assert image.shape == (128, 128, 3)
        assert_face_well_placed(crop_landmarks(out / crop), 128)
    sidecar = pd.read_csv(out / "people" / "tilted.csv")
    assert len(sidecar) == 68 and sidecar["point"].tolist() == list(range(68))
    assert (out / "people" / sidecar["source"].iat[0]).resolve() == (
        image_folder / "people" / "tilted.jpg"
    ).resolve()
    # Source landmarks map onto crop landmarks by a similarity with the recorded angle.
    source = sidecar[["source_x", "source_y"]].to_numpy(np.float32)
    target = sidecar[["crop_x", "crop_y"]].to_numpy(np.float32)
    matrix, _ = cv2.estimateAffinePartial2D(source, target, method=cv2.LMEDS)
    degrees = math.degrees(math.atan2(matrix[0, 1], matrix[0, 0]))
    assert degrees == pytest.approx(sidecar["angle"].iat[0], abs=0.05)
    np.testing.assert_allclose(np.c_[source, np.ones(68)] @ matrix.T, target, atol=0.05)


def test_faces_rerun_reuses_crops_and_leaves_no_temporaries(image_folder, tmp_path):
    out = tmp_path / "faces"
    prepare_faces(image_folder, out, CropOptions(size=64))
    again = prepare_faces(image_folder, out, CropOptions(size=64), workers=2)
    assert again.reused == 2 and again.crops == 2
    assert not [p for p in out.rglob(".*")], "temporary files left behind"


def test_faces_command_reports_images_without_a_face(image_folder, tmp_path, capsys):
    code = main(["prepare", "faces", str(image_folder), str(tmp_path / "out"), "--size", "64"])
    captured = capsys.readouterr()
    assert code == 0
    assert "2 face crops from 4 images" in captured.out
    assert "2 image(s) without a crop (1 without a face, 1 unreadable" in captured.err
    assert "cat.png: no face found" in captured.err


def test_faces_command_on_an_empty_folder_fails_cleanly(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = main(["prepare", "faces", str(tmp_path / "empty"), str(tmp_path / "out")])
    assert code == 2
    assert "no image files" in capsys.readouterr().err
    assert not (tmp_path / "out" / "faces.csv").exists()


def test_video_of_folder_names_each_folder_a_video(image_folder, tmp_path):
    out = tmp_path / "faces"
    prepare_faces(image_folder, out, CropOptions(size=64), video_of="folder")
    index = pd.read_csv(out / "faces.csv", keep_default_na=False)
    assert sorted(zip(index["video"], index["frame"], strict=True)) == [
        ("people", "astronaut"),
        ("people", "tilted"),
    ]
