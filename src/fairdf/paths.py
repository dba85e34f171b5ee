"""Output-path policy: every path a command writes is checked before the first write.

Rules (see docs/errors.md):

- A named output (`--out`, `--json`, `OUT`) must be of the right kind if it exists (a file
  for a file output, a folder for a folder output) and its parent must be an existing,
  writable folder, or be missing one level only: fairdf creates the named output and, at
  most, the one folder that holds it (`out/report.html` creates `out/` when it is missing
  in an existing folder); a longer chain of missing folders is refused with the
  `mkdir -p` to run.
- An output derived from an input's name (a video, an image, a manifest) is a relative
  path of plain components under the named output folder: no empty, `.` or `..` part,
  no absolute part, and it must not leave the folder through a symbolic link. A name
  whose stem would be `.` or `..` keeps its suffix (`...mp4` gives `OUT/...mp4/`).

Nothing here writes; the checks raise `PathError` with a one-line message.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path, PurePosixPath

from fairdf.errors import PathError

NAME_MAX = 255  # bytes per path component on common file systems
TEMPORARY_MARGIN = 24  # room for the `.NAME.XXXXXXXX.tmp` temporaries of fairdf.io


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return NAME_MAX


def _check_names(path: Path, what: str) -> None:
    for part in path.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise PathError(
                f"{what} {path}: the name '{part[:40]}...' is longer than {NAME_MAX} bytes; "
                "choose a shorter name"
            )


def _check_parent(path: Path, what: str) -> None:
    parent = path.parent
    kind = _first_non_folder(parent)
    if kind is not None:
        raise PathError(f"{what} {path}: {kind} is a file, not a folder; choose another path")
    if not parent.exists():
        if not parent.parent.is_dir():  # only the output's own folder may be missing
            raise PathError(
                f"{what} {path}: folder {parent.parent} does not exist; create it first "
                f"(mkdir -p {parent.parent}) or choose another path"
            )
        parent = parent.parent  # `parent` will be created inside it: that must be writable
    if not parent.is_dir():
        raise PathError(f"{what} {path}: {parent} is a file, not a folder; choose another path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PathError(
            f"{what} {path}: folder {parent} is not writable; choose another path or "
            "fix its permissions"
        )
    limit = _name_max(parent)
    if len(os.fsencode(path.name)) > limit:
        raise PathError(
            f"{what} {path}: the name is longer than {limit} bytes; choose a shorter name"
        )


def _first_non_folder(folder: Path) -> Path | None:
    """The first ancestor of `folder` (or itself) that exists but is not a folder."""
    for ancestor in [*reversed(folder.parents), folder]:
        if ancestor.exists() and not ancestor.is_dir():
            return ancestor
    return None


def check_output_file(path: str | os.PathLike, what: str = "output") -> Path:
    """Check that file `path` can be written (created or replaced); return it absolute."""
    target = Path(path).expanduser().absolute()
    _check_names(target, what)
    if target.is_dir():
        raise PathError(f"{what} {target} is a folder; give a file name inside it or another path")
    if target.exists() and not target.is_file():
        raise PathError(f"{what} {target} exists and is not a regular file; choose another path")
    _check_parent(target, what)
    return target


def check_output_folder(
    path: str | os.PathLike, what: str = "output folder", must_not_exist: bool = False
) -> Path:
    """Check that folder `path` can be created (or, unless `must_not_exist`, written into)."""
    target = Path(path).expanduser().absolute()
    _check_names(target, what)
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            raise PathError(f"{what} {target} is a file, not a folder; choose another path")
        if must_not_exist:
            raise PathError(f"{what} {target} exists; choose another path or remove it")
        if not os.access(target, os.W_OK | os.X_OK):
            raise PathError(
                f"{what} {target} is not writable; choose another path or fix its permissions"
            )
        return target
    _check_parent(target, what)
    return target


def unsafe_reason(relative: str) -> str | None:
    """Why `relative` (a POSIX path from an input name) cannot name an output, or None."""
    if not relative or "\\" in relative or "\x00" in relative:
        return "it is empty or holds a backslash or NUL"
    if relative.startswith("/") or PurePosixPath(relative).is_absolute():
        return "it is an absolute path"
    parts = relative.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            return f"it has a '{part or '(empty)'}' component"
        if len(os.fsencode(part)) > NAME_MAX - TEMPORARY_MARGIN:
            return f"the component '{part[:40]}...' is too long"
    return None


def derived_output(out: str | os.PathLike, relative: str, source: str) -> Path:
    """`out/relative`, refused (PathError naming `source`) unless it stays inside `out`."""
    reason = unsafe_reason(relative)
    if reason is None:
        root = Path(out).expanduser().resolve()
        target = root.joinpath(*relative.split("/"))
        if not target.resolve().is_relative_to(root):
            reason = "a symbolic link under the output folder leads out of it"
    if reason is not None:
        raise PathError(
            f"{source}: cannot derive a safe output name '{relative}' under {out} ({reason}); "
            "rename the input"
        )
    return Path(out) / Path(*relative.split("/"))


def without_suffix(name: str) -> str:
    """'a/b/clip.mp4' -> 'a/b/clip'; a last part that would become empty stays whole."""
    head, _, last = name.rpartition("/")
    stem = PurePosixPath(last).stem if PurePosixPath(last).suffix else last
    stem = stem if stem.strip(".") else last
    return f"{head}/{stem}" if head else stem


def safe_stem(path: str | os.PathLike) -> str:
    """A file name's stem fit to name an output ('...csv' -> 'csv', '' -> '_')."""
    stem = Path(path).stem if Path(path).suffix else Path(path).name
    cleaned = stem.strip(". ") or Path(path).name.strip(". ") or "_"
    cleaned = cleaned.replace("/", "_").replace("\\", "_")
    return cleaned if cleaned not in (".", "..") else "_"


def remove_empty_tree(folder: str | os.PathLike) -> None:
    """Remove `folder` and its sub-folders when they hold no file (never removes a file)."""
    root = Path(folder)
    if not root.is_dir() or root.is_symlink():
        return
    for current, _, _ in sorted(os.walk(root), key=lambda entry: -len(entry[0])):
        with contextlib.suppress(OSError):  # not empty: keep it
            os.rmdir(current)
