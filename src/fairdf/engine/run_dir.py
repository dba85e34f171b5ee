"""The layout of a run directory and the repairs a resume makes after a kill.

    RUN_DIR/config.yaml          resolved config (rewritten atomically when a resume changes it)
    RUN_DIR/run.json             creation time and one record per resume
    RUN_DIR/metrics.jsonl        one JSON record per completed epoch, rewritten atomically
    RUN_DIR/checkpoints/last/    model.safetensors, training_state.pt, checkpoint.json
    RUN_DIR/checkpoints/best/    model.safetensors, checkpoint.json
    RUN_DIR/.lock                held while a `fairdf train` writes the directory

A checkpoint folder is written under a hidden temporary name (`.last.<random>.tmp`), with
`checkpoint.json` last, flushed to disk and then swapped in (see `fairdf.io.replace_path`).
`checkpoints/last` is the truth: its training state holds every epoch record, so the log
and `best/` can be rebuilt from it.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from fairdf.documents import read_json
from fairdf.errors import DataError
from fairdf.io import remove_path, write_text_atomic

CONFIG_FILE = "config.yaml"
RUN_FILE = "run.json"
LOG_FILE = "metrics.jsonl"
CHECKPOINTS = "checkpoints"
STATE_FILE = "training_state.pt"
INFO_FILE = "checkpoint.json"
WEIGHTS_FILE = "model.safetensors"
LOCK_FILE = ".lock"


def checkpoint_dir(run_dir: Path, name: str = "last") -> Path:
    return Path(run_dir) / CHECKPOINTS / name


def folder_epoch(folder: Path, name: str) -> int | None:
    """The epoch of a complete checkpoint folder, or None when it is incomplete."""
    needed = [WEIGHTS_FILE] + ([STATE_FILE] if name == "last" else [])
    if not all((folder / file).is_file() for file in needed):
        return None
    try:
        info = read_json(folder / INFO_FILE)
        epoch = info["metadata"]["epoch"]
    except (OSError, ValueError, KeyError, TypeError, DataError):
        return None
    return epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else None


def unfinished_save(run_dir: Path) -> str | None:
    """A one-line warning when a kill came after an epoch's `last/` but before its `best/`
    or its `metrics.jsonl` record (`fairdf train --resume` repairs both); else None."""
    run_dir = Path(run_dir)
    last = folder_epoch(checkpoint_dir(run_dir), "last")
    if last is None:
        return None
    try:
        info = json.loads((checkpoint_dir(run_dir) / INFO_FILE).read_text(encoding="utf-8"))
        best_epoch = info["metadata"].get("best_epoch")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    stale = []
    best = folder_epoch(checkpoint_dir(run_dir, "best"), "best")
    if best_epoch is not None and best != best_epoch:
        stale.append(f"{CHECKPOINTS}/best holds epoch {best}, not the best epoch {best_epoch}")
    logged = _logged_epochs(run_dir)
    if logged < last:
        stale.append(f"{LOG_FILE} ends at epoch {logged}")
    if not stale:
        return None
    return (
        f"{run_dir}: the save of epoch {last} was interrupted ({'; '.join(stale)}); "
        f"finish it with: fairdf train --resume {run_dir}"
    )


def _logged_epochs(run_dir: Path) -> int:
    """The number of complete epoch records at the start of `metrics.jsonl`."""
    try:
        lines = (Path(run_dir) / LOG_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 0
    count = 0
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            break
        count += 1
    return count


def recover_checkpoints(run_dir: Path) -> list[str]:
    """Put a complete leftover in place of a missing `last`/`best`; delete the other leftovers.

    Returns one line per repair.
    """
    repairs: list[str] = []
    folder = Path(run_dir) / CHECKPOINTS
    for name in ("last", "best"):
        target = folder / name
        leftovers = sorted(folder.glob(f".{name}.*")) if folder.is_dir() else []
        complete = [(folder_epoch(p, name), p) for p in leftovers if p.is_dir()]
        complete = [(epoch, p) for epoch, p in complete if epoch is not None]
        if not target.exists() and complete:
            epoch, chosen = max(complete, key=lambda item: item[0])
            chosen.rename(target)
            leftovers.remove(chosen)
            repairs.append(f"restored {CHECKPOINTS}/{name} (epoch {epoch}) from {chosen.name}")
        for path in leftovers:
            remove_path(path)
            repairs.append(f"removed the unfinished temporary {CHECKPOINTS}/{path.name}")
    return repairs


def remove_temporaries(run_dir: Path) -> list[str]:
    """Delete hidden temporaries of atomic writes in the run directory itself."""
    repairs = []
    for path in sorted(Path(run_dir).glob(".*.tmp")) + sorted(Path(run_dir).glob(".*.old")):
        remove_path(path)
        repairs.append(f"removed the unfinished temporary {path.name}")
    return repairs


def is_leftover(path: Path) -> bool:
    """True for what a killed run may leave in an otherwise empty folder."""
    return path.name == LOCK_FILE or (
        path.name.startswith(".") and path.name.endswith((".tmp", ".old"))
    )


def log_text(history: list[str]) -> str:
    return "".join(line + "\n" for line in history)


def sync_log(run_dir: Path, history: list[str]) -> list[str]:
    """Make `metrics.jsonl` hold exactly the epoch records of `history`."""
    path = Path(run_dir) / LOG_FILE
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    except (OSError, UnicodeDecodeError):
        current = ""
    wanted = log_text(history)
    if current == wanted or (current is None and not history):
        return []
    have = 0 if current is None else sum(1 for line in current.splitlines() if line.strip())
    write_text_atomic(path, wanted, durable=True)
    return [
        f"{LOG_FILE}: rewrote it to the {len(history)} epoch record(s) of the checkpoint "
        f"(it had {have} line(s))"
    ]


def write_run_record(run_dir: Path, *, resume: dict | None = None) -> None:
    """Create `run.json`, or append one resume record to it."""
    path = Path(run_dir) / RUN_FILE
    record = {"format": "fairdf-run", "version": 1, "created": now(), "resumes": []}
    with contextlib.suppress(OSError, ValueError, DataError):
        loaded = read_json(path)
        if isinstance(loaded, dict) and isinstance(loaded.get("resumes"), list):
            record = loaded
    if resume is not None:
        record["resumes"].append({"time": now(), **resume})
    write_text_atomic(path, json.dumps(record, indent=2) + "\n", durable=True)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) until the block ends, then raise KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt
