"""`RUN_DIR/.lock`: one writer per run directory.

The lock is an `fcntl.flock` on the file, held for the whole training; the file says
who holds it (pid, host, start time) so a refused second run can name the holder. The
kernel releases the lock when its process dies, so a lock file left by a killed run
never blocks the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from pathlib import Path

from fairdf.documents import read_json
from fairdf.errors import DataError, FairdfError

LOCK_FILE = ".lock"


class RunLockedError(FairdfError):
    """Another process is writing the run directory."""


class RunLock:
    """An exclusive lock on a run directory; `acquire()` raises `RunLockedError` if held."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise RunLockedError(self._held_message()) from None
            if _same_file(fd, self.path):  # not unlinked by a releasing holder meanwhile
                break
            os.close(fd)
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": _now()}
        os.ftruncate(fd, 0)
        os.write(fd, (json.dumps(holder) + "\n").encode())
        self._fd = fd
        return self

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()  # while still holding it, so no one else holds this file
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def _held_message(self) -> str:
        try:
            holder = read_json(self.path)
            who = f"pid {holder['pid']} on {holder['host']}, since {holder['since']}"
        except (OSError, ValueError, KeyError, TypeError, DataError):
            who = "another process"
        return (
            f"run directory {self.path.parent} is in use by a running fairdf train ({who}); "
            "wait for it to finish or choose another --out"
        )


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
