"""Sample frames from videos (`fairdf prepare frames`).

Layout: `OUT/<video path relative to VIDEOS, without suffix>/<frame index 0000>.png`, so
dataset naming (folders and video names) is preserved. Each video's folder is written
atomically (a temporary folder renamed when the video is done), so an existing folder is
complete and a rerun skips it. `OUT/frames.csv` (video, frame, image) is written last;
videos that cannot be decoded are listed in `OUT/unreadable_videos.csv`. Which videos
are taken follows the dataset's layout (`fairdf.prepare.layouts`); the other files under
VIDEOS are listed, with the reason, in `OUT/unmatched_files.csv`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fairdf.errors import ConfigError, DataError
from fairdf.io import atomic_path
from fairdf.paths import derived_output, remove_empty_tree
from fairdf.prepare.files import (
    VIDEO_SUFFIXES,
    base_folder,
    check_distinct_outputs,
    relative_key,
    without_suffix,
    write_bgr,
    write_table,
)
from fairdf.prepare.layouts import LayoutChoice, select_videos
from fairdf.prepare.parallel import run_jobs

FRAMES_INDEX = "frames.csv"
UNREADABLE_VIDEOS = "unreadable_videos.csv"
UNMATCHED_FILES = "unmatched_files.csv"


@dataclass(frozen=True)
class FrameSampling:
    """Which frames to keep: `count` evenly spaced ones, or every `every`-th one."""

    count: int = 32
    every: int | None = None
    image_format: str = "png"

    def __post_init__(self) -> None:
        if self.every is not None and self.every < 1:
            raise ConfigError(f"--every must be at least 1, got {self.every}")
        if self.every is None and self.count < 1:
            raise ConfigError(f"--count must be at least 1, got {self.count}")


@dataclass
class VideoResult:
    video: str
    frames: list[int] = field(default_factory=list)
    error: str | None = None
    skipped: bool = False


@dataclass
class FramesSummary:
    videos: int
    extracted: int
    kept: int
    frames: int
    unreadable: list[tuple[str, str]]
    index: Path
    layout: str = "any"
    compression: str = ""
    unmatched: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    unmatched_list: Path | None = None


def sample_indices(n_frames: int, count: int) -> list[int]:
    """`count` evenly spaced frame indices in 0..n_frames-1, first and last included."""
    if n_frames <= count:
        return list(range(n_frames))
    return np.linspace(0, n_frames - 1, count).round().astype(int).tolist()


def _open(path: Path):
    import cv2

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise DataError("cannot open the video (corrupt, empty or unsupported codec)")
    return capture


def _decode(
    path: Path, keep: Callable[[int], bool], last: int | None, out: Path, suffix: str
) -> tuple[int, list[int]]:
    """Decode in order up to frame `last`, write the kept frames; return (decoded, kept)."""
    capture = _open(path)
    kept: list[int] = []
    index = 0
    try:
        while (last is None or index <= last) and capture.grab():
            if keep(index):
                ok, frame = capture.retrieve()
                if not ok or frame is None:
                    break
                write_bgr(out / f"{index:04d}{suffix}", frame)
                kept.append(index)
            index += 1
    finally:
        capture.release()
    return index, kept


def _reported_count(path: Path) -> int:
    import cv2

    capture = _open(path)
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()


def extract_frames(path: Path, out: Path, sampling: FrameSampling) -> list[int]:
    """Write the sampled frames of video `path` into folder `out`; return their indices.

    The container's frame count is trusted first; when the video ends before it says, the
    true count is now known and the frames are sampled again from it.
    """
    suffix = f".{sampling.image_format}"
    if sampling.every is not None:
        every = sampling.every
        kept = _decode(path, lambda i: i % every == 0, None, out, suffix)[1]
    else:
        kept = _sample_evenly(path, out, sampling.count, suffix)
    if not kept:
        raise DataError("no frame could be decoded")
    return kept


def _sample_evenly(path: Path, out: Path, count: int, suffix: str) -> list[int]:
    reported = _reported_count(path)
    if reported > 0:
        wanted = set(sample_indices(reported, count))
        decoded, kept = _decode(path, wanted.__contains__, max(wanted), out, suffix)
        if len(kept) == len(wanted):
            return kept
        for written in out.iterdir():  # the video ended early: `decoded` is its length
            written.unlink()
    else:
        decoded = _decode(path, lambda i: False, None, out, suffix)[0]
    wanted = set(sample_indices(decoded, count))
    return _decode(path, wanted.__contains__, None, out, suffix)[1] if wanted else []


def _frames_job(job: tuple[Path, str, Path, FrameSampling, bool]) -> VideoResult:
    """Extract one video into its own folder, atomically (worker entry point)."""
    import cv2

    path, video, target, sampling, overwrite = job
    if target.is_dir() and not overwrite:
        return VideoResult(video, _existing_frames(target, sampling), skipped=True)
    try:
        with atomic_path(target) as tmp:
            tmp.mkdir()
            frames = extract_frames(path, tmp, sampling)
        return VideoResult(video, frames)
    except (DataError, cv2.error, OSError) as exc:
        return VideoResult(video, error=str(exc).strip().splitlines()[0])


def _existing_frames(folder: Path, sampling: FrameSampling) -> list[int]:
    suffix = f".{sampling.image_format}"
    return sorted(int(p.stem) for p in folder.iterdir() if p.suffix == suffix and p.stem.isdigit())


def prepare_frames(
    videos: Path,
    out: Path,
    sampling: FrameSampling,
    workers: int = 1,
    overwrite: bool = False,
    choice: LayoutChoice | None = None,
) -> FramesSummary:
    """Sample frames from the videos under `videos` into `out` (see module docstring)."""
    videos, out = Path(videos), Path(out)
    created = not out.exists()
    selection = select_videos(videos, choice or LayoutChoice(), exclude=out)
    paths = selection.videos
    if not paths:
        raise DataError(f"{videos}: not a video file ({', '.join(VIDEO_SUFFIXES)})")
    root = base_folder(videos)
    names = [relative_key(p, root) for p in paths]
    check_distinct_outputs(names, "videos")
    jobs = [
        (path, name, derived_output(out, without_suffix(name), str(path)), sampling, overwrite)
        for path, name in zip(paths, names, strict=True)
    ]
    results = sorted(run_jobs(_frames_job, jobs, workers, "frames", "video"), key=lambda r: r.video)
    unreadable = [(r.video, r.error or "") for r in results if r.error is not None]
    if len(unreadable) == len(results):
        if created:
            remove_empty_tree(out)  # leave no empty OUT behind
        raise DataError(
            f"none of the {len(results)} video(s) could be read; first: "
            f"{unreadable[0][0]} ({unreadable[0][1]})"
        )
    rows = [
        (r.video, frame, f"{without_suffix(r.video)}/{frame:04d}.{sampling.image_format}")
        for r in results
        for frame in r.frames
    ]
    _write_list(out / UNREADABLE_VIDEOS, unreadable, ["video", "reason"])
    _write_list(out / UNMATCHED_FILES, selection.unmatched, ["file", "reason"])
    index = write_table(pd.DataFrame(rows, columns=["video", "frame", "image"]), out / FRAMES_INDEX)
    return FramesSummary(
        videos=len(results),
        extracted=sum(1 for r in results if r.error is None and not r.skipped),
        kept=sum(1 for r in results if r.skipped),
        frames=len(rows),
        unreadable=unreadable,
        index=index,
        layout=selection.layout,
        compression=selection.compression,
        unmatched=selection.unmatched,
        unmatched_list=out / UNMATCHED_FILES if selection.unmatched else None,
    )


def _write_list(path: Path, items: list[tuple[str, str]], columns: list[str]) -> None:
    if items:
        write_table(pd.DataFrame(items, columns=columns), path)
    elif path.exists():
        path.unlink()
