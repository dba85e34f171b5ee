"""The datasets' published folder layouts (`fairdf prepare frames --layout`).

| layout    | real videos                                 | fake videos                                      |
| --------- | ------------------------------------------- | ------------------------------------------------ |
| `ffpp`    | `original_sequences/youtube/<c>/videos/`    | `manipulated_sequences/<method>/<c>/videos/`     |
| `dfd`     | `original_sequences/actors/<c>/videos/`     | `manipulated_sequences/DeepFakeDetection/<c>/videos/` |
| `celebdf` | `Celeb-real/`, `YouTube-real/`              | `Celeb-synthesis/`                               |
| `dfdc`    | named `REAL` in the `metadata.json` of their folder | named `FAKE` there                       |
| `any`     | every video file                            |                                                  |

`<c>` is the compression, `raw`, `c23` or `c40`. FF++ and DFD may sit in one tree (the
FF++ download script puts them together); the layouts keep them apart. Files of a
layout that are not videos (`List_of_testing_videos.txt`, `metadata.json`) are known;
every other file is "unmatched", listed with the reason, never silently taken or dropped.
`auto` picks the one layout that matches some video, or `any` when none does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from fairdf.errors import ConfigError, DataError
from fairdf.prepare.files import VIDEO_SUFFIXES, listing

COMPRESSIONS = ("raw", "c23", "c40")
LAYOUTS = ("auto", "any", "ffpp", "dfd", "celebdf", "dfdc")
DFD_METHOD = "DeepFakeDetection"
CELEBDF_FOLDERS = {"celeb-real": "", "youtube-real": "", "celeb-synthesis": "Celeb-synthesis"}
COMPANIONS = {"celebdf": "List_of_testing_videos.txt", "dfdc": "metadata.json"}
DESCRIPTIONS = {
    "ffpp": "original_sequences/youtube/<c>/videos, manipulated_sequences/<method>/<c>/videos",
    "dfd": "original_sequences/actors/<c>/videos, "
    "manipulated_sequences/DeepFakeDetection/<c>/videos",
    "celebdf": "Celeb-real, YouTube-real, Celeb-synthesis",
    "dfdc": "videos named in the metadata.json of their folder",
}


@dataclass(frozen=True)
class Placement:
    """Where a video sits in its layout: fake method ('' for real) and compression."""

    method: str = ""
    compression: str = ""


@dataclass(frozen=True)
class LayoutChoice:
    """What `prepare frames` takes from a dataset root (its options)."""

    layout: str = "auto"
    compression: str | None = None
    methods: tuple[str, ...] = ()


@dataclass
class Selection:
    layout: str
    videos: list[Path]
    unmatched: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    compression: str = ""


def _ffpp_like(parts: tuple[str, ...], originals: str, dfd: bool) -> Placement | None:
    for position, part in enumerate(parts[:-1]):
        if part in ("original_sequences", "manipulated_sequences"):
            rest = parts[position + 1 :]
            break
    else:
        return None
    if len(rest) != 4 or rest[1] not in COMPRESSIONS or rest[2] != "videos":
        return None
    if part == "original_sequences":
        return Placement("", rest[1]) if rest[0] == originals else None
    return Placement(rest[0], rest[1]) if (rest[0] == DFD_METHOD) == dfd else None


def _celebdf(parts: tuple[str, ...]) -> Placement | None:
    if len(parts) < 2 or parts[-2].lower() not in CELEBDF_FOLDERS:
        return None
    return Placement(CELEBDF_FOLDERS[parts[-2].lower()])


def _dfdc_classifier(root: Path) -> Callable[[tuple[str, ...]], Placement | None]:
    from fairdf.prepare.identities import DFDCAdapter

    entries = DFDCAdapter.read_metadata(root)

    def classify(parts: tuple[str, ...]) -> Placement | None:
        entry = entries.get(PurePosixPath(*parts).with_suffix("").as_posix())
        if not isinstance(entry, dict):
            return None
        return Placement("" if DFDCAdapter.is_real(entry) else DFDCAdapter.method)

    return classify


def classifier(layout: str, root: Path) -> Callable[[tuple[str, ...]], Placement | None]:
    """Placement of a video's path parts (relative to `root`) in `layout`, or None."""
    if layout == "ffpp":
        return lambda parts: _ffpp_like(parts, "youtube", dfd=False)
    if layout == "dfd":
        return lambda parts: _ffpp_like(parts, "actors", dfd=True)
    if layout == "celebdf":
        return _celebdf
    if layout == "dfdc":
        return _dfdc_classifier(root)
    return lambda parts: Placement()


def _all_files(root: Path, exclude: Path | None) -> list[tuple[Path, tuple[str, ...]]]:
    excluded = exclude.resolve() if exclude is not None else None
    found = []
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") for part in parts) or not path.is_file():
            continue
        if excluded is not None and path.resolve().is_relative_to(excluded):
            continue
        found.append((path, parts))
    return found


def _is_video(parts: tuple[str, ...]) -> bool:
    return PurePosixPath(parts[-1]).suffix.lower() in VIDEO_SUFFIXES


