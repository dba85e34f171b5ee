"""Face detection, 68-point landmarks and aligned crops with dlib.

Detectors: dlib's HOG frontal face detector ("hog", default) or its CNN (MMOD) detector
("cnn", `mmod_human_face_detector.dat`). Which detection is kept (`choose_detection`):
those scoring far below the best one are ignored (HOG scores a round shoulder patch
beside a face at a tenth of the face's score), and among the rest whose area is at least
half the largest one's, the most confident wins; the detections not kept are listed in
the crop's sidecar. The kept face's 68 landmarks are located (`shape_predictor_68_face_landmarks.dat`), and a similarity
transform rotates the image so that the eye centres are level and scales a square of
`margin` x the side of the box around the landmarks to `size` x `size` pixels.
Model files come from the `face_recognition_models` package (`pip install
'fairdf[prepare]'`); they are located without importing it (its import needs
`pkg_resources`).
"""

from __future__ import annotations

import functools
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fairdf.errors import ConfigError, FairdfError, UnknownNameError

DETECTORS = ("hog", "cnn")
DEFAULT_UPSAMPLE = {"hog": 1, "cnn": 0}
LEFT_EYE = slice(36, 42)  # the eye on the image's left (the subject's right eye)
RIGHT_EYE = slice(42, 48)
N_LANDMARKS = 68
# `choose_detection`: a detection scoring this far below the best is ignored (the HOG
# and MMOD margins of a clear face are about 0.5 to 2), and sizes within this fraction
# of the largest area are comparable: the most confident of those is the face
SCORE_GAP = 0.5
COMPARABLE_AREA = 0.5
DETECTOR_WINDOW = 80  # pixels: the side of the smallest face dlib's detectors find


@dataclass(frozen=True)
class CropOptions:
    """How faces are found and cropped."""

    detector: str = "hog"
    size: int = 256
    margin: float = 1.3
    upsample: int | None = None  # None: 1 for hog, 0 for cnn
    min_face: int | None = None  # None: detect at full resolution (see `detection_plan`)

    def __post_init__(self) -> None:
        if self.detector not in DETECTORS:
            raise UnknownNameError("face detector", self.detector, DETECTORS)
        if self.size < 16:
            raise ConfigError(f"--size must be at least 16 pixels, got {self.size}")
        if self.margin <= 0:
            raise ConfigError(f"--margin must be positive, got {self.margin}")
        if self.upsample is not None and self.upsample < 0:
            raise ConfigError(f"--upsample must be 0 or more, got {self.upsample}")

    @property
    def upsample_times(self) -> int:
        return DEFAULT_UPSAMPLE[self.detector] if self.upsample is None else self.upsample

    def detection_plan(self) -> tuple[float, int]:
        """(scale, upsample) to detect at: full resolution, or with `min_face` the
        smallest copy in which a face of `min_face` px still fills the detectors' 80 px
        window (dlib's HOG and MMOD detectors find faces of 80 / (scale * 2^upsample) px
        and up). Landmarks and crops always use the full frame."""
        if self.min_face is None:
            return 1.0, self.upsample_times
        upsample = max(0, math.ceil(math.log2(DETECTOR_WINDOW / self.min_face)))
        return min(1.0, DETECTOR_WINDOW / (self.min_face * 2**upsample)), upsample


@dataclass
class Face:
    """One detected face in source-image pixels."""

    box: tuple[int, int, int, int]  # left, top, right, bottom
    score: float
    landmarks: np.ndarray  # (68, 2) x, y
    not_kept: tuple[tuple[tuple[int, int, int, int], float], ...] = ()  # (box, score)

    @property
    def area(self) -> float:
        left, top, right, bottom = self.box
        return max(0.0, right - left) * max(0.0, bottom - top)


@dataclass
class AlignedFace:
    """An aligned crop of a face and the transform that produced it."""

    face: Face
    crop: np.ndarray  # (size, size, 3) uint8 RGB
    matrix: np.ndarray  # (2, 3) source pixel -> crop pixel
    crop_landmarks: np.ndarray  # (68, 2)
    angle: float  # degrees the image was rotated (counter-clockwise) to level the eyes


