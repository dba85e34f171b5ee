"""Identities, labels and manipulation methods from the datasets' file naming.

An adapter reads a video's path (relative to the dataset root, e.g.
`manipulated_sequences/Deepfakes/c23/videos/000_003.mp4`) and returns the identities the
video shows, real (0) or fake (1), and the fake's manipulation method. A fake is made
from *every* identity it names, so the split keeps them together.

| adapter  | real                         | fake                                        |
| -------- | ---------------------------- | ------------------------------------------- |
| ffpp     | `000.mp4` -> 000             | `000_003.mp4` -> 000 (target), 003 (source) |
| celebdf  | `id0_0000.mp4` -> id0;       | `id0_id1_0000.mp4` -> id0, id1              |
|          | `00000.mp4` (YouTube) itself |                                             |
| dfd      | `01__talking_angry_couch`    | `01_02__talking_angry_couch__YVGY8LOK`      |
|          | -> actor 01                  | -> actors 01, 02                            |
| dfdc     | `metadata.json` in each folder: label REAL/FAKE (or is_fake 0/1); a fake    |
|          | shares the identity of its `original` (none named: its own identity)       |
| generic  | `real/...` -> the video      | `fake/<method>/...` -> the video            |

Methods: the folder after `manipulated_sequences` when there is one (FF++ and DFD
layout), else the first folder of the path, else the adapter's name for its fakes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fairdf.documents import read_json
from fairdf.errors import DataError, UnknownNameError
from fairdf.prepare.files import IMAGE_SUFFIXES, VIDEO_SUFFIXES, listing

MEDIA_SUFFIXES = VIDEO_SUFFIXES + IMAGE_SUFFIXES


@dataclass(frozen=True)
class MediaInfo:
    """What a video's name tells: identities shown, label (0 real / 1 fake), method."""

    identities: tuple[str, ...]
    label: int
    method: str = ""


def media_stem(video: str) -> str:
    """The video's name without a video or image suffix ('a/000_003.mp4' -> '000_003')."""
    path = PurePosixPath(video)
    return path.stem if path.suffix.lower() in MEDIA_SUFFIXES else path.name


def _method(path: PurePosixPath, default: str) -> str:
    folders = path.parts[:-1]
    if "manipulated_sequences" in folders:
        position = folders.index("manipulated_sequences")
        if position + 1 < len(folders):
            return folders[position + 1]
    return folders[0] if folders else default


class NamingAdapter:
    """Base of the regular-expression adapters: `patterns` = (regex, label, id groups)."""

    name = ""
    expected = ""
    patterns: tuple[tuple[re.Pattern[str], int, tuple[int, ...]], ...] = ()
    prefix = ""

    def __init__(self, videos_root: Path | None = None):
        self.videos_root = videos_root

    def parse(self, video: str) -> MediaInfo:
        """MediaInfo of `video`; ValueError when its name does not fit the scheme."""
        path = PurePosixPath(video)
        stem = media_stem(video)
        for pattern, label, groups in self.patterns:
            match = pattern.fullmatch(stem)
            if match:
                identities = tuple(self.prefix + match.group(g) for g in groups)
                method = _method(path, self.name) if label == 1 else ""
                return MediaInfo(identities, label, method)
        raise ValueError(f"expected {self.expected}")


class FaceForensicsAdapter(NamingAdapter):
    name = "ffpp"
    expected = "'000' (real) or '000_003' (fake: target_source)"
    patterns = (
        (re.compile(r"(\d+)_(\d+)"), 1, (1, 2)),
        (re.compile(r"(\d+)"), 0, (1,)),
    )


class CelebDFAdapter(NamingAdapter):
    name = "celebdf"
    expected = "'id0_0000' (real), 'id0_id1_0000' (fake) or '00000' (YouTube real)"
    patterns = (
        (re.compile(r"(id\d+)_(id\d+)_\d+"), 1, (1, 2)),
        (re.compile(r"(id\d+)_\d+"), 0, (1,)),
        (re.compile(r"(\d+)"), 0, (1,)),
    )

    def parse(self, video: str) -> MediaInfo:
        info = super().parse(video)
        if not info.identities[0].startswith("id"):  # a YouTube video: its own identity
            return MediaInfo((f"youtube-{info.identities[0]}",), 0)
        return MediaInfo(info.identities, info.label, "Celeb-synthesis" if info.label else "")


class DeepFakeDetectionAdapter(NamingAdapter):
    name = "dfd"
    expected = "'01__scene' (real) or '01_02__scene__CODE' (fake)"
    prefix = "actor-"
    patterns = (
        (re.compile(r"(\d+)_(\d+)__.+__[A-Za-z0-9]+"), 1, (1, 2)),
        (re.compile(r"(\d+)__.+"), 0, (1,)),
    )


