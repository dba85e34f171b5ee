"""The inputs of `fairdf predict`: images and videos named directly or found in folders.

A file named on the command line is a video when its suffix is a video suffix and an
image otherwise (so an image with an unusual suffix is still tried). Folders are searched
recursively for image and video suffixes, skipping hidden names, as `fairdf prepare`
does. Video frames are sampled as `fairdf prepare frames` samples them (evenly spaced,
first and last included) but decoded in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from fairdf.errors import DataError, FairdfError
from fairdf.prepare.files import IMAGE_SUFFIXES, VIDEO_SUFFIXES, find_files, listing
from fairdf.prepare.frames import sample_indices

IMAGE, VIDEO = "image", "video"
Result = TypeVar("Result")


@dataclass(frozen=True)
class MediaFile:
    """One input file and how to read it (`kind` is "image" or "video")."""

    path: Path
    kind: str


def media_kind(path: str | Path) -> str:
    """ "video" for a video suffix, else "image"."""
    return VIDEO if Path(path).suffix.lower() in VIDEO_SUFFIXES else IMAGE


def collect_media(paths: Iterable[str | Path]) -> list[MediaFile]:
    """The files to score, in argument order (each folder's files sorted), without repeats.

    Every path is checked first: a path that does not exist raises DataError naming all
    such paths, before anything is read.
    """
    paths = [Path(p).expanduser() for p in paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise DataError(
            f"{len(missing)} path(s) not found: {listing(missing)}; check the arguments"
        )
    found: list[MediaFile] = []
    seen: set[Path] = set()
    for path in paths:
        files = [path] if path.is_file() else find_files(path, IMAGE_SUFFIXES + VIDEO_SUFFIXES)
        for file in files:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                found.append(MediaFile(file, media_kind(file)))
    return found


def _import_cv2():
    try:
        import cv2
    except ImportError:
        raise FairdfError("reading videos needs OpenCV: pip install 'fairdf[prepare]'") from None
    return cv2


def _open_video(path: Path):
    cv2 = _import_cv2()
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise DataError("cannot open the video (corrupt, empty or unsupported codec)")
    return capture


def _reported_count(path: Path) -> int:
    cv2 = _import_cv2()
    capture = _open_video(path)
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()


def _decode(
    path: Path, wanted: set[int], last: int | None, process: Callable[[np.ndarray], Result]
) -> tuple[int, dict[int, Result]]:
    """Decode in order up to frame `last` (None: the end); apply `process` to the wanted
    frames as `(H, W, 3)` uint8 RGB. Returns (frames decoded, {index: result})."""
    cv2 = _import_cv2()
    capture = _open_video(path)
    results: dict[int, Result] = {}
    index = 0
    try:
        while (last is None or index <= last) and capture.grab():
            if index in wanted:
                ok, frame = capture.retrieve()
                if not ok or frame is None:
                    break
                results[index] = process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            index += 1
    finally:
        capture.release()
    return index, results


def sample_video(
    path: str | Path, count: int, process: Callable[[np.ndarray], Result]
) -> dict[int, Result]:
    """`process` applied to `count` evenly spaced frames of a video: {frame index: result}.

    The container's frame count is trusted first; when the video ends before it says,
    the frames are sampled again from the true count (results already computed for
    frames that are sampled again are kept). Raises DataError when the video cannot be
    opened or has no decodable frame.
    """
    path = Path(path)
    reported = _reported_count(path)
    results: dict[int, Result] = {}
    if reported > 0:
        wanted = set(sample_indices(reported, count))
        decoded, results = _decode(path, wanted, max(wanted), process)
        if len(results) == len(wanted):
            return results
    else:
        decoded = _decode(path, set(), None, process)[0]
    wanted = set(sample_indices(decoded, count))
    if not wanted:
        raise DataError("no frame could be decoded")
    kept = {index: results[index] for index in wanted if index in results}
    kept.update(_decode(path, wanted - kept.keys(), max(wanted), process)[1])
    return dict(sorted(kept.items()))
