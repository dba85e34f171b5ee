"""Which detection is kept as the face: on photographs that packages ship, every crop
lands on the face (the astronaut's round shoulder patch is detected too, at a tenth of
the face's score and about the same size)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from fairdf.prepare.faces import choose_detection

FACE = (175, 76, 265, 166)  # the astronaut's face in skimage.data.astronaut(), 512 px


def test_the_most_confident_of_comparable_sizes_wins():
    face, patch = (0, 0, 91, 90), (200, 200, 291, 291)  # the patch one pixel row larger
    assert choose_detection([patch, face], [0.1, 1.0]) == 1
    # a far larger box still wins when it is about as confident: a close-up face
    assert choose_detection([(0, 0, 300, 300), (0, 0, 100, 100)], [0.9, 1.0]) == 0
    # a large detection far below the best score is ignored
    assert choose_detection([(0, 0, 400, 400), (0, 0, 100, 100)], [0.05, 1.0]) == 1
    assert choose_detection([face], [-0.3]) == 0


def _iou(a, b) -> float:
    x1, y1, x2, y2 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def test_every_astronaut_crop_lands_on_her_face():
    pytest.importorskip("dlib")
    data = pytest.importorskip("skimage.data")
    from fairdf.prepare.faces import FaceFinder

    finder = FaceFinder("hog", 1)
    astronaut = data.astronaut()
    rng = np.random.default_rng(0)
    kept = patch_seen = 0
    for quality in (95, 60, 30):
        for scale in (1.0, 0.8):
            size = int(512 * scale)
            photo = np.asarray(Image.fromarray(astronaut).resize((size, size), Image.BILINEAR))
            canvas = np.full((600, 800, 3), 40, np.uint8)
            x, y = int(rng.integers(0, 800 - size)), int(rng.integers(0, 600 - size))
            canvas[y : y + size, x : x + size] = photo
            face = finder.find(_jpeg(canvas, quality))
            assert face is not None
            left, top, right, bottom = face.box
            box = tuple(v / scale for v in (left - x, top - y, right - x, bottom - y))
            kept += _iou(box, FACE) > 0.5
            patch_seen += len(face.not_kept) > 0
    assert kept == 6 and patch_seen >= 1  # the patch was there to be chosen
    camera = np.stack([data.camera()] * 3, axis=-1)  # no frontal face: nothing is kept
    assert finder.find(camera) is None


@pytest.mark.parametrize(
    ("min_face", "plan"),
    [(None, (1.0, 1)), (40, (1.0, 1)), (80, (1.0, 0)), (160, (0.5, 0)), (20, (1.0, 2))],
)
def test_min_face_picks_the_smallest_copy_that_still_finds_it(min_face, plan):
    from fairdf.prepare.faces import CropOptions

    assert CropOptions(min_face=min_face).detection_plan() == plan


def test_detection_on_a_downscaled_copy_finds_the_same_face():
    pytest.importorskip("dlib")
    data = pytest.importorskip("skimage.data")
    from fairdf.prepare.faces import CropOptions, FaceFinder

    canvas = np.full((720, 1280, 3), 40, np.uint8)
    canvas[100:612, 600:1112] = data.astronaut()
    full = FaceFinder("hog", 1).find(canvas)
    scale, upsample = CropOptions(min_face=100).detection_plan()
    assert (scale, upsample) == (0.8, 0)
    small = FaceFinder("hog", upsample).find(canvas, scale)
    assert _iou(small.box, full.box) > 0.6
    side = full.box[2] - full.box[0]
    assert np.linalg.norm(small.landmarks - full.landmarks, axis=1).mean() < 0.02 * side
