"""Aligned face crops for a folder of images (`fairdf prepare faces`).

For every image under IMAGES, the largest face is cropped to
`OUT/<image path relative to IMAGES, without suffix>.png` with a sidecar
`<same name>.csv`: one row per landmark (`point`, `crop_x`, `crop_y`, `source_x`,
`source_y`) repeating the source image, face box, detector score and rotation angle.
Crop and sidecar are each written atomically, the sidecar last, so a crop with a sidecar
is complete and a rerun reuses it. `OUT/faces.csv` indexes the crops (one row per crop):

    crop, source, image, video, frame, left, top, right, bottom, score, detector

`crop` and `source` are relative to faces.csv's folder; `image` is the source's path
relative to IMAGES (what per-image annotations are matched against) and `video` the
video it came from (from IMAGES/frames.csv when `prepare frames` made IMAGES; otherwise
the image itself, or its folder with `video_of="folder"`). Images without a face and
unreadable images are listed in `OUT/skipped.csv`. Both indexes are written last.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fairdf.errors import ConfigError, DataError, FairdfError, ImageError
from fairdf.io import atomic_path
from fairdf.paths import derived_output
from fairdf.prepare.faces import AlignedFace, CropOptions, align_face, get_finder
from fairdf.prepare.files import (
    IMAGE_SUFFIXES,
    base_folder,
    check_distinct_outputs,
    find_files,
    read_rgb,
    read_table,
    relative_key,
    resolve,
    to_relative,
    without_suffix,
    write_image,
    write_table,
)
from fairdf.prepare.frames import FRAMES_INDEX
from fairdf.prepare.parallel import run_jobs

FACES_INDEX = "faces.csv"
SKIPPED_INDEX = "skipped.csv"
INDEX_COLUMNS = (
    "crop", "source", "image", "video", "frame",
    "left", "top", "right", "bottom", "score", "detector",
)  # fmt: skip
SIDECAR_COLUMNS = (
    "source", "detector", "score", "left", "top", "right", "bottom", "angle",
    "point", "crop_x", "crop_y", "source_x", "source_y",
)  # fmt: skip
VIDEO_OF = ("auto", "image", "folder")
NO_FACE = "no face found"


@dataclass(frozen=True)
class CropJob:
    source: Path
    crop: Path
    options: CropOptions
    overwrite: bool


@dataclass
class CropResult:
    source: Path
    crop: Path
    box: tuple[int, int, int, int] | None = None
    score: float = float("nan")
    detector: str = ""
    skipped: str | None = None  # why no crop was written
    reused: bool = False


@dataclass
class FacesSummary:
    images: int
    crops: int
    reused: int
    skipped: list[tuple[str, str]]
    index: Path


def sidecar_path(crop: Path) -> Path:
    return Path(crop).with_suffix(".csv")


def sidecar_frame(aligned: AlignedFace, source: Path, crop: Path, detector: str) -> pd.DataFrame:
    """The per-crop sidecar table: 68 rows, landmarks in crop and source pixels."""
    face = aligned.face
    frame = pd.DataFrame(
        {
            "point": np.arange(len(face.landmarks)),
            "crop_x": aligned.crop_landmarks[:, 0].round(2),
            "crop_y": aligned.crop_landmarks[:, 1].round(2),
            "source_x": face.landmarks[:, 0].round(2),
            "source_y": face.landmarks[:, 1].round(2),
        }
    )
    left, top, right, bottom = face.box
    header = {
        "source": to_relative(source, crop.parent),
        "detector": detector,
        "score": round(face.score, 4),
        "left": left,
        "top": top,
        "right": right,
        "bottom": bottom,
        "angle": round(aligned.angle, 3),
        # detections not kept as the face: "left top right bottom score" joined by ';'
        "not_kept": ";".join(
            f"{left} {top} {right} {bottom} {score:.4f}"
            for (left, top, right, bottom), score in face.not_kept
        ),
    }
    for column, value in reversed(header.items()):
        frame.insert(0, column, value)
    return frame


def read_sidecar(crop: Path) -> pd.DataFrame:
    """The sidecar of `crop` with numeric landmark columns."""
    path = sidecar_path(crop)
    frame = read_table(path, SIDECAR_COLUMNS, "face sidecar")
    numeric = [c for c in SIDECAR_COLUMNS if c not in ("source", "detector")]
    frame[numeric] = frame[numeric].apply(pd.to_numeric)
    return frame


def crop_landmarks(crop: Path) -> np.ndarray:
    """`(68, 2)` landmarks of a crop, in crop pixels, from its sidecar."""
    frame = read_sidecar(crop).sort_values("point")
    return frame[["crop_x", "crop_y"]].to_numpy(dtype=np.float64)


def crop_one(job: CropJob) -> CropResult:
    """Detect, align and write one crop with its sidecar (worker entry point)."""
    if not job.overwrite and job.crop.is_file() and sidecar_path(job.crop).is_file():
        try:
            return _reuse(job)
        except (FairdfError, ValueError, KeyError):
            pass  # an unreadable old sidecar: redo the crop
    try:
        image = read_rgb(job.source)
    except ImageError as exc:
        return CropResult(job.source, job.crop, skipped=f"unreadable image ({exc})")
    options = job.options
    scale, upsample = options.detection_plan()
    face = get_finder(options.detector, upsample).find(image, scale)
    if face is None:
        return CropResult(job.source, job.crop, skipped=NO_FACE)
    aligned = align_face(image, face, options.size, options.margin)
    write_image(job.crop, aligned.crop)
    sidecar = sidecar_frame(aligned, job.source, job.crop, options.detector)
    with atomic_path(sidecar_path(job.crop)) as tmp:
        sidecar.to_csv(tmp, index=False)
    return CropResult(job.source, job.crop, face.box, face.score, options.detector)


def _reuse(job: CropJob) -> CropResult:
    first = read_sidecar(job.crop).iloc[0]
    box = tuple(int(first[c]) for c in ("left", "top", "right", "bottom"))
    return CropResult(
        job.source, job.crop, box, float(first["score"]), str(first["detector"]), reused=True
    )


def read_faces_index(path: Path) -> pd.DataFrame:
    """faces.csv (or the folder holding it) with an absolute `path` column per crop."""
    path = Path(path)
    if path.is_dir():
        path = path / FACES_INDEX
    frame = read_table(path, ("crop", "image", "video"), "faces index")
    if frame.empty:
        raise DataError(f"{path}: the faces index has no crops")
    frame["path"] = [resolve(path.parent, crop) for crop in frame["crop"]]
    return frame


def _video_names(
    images: Path, paths: list[Path], keys: list[str], video_of: str
) -> list[tuple[str, str]]:
    """(video, frame) per image: from IMAGES/frames.csv, the image itself or its folder."""
    index_path = base_folder(images) / FRAMES_INDEX
    if video_of == "auto" and index_path.is_file():
        table = read_table(index_path, ("video", "frame", "image"), "frames index")
        by_image = {
            resolve(index_path.parent, image): (video, frame)
            for video, frame, image in zip(
                table["video"], table["frame"], table["image"], strict=True
            )
        }
        return [
            by_image.get(path.resolve(), (key, "")) for path, key in zip(paths, keys, strict=True)
        ]
    if video_of == "folder":
        return [(Path(key).parent.as_posix(), Path(key).stem) for key in keys]
    return [(key, "") for key in keys]


def prepare_faces(
    images: Path,
    out: Path,
    options: CropOptions,
    workers: int = 1,
    video_of: str = "auto",
    overwrite: bool = False,
) -> FacesSummary:
    """Crop the largest face of every image under `images` into `out` (module docstring)."""
    images, out = Path(images), Path(out)
    if video_of not in VIDEO_OF:
        raise ConfigError(f"unknown --video-of '{video_of}'; valid: {', '.join(VIDEO_OF)}")
    paths = find_files(images, IMAGE_SUFFIXES, exclude=out)
    if not paths:
        raise DataError(f"{images}: no image files ({', '.join(IMAGE_SUFFIXES)}) found")
    root = base_folder(images)
    keys = [relative_key(p, root) for p in paths]
    check_distinct_outputs(keys, "images")
    videos = _video_names(images, paths, keys, video_of)
    jobs = [
        CropJob(path, _crop_path(out, key, path), options, overwrite)
        for path, key in zip(paths, keys, strict=True)
    ]
    by_source = {r.source: r for r in run_jobs(crop_one, jobs, workers, "faces", "img")}
    results = [by_source[path] for path in paths]
    rows = [
        _index_row(result, key, video, out)
        for result, key, video in zip(results, keys, videos, strict=True)
        if result.skipped is None
    ]
    skipped = [
        (key, r.skipped) for r, key in zip(results, keys, strict=True) if r.skipped is not None
    ]
    _write_skipped(out / SKIPPED_INDEX, skipped)
    index = write_table(pd.DataFrame(rows, columns=list(INDEX_COLUMNS)), out / FACES_INDEX)
    return FacesSummary(
        images=len(paths),
        crops=len(rows),
        reused=sum(r.reused for r in results),
        skipped=skipped,
        index=index,
    )


def _crop_path(out: Path, key: str, source: Path) -> Path:
    return derived_output(out, f"{without_suffix(key)}.png", str(source))


def _index_row(result: CropResult, key: str, video: tuple[str, str], out: Path) -> list:
    left, top, right, bottom = result.box or ("",) * 4
    return [
        to_relative(result.crop, out),
        to_relative(result.source, out),
        key,
        video[0],
        video[1],
        left,
        top,
        right,
        bottom,
        round(result.score, 4),
        result.detector,
    ]


def _write_skipped(path: Path, skipped: list[tuple[str, str]]) -> None:
    if skipped:
        write_table(pd.DataFrame(skipped, columns=["image", "reason"]), path)
    elif path.exists():
        path.unlink()
