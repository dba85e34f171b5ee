"""The CLI's error boundary: which exceptions a user or the machine caused, and in one line.

`user_message(exc)` returns the one-line message for
- a `FairdfError` (also when re-raised by a PyTorch DataLoader worker, whose wrapper
  hides the original message behind "Caught ImageError in DataLoader worker process 0");
- an `OSError` (read-only or full file system, permission, wrong kind of path, name too
  long, missing file), naming the path and what to do;
- a `UnicodeDecodeError` (a text file that is not UTF-8);
- an image decoder's refusal of an oversized image (PIL's decompression-bomb error);
and None for anything else: a bug, which keeps its traceback.
"""

from __future__ import annotations

import errno
import sys

from fairdf.errors import FairdfError

WORKER_MARK = "in DataLoader worker process"
USER_TYPES = (
    "FairdfError",
    "ManifestError",
    "ImageError",
    "ConfigError",
    "UnknownNameError",
    "CheckpointError",
    "DataError",
    "PathError",
)

_HINTS = {
    errno.EROFS: "the file system is read-only; choose an output on a writable one",
    errno.ENOSPC: "the disk is full; free some space or choose an output on another disk",
    errno.EDQUOT: "the disk quota is exceeded; free some space or choose another output",
    errno.EACCES: "permission denied; fix the permissions or choose another path",
    errno.EPERM: "operation not permitted; fix the permissions or choose another path",
    errno.EISDIR: "it is a folder; give a file name",
    errno.ENOTDIR: "a part of the path is a file, not a folder; check the path",
    errno.ENAMETOOLONG: "the name is too long; choose a shorter path",
    errno.ENOENT: "no such file or folder; check the path",
    errno.EEXIST: "it already exists; choose another path or remove it",
    errno.ENOTEMPTY: "the folder is not empty; choose another path or remove it",
    errno.EMFILE: "too many open files; raise the limit (ulimit -n) or use fewer workers",
    errno.EXDEV: "the temporary and the target are on different file systems",
}


def one_line(message: str) -> str:
    """The first non-empty line of `message`, whitespace collapsed."""
    lines = [line for line in message.splitlines() if line.strip()]
    return " ".join(lines[0].split()) if lines else ""


def _worker_original(message: str) -> tuple[str, str] | None:
    """(type name, message) of the exception a DataLoader worker raised, from its wrapper."""
    if WORKER_MARK not in message.split("\n", 1)[0]:
        return None
    lines = [line for line in message.splitlines() if line.strip()]
    last = lines[-1].strip() if lines else ""
    name, sep, text = last.partition(": ")
    if not sep:
        return None
    return name.rsplit(".", 1)[-1], text


def _os_error(exc: OSError) -> str:
    hint = _HINTS.get(exc.errno or -1, "")
    reason = exc.strerror or type(exc).__name__
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(paths) if paths else "a file"
    return f"{where}: {reason}" + (f"; {hint}" if hint and hint not in reason else "")


def _unicode_error(exc: UnicodeDecodeError) -> str:
    byte = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
    return (
        f"a text file is not valid {exc.encoding} (byte 0x{byte} at position {exc.start}); "
        "save it as UTF-8"
    )


# how torch's zip writer and safetensors report a file they could not write (a full disk)
TORCH_WRITE_FAILURES = ("inline_container", "PytorchStreamWriter", "enforce fail")
FULL_DISK_MARKS = (*TORCH_WRITE_FAILURES, "StorageFull", "code: 28", "No space left")


def writer_error(exc: BaseException) -> bool:
    """True for an error of torch's or safetensors' writer (not an OSError)."""
    return isinstance(exc, RuntimeError) or type(exc).__name__ == "SafetensorError"


def full_disk_mark(exc: BaseException) -> bool:
    return any(mark in str(exc) for mark in FULL_DISK_MARKS)


def _writer_failed(exc: BaseException) -> bool:
    return writer_error(exc) and full_disk_mark(exc)


def _is_bomb(exc: BaseException) -> bool:
    image = sys.modules.get("PIL.Image")
    bomb = getattr(image, "DecompressionBombError", None)
    return bomb is not None and isinstance(exc, bomb)


def user_message(exc: BaseException) -> str | None:
    """The one-line message for an error a user or the machine caused; None for a bug."""
    text = str(exc)
    original = _worker_original(text)
    if original is not None:
        name, message = original
        if isinstance(exc, (FairdfError, OSError)) or name in USER_TYPES:
            return one_line(message)
        return None
    if isinstance(exc, FairdfError):
        return one_line(text) or type(exc).__name__
    if isinstance(exc, OSError):
        return one_line(_os_error(exc))
    if isinstance(exc, UnicodeDecodeError):
        return _unicode_error(exc)
    if _writer_failed(exc):
        return one_line(
            f"could not write the output ({text.strip().splitlines()[0]}): most likely the "
            "disk is full; free some space or choose an output on another disk"
        )
    if _is_bomb(exc):
        return one_line(f"{text}; raise the limit with FAIRDF_MAX_IMAGE_PIXELS if you trust it")
    return None