def detect_layout(root: Path, files: list[tuple[Path, tuple[str, ...]]]) -> str:
    """The one layout that some video under `root` fits; 'any' when none; else an error."""
    videos = [parts for _, parts in files if _is_video(parts)]
    has_metadata = any(parts[-1] == COMPANIONS["dfdc"] for _, parts in files)
    found = []
    for layout in ("ffpp", "dfd", "celebdf", "dfdc"):
        if layout == "dfdc" and not has_metadata:
            continue
        try:
            classify = classifier(layout, root)
        except DataError:  # a metadata.json that is not DFDC's: not this layout
            continue
        if any(classify(parts) is not None for parts in videos):
            found.append(layout)
    if len(found) > 1:
        raise DataError(
            f"{root}: videos of several layouts ({', '.join(found)}); name one with "
            f"--layout (or point at a folder holding one dataset)"
        )
    return found[0] if found else "any"


def _placed(
    root: Path, files: list[tuple[Path, tuple[str, ...]]], layout: str
) -> tuple[dict[Path, Placement], list[tuple[str, str]]]:
    classify = classifier(layout, root)
    placed: dict[Path, Placement] = {}
    unmatched = []
    for path, parts in files:
        where = classify(parts) if _is_video(parts) else None
        if where is not None:
            placed[path] = where
        elif parts[-1] != COMPANIONS.get(layout):
            reason = f"not in the {layout} layout" if _is_video(parts) else "not a video"
            unmatched.append((PurePosixPath(*parts).as_posix(), reason))
    return placed, unmatched


def _compression(
    placed: dict[Path, Placement], wanted: str | None, root: Path
) -> tuple[str, dict[Path, Placement], list[tuple[Path, str]]]:
    found = sorted({p.compression for p in placed.values()})
    if wanted is None:
        if len(found) > 1:
            raise DataError(
                f"{root}: videos in several compressions ({', '.join(found)}); choose one "
                f"with --compression so that no video enters twice"
            )
        return (found[0] if found else ""), placed, []
    if wanted not in found:
        raise DataError(
            f"{root}: no video in compression {wanted} (found: {', '.join(found)}); "
            f"check --compression"
        )
    kept = {path: p for path, p in placed.items() if p.compression == wanted}
    left = [(path, f"compression {p.compression} (--compression {wanted})") for path, p in
            placed.items() if p.compression != wanted]  # fmt: skip
    return wanted, kept, left


def _methods(
    placed: dict[Path, Placement], wanted: Sequence[str], root: Path
) -> tuple[dict[Path, Placement], list[tuple[Path, str]]]:
    if not wanted:
        return placed, []
    found = sorted({p.method for p in placed.values() if p.method})
    missing = [name for name in wanted if name not in found]
    if missing:
        raise DataError(
            f"{root}: --methods {', '.join(missing)} not found (methods here: "
            f"{', '.join(found) or 'none'}); check the names"
        )
    kept = {path: p for path, p in placed.items() if not p.method or p.method in wanted}
    left = [(path, f"method {p.method} (not in --methods)") for path, p in placed.items()
            if path not in kept]  # fmt: skip
    return kept, left


def _examples(unmatched: list[tuple[str, str]]) -> str:
    return f", e.g. {listing([name for name, _ in unmatched], 3)}" if unmatched else ""


def _check_choice(choice: LayoutChoice) -> None:
    if choice.layout not in LAYOUTS:
        raise ConfigError(f"unknown --layout '{choice.layout}'; valid: {', '.join(LAYOUTS)}")
    if choice.compression is not None and choice.compression not in COMPRESSIONS:
        raise ConfigError(
            f"unknown --compression '{choice.compression}'; valid: {', '.join(COMPRESSIONS)}"
        )


def select_videos(root: Path, choice: LayoutChoice, exclude: Path | None = None) -> Selection:
    """The videos under `root` that `choice` takes, and every other file with its reason."""
    _check_choice(choice)
    root = Path(root)
    if not root.exists():
        raise DataError(f"{root}: no such file or folder; check the path")
    if root.is_file():
        return Selection("any", [root] if _is_video((root.name,)) else [])
    files = _all_files(root, exclude)
    layout = detect_layout(root, files) if choice.layout == "auto" else choice.layout
    if layout in ("any", "celebdf", "dfdc") and choice.compression is not None:
        raise ConfigError(f"--compression applies to the ffpp and dfd layouts, not {layout}")
    placed, unmatched = _placed(root, files, layout)
    compression, placed, by_compression = _compression(placed, choice.compression, root)
    placed, by_method = _methods(placed, choice.methods, root)
    if not placed:
        raise DataError(
            f"{root}: no video fits the {layout} layout ({DESCRIPTIONS.get(layout, 'videos')}); "
            f"{len(files)} file(s) found{_examples(unmatched)}; check the folder or --layout"
        )
    for path, reason in by_compression + by_method:
        unmatched.append((path.relative_to(root).as_posix(), reason))
    return Selection(layout, sorted(placed), sorted(unmatched), compression)