class GenericAdapter:
    """`real/<...>/<video>` or `fake/<method>/<...>/<video>`; each video its own identity."""

    name = "generic"
    expected = "a path starting with 'real/' or 'fake/<method>/'"

    def __init__(self, videos_root: Path | None = None):
        self.videos_root = videos_root

    def parse(self, video: str) -> MediaInfo:
        parts = PurePosixPath(video).parts
        kind = parts[0].lower() if len(parts) > 1 else ""
        identity = (str(PurePosixPath(video).parent / media_stem(video)),)
        if kind == "real":
            return MediaInfo(identity, 0)
        if kind == "fake":
            return MediaInfo(identity, 1, parts[1] if len(parts) > 2 else "fake")
        raise ValueError(f"expected {self.expected}")


class DFDCAdapter:
    """Labels and originals from the `metadata.json` files under the videos root.

    An entry says `"label": "REAL"` or `"FAKE"` (the training parts) or `"is_fake": 0`
    or `1` (the test set); a fake's `original` names the real video it was made from.
    """

    name = "dfdc"
    method = "DFDC"

    def __init__(self, videos_root: Path | None = None):
        if videos_root is None:
            raise DataError("the dfdc adapter needs --videos, the folder with metadata.json files")
        self.videos_root = Path(videos_root)
        self.entries = self.read_metadata(self.videos_root)
        if not self.entries:
            raise DataError(
                f"{self.videos_root}: no metadata.json found; point --videos at the DFDC folders"
            )

    @staticmethod
    def read_metadata(root: Path) -> dict[str, dict]:
        """Entry per video path relative to `root`, without suffix, from every metadata.json."""
        files = sorted(root.rglob("metadata.json")) if root.is_dir() else []
        entries: dict[str, dict] = {}
        for file in files:
            for name, entry in read_metadata_file(file).items():
                key = (file.parent / name).relative_to(root).as_posix()
                entries[PurePosixPath(key).with_suffix("").as_posix()] = entry
        return entries

    @staticmethod
    def is_real(entry: dict) -> bool | None:
        """True for a real video, False for a fake, None when the entry says neither."""
        label = str(entry.get("label", "")).upper()
        if label in ("REAL", "FAKE"):
            return label == "REAL"
        if str(entry.get("is_fake", "")) in ("0", "1"):
            return str(entry["is_fake"]) == "0"
        return None

    def parse(self, video: str) -> MediaInfo:
        key = str(PurePosixPath(video).parent / media_stem(video))
        entry = self.entries.get(key)
        if not isinstance(entry, dict):
            raise ValueError("no entry in any metadata.json")
        real = self.is_real(entry)
        if real:
            return MediaInfo((PurePosixPath(key).name,), 0)
        if real is False and entry.get("original"):
            return MediaInfo((PurePosixPath(str(entry["original"])).stem,), 1, self.method)
        if real is False:  # the test set names no original: the fake is its own identity
            return MediaInfo((PurePosixPath(key).name,), 1, self.method)
        raise ValueError("metadata entry needs label REAL or FAKE (or is_fake 0 or 1)")


def read_metadata_file(file: Path) -> dict:
    """A DFDC metadata.json: video name -> entry; DataError naming the file otherwise."""
    try:
        table = read_json(file)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{file}: cannot read DFDC metadata ({exc})") from None
    if not isinstance(table, dict):
        raise DataError(f"{file}: expected a JSON object of video name -> entry")
    return table


ADAPTERS = {
    "ffpp": FaceForensicsAdapter,
    "celebdf": CelebDFAdapter,
    "dfd": DeepFakeDetectionAdapter,
    "dfdc": DFDCAdapter,
    "generic": GenericAdapter,
}


def get_adapter(name: str, videos_root: Path | None = None):
    """The adapter registered as `name` (an unknown name lists the valid ones)."""
    if name not in ADAPTERS:
        raise UnknownNameError("dataset adapter", name, list(ADAPTERS))
    return ADAPTERS[name](videos_root)


def parse_videos(adapter, videos: list[str]) -> dict[str, MediaInfo]:
    """MediaInfo per distinct video; DataError listing every name that does not parse."""
    parsed: dict[str, MediaInfo] = {}
    failures = []
    for video in dict.fromkeys(videos):
        try:
            parsed[video] = adapter.parse(video)
        except ValueError as exc:
            failures.append(f"{video} ({exc})")
    if failures:
        raise DataError(
            f"{len(failures)} video name(s) do not fit the '{adapter.name}' naming: "
            f"{listing(failures)}; pick another --dataset or rename them"
        )
    return parsed
