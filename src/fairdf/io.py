"""Atomic file output: a command that fails leaves no half-written file or folder."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` atomically.

    Works for files and folders. On error the temporary is removed and `path` is left
    as it was.
    """
    target = Path(path)
    if target.name in ("", ".", "..") or Path(os.path.normpath(target)).name != target.name:
        raise ValueError(f"atomic_path: {target} does not name a file or folder of its own")
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name[:64]}."  # short: the temporary must fit where the target fits
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        yield tmp
        if target.is_dir() and not target.is_symlink() and tmp.is_dir():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
