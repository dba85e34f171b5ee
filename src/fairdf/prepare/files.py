"""File helpers shared by the prepare steps: discovery, image I/O, CSV tables, paths.

Every CSV that `fairdf prepare` writes stores paths relative to the CSV's own folder
(the rule manifests follow too), so a prepared dataset can be moved as a whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fairdf import paths
from fairdf.data.pixels import check_size, header_size
from fairdf.errors import DataError, ImageError
from fairdf.io import atomic_path

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
MAX_LISTED = 5


def find_files(root: Path, suffixes: Sequence[str], exclude: Path | None = None) -> list[Path]:
    """Files under `root` (or `root` itself) with one of `suffixes`, sorted.

    Hidden files and folders (names starting with '.', e.g. unfinished temporaries) and
    anything under `exclude` are skipped.
    """
    root = Path(root)
    if root.is_file():
        return [root] if root.suffix.lower() in suffixes else []
    if not root.is_dir():
        raise DataError(f"{root}: no such file or folder; check the path")
    excluded = exclude.resolve() if exclude is not None else None
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() not in suffixes or not path.is_file():
            continue
        if excluded is not None and path.resolve().is_relative_to(excluded):
            continue
        found.append(path)
    return sorted(found)


def check_distinct_outputs(names: Sequence[str], what: str) -> None:
    """Refuse inputs that differ only by suffix ('a.mp4', 'a.avi'): they share an output."""
    seen: dict[str, str] = {}
    clashes = []
    for name in names:
        stem = without_suffix(name)
        if stem in seen:
            clashes.append(f"{seen[stem]} and {name}")
        seen[stem] = name
    if clashes:
        raise DataError(
            f"{len(clashes)} pair(s) of {what} would share an output name: "
            f"{listing(clashes)}; rename one of each pair"
        )


def base_folder(root: Path) -> Path:
    """The folder that relative names are taken from: `root`, or its parent for a file."""
    root = Path(root)
    return root.parent if root.is_file() else root


def relative_key(path: Path, root: Path) -> str:
    """`path` relative to `root` as a POSIX string (the name datasets are keyed by)."""
    return Path(path).relative_to(root).as_posix()


def to_relative(path: Path, folder: Path) -> str:
    """`path` written relative to `folder` (absolute when no relative form exists)."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path(folder).resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).resolve().as_posix()


def resolve(folder: Path, text: str) -> Path:
    """A path read from a CSV in `folder` (relative paths are relative to `folder`)."""
    path = Path(text.strip()).expanduser()
    return (path if path.is_absolute() else Path(folder) / path).resolve()


def without_suffix(key: str) -> str:
    """'a/b/000_003.mp4' -> 'a/b/000_003'; '...mp4' stays whole (its stem '..' is unsafe)."""
    return paths.without_suffix(Path(key).as_posix())


def read_rgb(path: Path) -> np.ndarray:
    """Decode an image file -> `(H, W, 3)` uint8 RGB; raise ImageError naming the file."""
    import cv2

    size = header_size(path)  # refuse oversized images before OpenCV decodes them
    if size is not None:
        check_size(path, *size)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise ImageError(f"cannot read image {path} ({exc.strerror})") from None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise ImageError(f"cannot decode image {path}; replace or remove it")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def write_image(path: Path, rgb: np.ndarray) -> None:
    """Encode `(H, W, 3)` uint8 RGB by the file's suffix and write it atomically."""
    import cv2

    ok, data = cv2.imencode(Path(path).suffix, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ImageError(f"cannot encode image {path}")
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.tobytes())


def write_bgr(path: Path, bgr: np.ndarray) -> None:
    """Write an OpenCV BGR frame (no colour conversion) to `path`."""
    import cv2

    ok, data = cv2.imencode(Path(path).suffix, bgr)
    if not ok:
        raise ImageError(f"cannot encode image {path}")
    Path(path).write_bytes(data.tobytes())


def read_table(path: Path, required: Iterable[str], what: str) -> pd.DataFrame:
    """Read a CSV as strings; raise DataError when it is missing, unreadable or lacks columns."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: {what} not found; check the path")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: {what} is empty; expected a CSV with a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot read {what} as CSV ({reason})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: {what} lacks column(s) {', '.join(missing)} "
            f"(header has: {', '.join(frame.columns)})"
        )
    return frame


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Write `frame` as CSV atomically (no index column)."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return Path(path)


def listing(items: Sequence[str], limit: int = MAX_LISTED) -> str:
    """'a, b, c' or 'a, b, c, ... (12 in all)' for messages."""
    shown = ", ".join(str(item) for item in items[:limit])
    return shown if len(items) <= limit else f"{shown}, ... ({len(items)} in all)"
