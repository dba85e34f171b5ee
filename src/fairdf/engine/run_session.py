"""Opening a run directory for training: checks, the lock, repairs, clean-up on failure.

A fresh run needs a missing or empty folder (a stale `.lock` or hidden temporaries of a
killed run count as empty and are removed). A resume locks the folder, then repairs what
a kill left (see `fairdf.engine.run_dir`) and says so. Nothing of a fresh run that fails
or is interrupted before its first checkpoint is left behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fairdf.boundary import full_disk_mark, writer_error
from fairdf.config import RunConfig, dump_config, load_config
from fairdf.engine import run_dir as layout
from fairdf.engine.resume import check_changes, check_epochs, config_changes
from fairdf.engine.run_lock import RunLock
from fairdf.errors import ConfigError, FairdfError
from fairdf.io import remove_path, write_text_atomic


class RunDirError(FairdfError):
    """The run directory cannot be written (permissions, full disk, wrong kind of path)."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; says what was kept and how to continue."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def restarted_run(run_dir: Path, config: RunConfig) -> bool:
    """Whether torchrun restarted this worker (TorchElastic's TORCHELASTIC_RESTART_COUNT > 0)
    into a folder that holds this run (same config): then it continues from `last/`."""
    if int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")) <= 0:
        return False
    saved = run_dir / layout.CONFIG_FILE
    try:
        return saved.is_file() and not config_changes(load_config(saved), config)
    except (FairdfError, OSError):
        return False


def resume_command(run_dir: Path) -> str:
    return f"fairdf train --resume {shlex.quote(str(run_dir))}"