def model_file(name: str) -> Path:
    """Path of a model file shipped by `face_recognition_models`."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FairdfError(
            "the dlib model files are missing: pip install 'fairdf[prepare]' "
            "(face-recognition-models)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise FairdfError(f"dlib model file not found: {path}; reinstall face-recognition-models")
    return path


def import_dlib():
    try:
        import dlib
    except ImportError:
        raise FairdfError("dlib is not installed: pip install 'fairdf[prepare]'") from None
    return dlib


class FaceFinder:
    """Detect the largest face in an RGB image and locate its 68 landmarks."""

    def __init__(self, detector: str = "hog", upsample: int = 1):
        dlib = import_dlib()
        self.detector_name = detector
        self.upsample = upsample
        if detector == "cnn":
            self._detector = dlib.cnn_face_detection_model_v1(
                str(model_file("mmod_human_face_detector.dat"))
            )
        else:
            self._detector = dlib.get_frontal_face_detector()
        self._predictor = dlib.shape_predictor(
            str(model_file("shape_predictor_68_face_landmarks.dat"))
        )

    def detect(self, image: np.ndarray) -> list[tuple[object, float]]:
        """All detections in `(H, W, 3)` uint8 RGB: (dlib rectangle, score) pairs."""
        if self.detector_name == "cnn":
            return [(d.rect, float(d.confidence)) for d in self._detector(image, self.upsample)]
        rects, scores, _ = self._detector.run(image, self.upsample, 0.0)
        return list(zip(rects, (float(s) for s in scores), strict=True))

    def find(self, image: np.ndarray, scale: float = 1.0) -> Face | None:
        """The face `choose_detection` keeps, with landmarks and the others listed; or None.

        With `scale` < 1 the detector runs on a copy resized by `scale` (area
        interpolation); boxes are mapped back and the landmarks found on `image`.
        """
        image = np.ascontiguousarray(image)
        detections = self._detect_scaled(image, scale)
        if not detections:
            return None
        boxes = [(r.left(), r.top(), r.right(), r.bottom()) for r, _ in detections]
        scores = [score for _, score in detections]
        kept = choose_detection(boxes, scores)
        face = self.locate(image, detections[kept][0], scores[kept])
        face.not_kept = tuple((boxes[i], scores[i]) for i in range(len(boxes)) if i != kept)
        return face

    def _detect_scaled(self, image: np.ndarray, scale: float) -> list[tuple[object, float]]:
        if scale >= 1.0:
            return self.detect(image)
        import cv2

        height, width = image.shape[:2]
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        dlib = import_dlib()
        return [
            (
                dlib.rectangle(
                    round(r.left() / scale),
                    round(r.top() / scale),
                    round(r.right() / scale),
                    round(r.bottom() / scale),
                ),
                score,
            )
            for r, score in self.detect(np.ascontiguousarray(small))
        ]

    def locate(self, image: np.ndarray, rect, score: float) -> Face:
        """The 68 landmarks of the face in dlib rectangle `rect`."""
        shape = self._predictor(image, rect)
        landmarks = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
        box = (rect.left(), rect.top(), rect.right(), rect.bottom())
        return Face(box=box, score=score, landmarks=landmarks)


def choose_detection(boxes: list[tuple[int, int, int, int]], scores: list[float]) -> int:
    """Index of the detection kept as the face (see the module docstring).

    Detections scoring more than `SCORE_GAP` below the best are ignored; of the others
    with an area of at least `COMPARABLE_AREA` x the largest, the most confident wins
    (ties: the larger). A lone detection is kept.
    """
    areas = [max(0, r - left) * max(0, b - top) for left, top, r, b in boxes]
    best = max(scores)
    candidates = [i for i, s in enumerate(scores) if s >= best - SCORE_GAP]
    largest = max(areas[i] for i in candidates)
    comparable = [i for i in candidates if areas[i] >= COMPARABLE_AREA * largest]
    return max(comparable, key=lambda i: (scores[i], areas[i]))


@functools.lru_cache(maxsize=4)
def get_finder(detector: str, upsample: int) -> FaceFinder:
    """A FaceFinder per process and setting (each worker loads the models once)."""
    return FaceFinder(detector, upsample)


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the image-left and image-right eyes from `(68, 2)` landmarks."""
    return landmarks[LEFT_EYE].mean(axis=0), landmarks[RIGHT_EYE].mean(axis=0)


def alignment_matrix(face: Face, size: int, margin: float) -> tuple[np.ndarray, float]:
    """The `(2, 3)` similarity transform source -> crop, and its rotation in degrees.

    Rotates by the eye-line angle (so the eyes become level), then centres the box
    around the rotated 68 landmarks and scales `margin` x its longer side to `size`.
    The landmarks, not the detector's box, define the face box, so that HOG and CNN
    detections give the same crop.
    """
    left_eye, right_eye = eye_centres(face.landmarks)
    dx, dy = right_eye - left_eye
    angle = math.degrees(math.atan2(dy, dx))
    radians = math.radians(angle)
    # Rotating by -angle in y-down pixel coordinates levels the eye line.
    rotation = np.array(
        [[math.cos(radians), math.sin(radians)], [-math.sin(radians), math.cos(radians)]]
    )
    levelled = face.landmarks @ rotation.T
    low, high = levelled.min(axis=0), levelled.max(axis=0)
    scale = size / (margin * max(float((high - low).max()), 1.0))
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = size / 2 - scale * (low + high) / 2
    return matrix, angle


def transform_points(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a `(2, 3)` affine matrix to `(N, 2)` points."""
    return points @ matrix[:, :2].T + matrix[:, 2]


def align_face(image: np.ndarray, face: Face, size: int = 256, margin: float = 1.3) -> AlignedFace:
    """Rotate, scale and crop `face` out of `(H, W, 3)` `image` -> `(size, size, 3)`.

    Parts of the square outside the image are filled with black.
    """
    import cv2

    matrix, angle = alignment_matrix(face, size, margin)
    crop = cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    return AlignedFace(
        face=face,
        crop=crop,
        matrix=matrix,
        crop_landmarks=transform_points(matrix, face.landmarks),
        angle=angle,
    )
