"""A tiny FF++-style video dataset made from a real face photo, for tests and the README.

The face is `skimage.data.astronaut()` (shipped inside the scikit-image wheel), moved and
rotated a little per frame. Originals `000.mp4` ... and, per method, fakes `000_001.mp4`,
`001_000.mp4`, ... (identities paired as in FF++), plus a per-video attribute table in
the layout `prepare annotations` reads. The pixels are the same person throughout; only
the names carry identities. scikit-image and OpenCV come with `pip install 'fairdf[prepare]'`;
without them the functions stop first with that install command
(`fairdf.extras.MissingDependencyError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fairdf.errors import FairdfError
from fairdf.extras import require

ORIGINALS = Path("original_sequences/youtube/c23/videos")


@dataclass
class SampleDataset:
    videos: Path  # the dataset root (original_sequences/, manipulated_sequences/)
    annotations: Path  # per-video attribute table
    originals: list[Path]
    fakes: list[Path]


def face_photo(size: int = 128) -> np.ndarray:
    """`(size, size, 3)` uint8 RGB head-and-shoulders crop of the astronaut photo."""
    require("the sample face photo (fairdf.prepare.sample)", "skimage", "cv2")
    import cv2
    from skimage import data

    head = data.astronaut()[20:260, 100:340]
    return cv2.resize(head, (size, size), interpolation=cv2.INTER_AREA)


def moved(image: np.ndarray, angle: float, shift: tuple[float, float]) -> np.ndarray:
    """`image` rotated by `angle` degrees about its centre and shifted by `shift` pixels."""
    require("fairdf.prepare.sample", "cv2")
    import cv2

    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    matrix[:, 2] += shift
    return cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)


def write_video(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    """Write RGB frames to `path` (.mp4: mp4v, .avi: MJPG)."""
    require("writing a video (fairdf.prepare.sample)", "cv2")
    import cv2

    height, width = frames[0].shape[:2]
    codec = "MJPG" if path.suffix.lower() == ".avi" else "mp4v"
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, (width, height))
    if not writer.isOpened():
        raise FairdfError(f"OpenCV cannot write {path} with codec {codec}")
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def face_video(path: Path, n_frames: int, size: int = 128, seed: int = 0, tint: int = 0) -> Path:
    """A video of the face photo drifting by up to 6 px and 6 degrees."""
    rng = np.random.default_rng(seed)
    photo = face_photo(size).astype(np.int16)
    photo[..., 0] = np.clip(photo[..., 0] + tint, 0, 255)
    photo = photo.astype(np.uint8)
    frames = [
        moved(photo, float(rng.uniform(-6, 6)), tuple(rng.uniform(-6, 6, size=2)))
        for _ in range(n_frames)
    ]
    return write_video(path, frames)


def _attributes(identity: int) -> dict[str, int]:
    race = ("asian", "white", "black", "others")[identity % 4]
    row = {"male": 1 if identity % 2 == 0 else -1, "young": 1 if identity % 3 else -1}
    row.update({r: 1 if race == r else -1 for r in ("asian", "white", "black")})
    return row


def write_sample_dataset(
    root: Path,
    identities: int = 10,
    n_frames: int = 8,
    size: int = 128,
    methods: tuple[str, ...] = ("Deepfakes", "FaceSwap"),
) -> SampleDataset:
    """Write the sample videos under `root/videos` and `root/annotations.csv`."""
    import pandas as pd

    require("the sample dataset (fairdf.prepare.sample)", "skimage", "cv2")
    if identities < 2 or identities % 2:
        raise FairdfError("the sample needs an even number of identities (they are paired)")
    root = Path(root)
    videos = root / "videos"
    originals = [
        face_video(videos / ORIGINALS / f"{i:03d}.mp4", n_frames, size, seed=i)
        for i in range(identities)
    ]
    rows = [{"video": p.name, **_attributes(i)} for i, p in enumerate(originals)]
    fakes = []
    for m, method in enumerate(methods):
        folder = videos / "manipulated_sequences" / method / "c23" / "videos"
        for target in range(identities):
            source = target + 1 if target % 2 == 0 else target - 1
            path = folder / f"{target:03d}_{source:03d}.mp4"
            fakes.append(face_video(path, n_frames, size, seed=1000 * (m + 1) + target, tint=40))
            rows.append({"video": path.relative_to(videos).as_posix(), **_attributes(target)})
    annotations = root / "annotations.csv"
    pd.DataFrame(rows).to_csv(annotations, index=False)
    return SampleDataset(videos, annotations, originals, fakes)