class RunSession:
    """One training's hold on its run directory (only the main process writes)."""

    def __init__(self, run_dir: Path, *, resume: bool, writer: bool, notify: Callable):
        self.run_dir, self.resume, self.writer, self.notify = run_dir, resume, writer, notify
        self.lock = RunLock(run_dir)
        self.created_root: Path | None = None  # first folder this session created
        self.completed = 0  # epochs safely in checkpoints/last
        self.epochs = 0
        self.changes: dict[str, tuple[Any, Any]] = {}
        self.repairs: list[str] = []
        self.restarted = False  # a torchrun restart continues the run (`restarted_run`)

    # -- before any write --------------------------------------------------------------
    def check(self, config: RunConfig) -> None:
        """Refuse a wrong target before the (slow) model is built."""
        self.epochs = config.train.epochs
        if self.run_dir.exists() and not self.run_dir.is_dir():
            raise RunDirError(f"{self.run_dir} is a file, not a folder; give a folder path")
        if self.resume:
            saved = self.run_dir / layout.CONFIG_FILE
            if not saved.is_file():
                raise ConfigError(
                    f"cannot resume: {saved} not found; is {self.run_dir} a fairdf run "
                    "directory? (a run killed before it wrote config.yaml is started again "
                    "with --config C --out RUN)"
                )
            self.changes = config_changes(load_config(saved), config)
            check_changes(self.changes, str(self.run_dir))
        else:
            self._check_empty()
        if self.writer and self.run_dir.is_dir():  # refuse a second writer before the slow part
            with self.writing(self.run_dir):
                self.lock.acquire()

    def _check_empty(self) -> None:
        if not self.run_dir.is_dir():
            return
        content = [p for p in self.run_dir.iterdir() if not layout.is_leftover(p)]
        if (self.run_dir / layout.CONFIG_FILE).is_file():
            raise ConfigError(
                f"run directory {self.run_dir} already holds a run; continue it with "
                f"{resume_command(self.run_dir)} or choose another --out"
            )
        if content:
            raise ConfigError(
                f"run directory {self.run_dir} exists and is not empty; use --resume or "
                "another --out"
            )

    # -- opening -------------------------------------------------------------------------
    def open(self, config: RunConfig) -> None:
        """Create (fresh) or repair (resume) the folder, holding the lock from here on."""
        if not self.writer:
            return
        with self.writing(self.run_dir):
            if not self.resume:
                self.created_root = _first_missing(self.run_dir)
                self.run_dir.mkdir(parents=True, exist_ok=True)
            if not self.lock.held:
                self.lock.acquire()
            self.repairs += layout.recover_checkpoints(self.run_dir)
            self.repairs += layout.remove_temporaries(self.run_dir)
            if not self.resume:
                self._check_empty()
                for path in [p for p in self.run_dir.iterdir() if p.name != layout.LOCK_FILE]:
                    remove_path(path)
                    self.repairs.append(f"removed the leftover {path.name}")
                write_text_atomic(
                    self.run_dir / layout.CONFIG_FILE, dump_config(config), durable=True
                )
                layout.write_run_record(self.run_dir)
        for line in self.repairs:
            self.notify(f"repaired: {line}")

    def start_resume(self, config: RunConfig, done: int, repairs: list[str]) -> bool:
        """After loading `last/`: record the resume; False when there is nothing to train."""
        self.completed = done
        for line in repairs:
            self.notify(f"repaired: {line}")
        self.repairs += repairs
        check_epochs(config.train.epochs, done, str(self.run_dir))
        if done == config.train.epochs:
            self.notify(
                f"{self.run_dir} is finished at epoch {done} of {done}; to train longer: "
                f"{resume_command(self.run_dir)} --set train.epochs=N (N > {done})"
            )
            return False
        for key, (old, new) in self.changes.items():
            self.notify(f"changed on resume: {key} {old!r} -> {new!r}")
        why = " after torchrun restarted the workers" if self.restarted else ""
        self.notify(
            f"resuming {self.run_dir}{why}: epochs {done + 1} to {config.train.epochs}"
            if done
            else f"resuming {self.run_dir}{why}: no complete epoch yet, starting at epoch 1"
        )
        if self.writer:
            with self.writing(self.run_dir):
                if self.changes:
                    text = dump_config(config)
                    write_text_atomic(self.run_dir / layout.CONFIG_FILE, text, durable=True)
                layout.write_run_record(self.run_dir, resume=self._resume_record(config, done))
        return True

    def _resume_record(self, config: RunConfig, done: int) -> dict[str, Any]:
        return {
            "from_epoch": done,
            "to_epoch": config.train.epochs,
            "changed": {key: list(values) for key, values in self.changes.items()},
            "repaired": list(self.repairs),
        }

    # -- writing, failing, closing -------------------------------------------------------
    @contextlib.contextmanager
    def writing(self, path: Path) -> Iterator[None]:
        """Turn a failed write (permissions, full disk, wrong path) into a one-line error."""
        try:
            yield
        except OSError as exc:
            raise RunDirError(self._write_message(exc, path)) from None
        except Exception as exc:  # torch.save and safetensors report failed writes so
            if not _failed_write(exc):
                raise
            raise RunDirError(self._write_message(exc, path)) from None

    def _write_message(self, exc: Exception, path: Path) -> str:
        where = getattr(exc, "filename", None) or path
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[-1].strip()
        code = getattr(exc, "errno", None)
        if code == errno.ENOSPC or "space" in reason.lower() or full_disk_mark(exc):
            then = (f"then {resume_command(self.run_dir)}" if self.completed or self.resume
                    else "then start again")  # fmt: skip
            return (
                f"cannot write {where}: no space left on the device ({self._space()}); "
                f"free some space, {then}"
            )
        if code in (errno.EACCES, errno.EPERM, errno.EROFS):
            return f"cannot write {where}: {reason}; choose a writable --out"
        return f"cannot write {where}: {reason}; check the path given to --out"

    def _space(self) -> str:
        """'a checkpoint needs about N bytes, M bytes free' (the parts that are known)."""
        last = self.run_dir / layout.CHECKPOINTS / "last"
        needed = sum(p.stat().st_size for p in last.iterdir()) if last.is_dir() else 0
        try:
            free = f"{shutil.disk_usage(self.run_dir).free} bytes free"
        except OSError:
            free = "free space unknown"
        return f"a checkpoint needs about {needed} bytes, {free}" if needed else free

    def abandon(self) -> None:
        """After a failure: remove a fresh run that has no checkpoint yet."""
        if self.resume or self.completed or not self.writer:
            return
        if self.created_root is not None:
            shutil.rmtree(self.created_root, ignore_errors=True)
        elif self.lock.held:
            for path in list(self.run_dir.iterdir()):
                remove_path(path)

    def interrupted(self) -> TrainingInterrupted:
        if self.completed:
            return TrainingInterrupted(
                f"interrupted; the last complete epoch is {self.completed} of {self.epochs} "
                f"(in {self.run_dir / layout.CHECKPOINTS / 'last'}); continue with: "
                f"{resume_command(self.run_dir)}"
            )
        if self.resume:
            return TrainingInterrupted(
                f"interrupted before the first epoch completed; continue with: "
                f"{resume_command(self.run_dir)}"
            )
        return TrainingInterrupted(
            f"interrupted before the first epoch completed; nothing was kept ({self.run_dir} "
            "removed); start again with the same command"
        )

    def close(self) -> None:
        self.lock.release()


# how torch.save (PyTorch's zip writer) and safetensors report a write the disk refused
def _failed_write(exc: Exception) -> bool:
    """A checkpoint writer's error that means the file could not be written."""
    return writer_error(exc) and ("writ" in str(exc) or full_disk_mark(exc))


def _first_missing(path: Path) -> Path | None:
    """The outermost ancestor of `path` (or `path`) that does not exist yet."""
    missing = None
    for folder in [path, *path.parents]:
        if folder.exists():
            break
        missing = folder
    return missing
