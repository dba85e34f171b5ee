"""Official test lists (`fairdf prepare split --test-list FILE`).

Two formats are read:

- a text file of lines `label path` or `path`, such as Celeb-DF's
  `List_of_testing_videos.txt` (`1 YouTube-real/00170.mp4`; its labels say 1 = real,
  0 = fake and must be 0 or 1; the path is what counts);
- a JSON object of video name -> entry, such as the `metadata.json` of DFDC's test set.

A listed path matches the videos of faces.csv whose path ends with it, folder by folder,
ignoring the suffix: `YouTube-real/00170.mp4` matches
`Celeb-DF-v2/YouTube-real/00170.mp4`, and a bare DFDC name matches it in any folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from fairdf.errors import DataError
from fairdf.prepare.identities import read_metadata_file

SHARED_POLICIES = ("drop", "test")


@dataclass
class ListOutcome:
    """How a test list was applied, for the report of `prepare split`."""

    path: Path
    listed: int  # entries in the list
    missing: list[str]  # listed paths that match no video with crops
    tested: int  # videos sent to test because they are listed
    shared: list[str] = field(default_factory=list)  # unlisted videos sharing an identity
    policy: str = "drop"  # what happened to `shared`: dropped, or moved to test
    unlisted_dropped: int = 0  # other videos left out because TRAIN and VAL are 0


def _parts(path: str) -> tuple[str, ...]:
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if parts and "." in parts[-1]:
        parts[-1] = PurePosixPath(parts[-1]).stem
    return tuple(parts)


def read_test_list(path: Path) -> list[str]:
    """The listed video paths of a text list or a metadata.json (module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: test list not found; check --test-list")
    if path.suffix.lower() == ".json":
        return [str(name) for name in read_metadata_file(path)]
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the test list ({exc})") from None
    listed = []
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) > 2 or (len(fields) == 2 and fields[0] not in ("0", "1")):
            raise DataError(
                f"{path}, line {number}: expected 'label path' with label 0 or 1, or a "
                f"path, got '{line.strip()}'"
            )
        listed.append(fields[-1])
    if not listed:
        raise DataError(f"{path}: the test list names no video")
    return listed


def match_listed(listed: Sequence[str], videos: Sequence[str]) -> tuple[set[str], list[str]]:
    """(videos matched by some listed path, listed paths that match none)."""
    tails: dict[tuple[str, ...], list[str]] = {}
    for video in dict.fromkeys(videos):
        parts = _parts(video)
        for start in range(len(parts)):
            tails.setdefault(parts[start:], []).append(video)
    matched: set[str] = set()
    missing = []
    for entry in listed:
        found = tails.get(_parts(entry), [])
        matched.update(found)
        if not found:
            missing.append(entry)
    return matched, missing
