"""Atomic file output: a command that fails leaves no half-written file or folder.

A folder is replaced without ever leaving the target path empty where the system allows
it (Linux `renameat2(RENAME_EXCHANGE)` swaps the old and new folder in one step). Elsewhere
the old folder is renamed aside first, so at every instant one complete copy exists under
the target or a hidden sibling name; `fairdf.engine.run_dir` knows how to recover it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, durable: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` atomically.

    Works for files and folders. On error the temporary is removed and `path` is left
    as it was. With `durable`, the new content is flushed to disk (fsync) before the
    switch, so a power loss cannot leave a renamed but empty file.
    """
    target = Path(path)
    if target.name in ("", ".", "..") or Path(os.path.normpath(target)).name != target.name:
        raise ValueError(f"atomic_path: {target} does not name a file or folder of its own")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(target)
    try:
        yield tmp
        if durable:
            fsync_tree(tmp)
        replace_path(tmp, target)
        if durable:
            fsync_tree(target.parent, recursive=False)
    except BaseException:
        remove_path(tmp)
        raise


def temporary_sibling(target: Path, suffix: str = ".tmp") -> Path:
    """A fresh, unused hidden name beside `target`: `.NAME.<random><suffix>` (not created)."""
    # short prefix: the temporary must fit wherever the target's name fits
    fd, name = tempfile.mkstemp(prefix=f".{target.name[:64]}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    os.unlink(name)
    return Path(name)


@contextlib.contextmanager
def scratch_folder(target: str | os.PathLike) -> Iterator[Path]:
    """A hidden working folder beside `target` (`.NAME.<random>.work`), removed on exit.

    Intermediate files stay in the folder the user named rather than the system's
    temporary folder; a process killed outright leaves only this hidden folder.
    """
    folder = temporary_sibling(Path(target), suffix=".work")
    folder.mkdir()
    try:
        yield folder
    finally:
        remove_path(folder)


def replace_path(new: Path, target: Path) -> None:
    """Move `new` to `target`, replacing a file or a folder there.

    A folder is swapped in atomically when the file system can exchange two names, and
    otherwise renamed aside (`.NAME.<random>.old`), replaced, and the old one deleted.
    """
    if not (new.is_dir() and target.is_dir() and not target.is_symlink()):
        os.replace(new, target)
        return
    if exchange_paths(new, target):
        shutil.rmtree(new)  # `new` now holds the old folder
        return
    aside = temporary_sibling(target, suffix=".old")
    os.replace(target, aside)
    os.replace(new, target)
    shutil.rmtree(aside)


def exchange_paths(first: Path, second: Path) -> bool:
    """Swap two existing paths in one atomic step; False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def remove_path(path: Path) -> None:
    """Delete a file or folder if it exists; errors are ignored."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def fsync_tree(path: Path, *, recursive: bool = True) -> None:
    """Flush a file, or a folder's files and the folder itself, to disk."""
    path = Path(path)
    if path.is_dir() and recursive:
        for child in path.iterdir():
            fsync_tree(child)
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot flush a folder
        if not path.is_dir() or exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def write_text_atomic(path: str | os.PathLike, text: str, *, durable: bool = False) -> None:
    with atomic_path(path, durable=durable) as tmp:
        tmp.write_text(text, encoding="utf-8")


def readable_mode(path: str | os.PathLike) -> None:
    """Give `path` the permissions a new file gets from the umask (`0o666 & ~umask`).

    Some writers (safetensors) create files readable by the owner only; this keeps every
    file of an output folder equally readable.
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
