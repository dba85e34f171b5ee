"""The checkpoint switch under injected failures, the run lock, resume rules, bad --out."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import fairdf.io
from fairdf.cli import main
from fairdf.config import dump_config, load_config
from fairdf.engine import run_dir as layout
from fairdf.engine.run_lock import RunLock, RunLockedError
from fairdf.io import replace_path


class Death(BaseException):
    """Stands for the process dying at this call."""


def _checkpoint(folder: Path, epoch: int) -> Path:
    folder.mkdir(parents=True)
    for name in (layout.WEIGHTS_FILE, layout.STATE_FILE):
        (folder / name).write_text(f"epoch {epoch}")
    (folder / layout.INFO_FILE).write_text(json.dumps({"metadata": {"epoch": epoch}}))
    return folder


def _fail_at(monkeypatch, module, name: str, call: int, error: type[BaseException]) -> None:
    real, calls = getattr(module, name), []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == call:
            raise error()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, failing)


SWITCH_STEPS = [
    ("exchange_paths", 1),  # before the swap
    ("rmtree", 1),  # after the swap, deleting the old folder
    ("replace", 1),  # rename-aside path: moving the old folder aside
    ("replace", 2),  # rename-aside path: moving the new folder in
    ("rmtree", 2),  # rename-aside path: deleting the old folder
]


@pytest.mark.parametrize("exchange", [True, False])
@pytest.mark.parametrize("step", SWITCH_STEPS)
@pytest.mark.parametrize("error", [KeyboardInterrupt, Death])
def test_switch_always_leaves_a_complete_checkpoint(tmp_path, monkeypatch, exchange, step, error):
    run = tmp_path / "run"
    target = _checkpoint(layout.checkpoint_dir(run, "last"), 1)
    new = _checkpoint(fairdf.io.temporary_sibling(target), 2)
    if not exchange:
        monkeypatch.setattr(fairdf.io, "exchange_paths", lambda first, second: False)
    name, call = step
    module = {"exchange_paths": fairdf.io, "rmtree": shutil, "replace": os}[name]
    _fail_at(monkeypatch, module, name, call, error)
    with contextlib.suppress(KeyboardInterrupt, Death):
        replace_path(new, target)
    monkeypatch.undo()
    epochs_here = [layout.folder_epoch(p, "last") for p in target.parent.iterdir()]
    assert set(epochs_here) & {1, 2}, "neither the old nor the new checkpoint survives"
    repairs = layout.recover_checkpoints(run)
    assert layout.folder_epoch(target, "last") in (1, 2)
    assert [p.name for p in target.parent.iterdir()] == ["last"]
    assert all(len(line.splitlines()) == 1 for line in repairs)


def test_recovery_prefers_the_newest_complete_and_drops_incomplete(tmp_path):
    run = tmp_path / "run"
    folder = run / "checkpoints"
    _checkpoint(folder / ".last.aaa.old", 3)
    _checkpoint(folder / ".last.bbb.tmp", 4)
    (folder / ".last.ccc.tmp").mkdir()  # killed while writing
    (folder / ".last.ccc.tmp" / layout.WEIGHTS_FILE).write_text("half")
    repairs = layout.recover_checkpoints(run)
    assert layout.folder_epoch(folder / "last", "last") == 4
    assert sorted(p.name for p in folder.iterdir()) == ["last"]
    assert len(repairs) == 3 and "restored checkpoints/last (epoch 4)" in repairs[0]


def test_atomic_path_interrupted_leaves_target_and_no_temporary(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep").write_text("old")
    with pytest.raises(KeyboardInterrupt), fairdf.io.atomic_path(target, durable=True) as tmp:
        tmp.mkdir()
        (tmp / "keep").write_text("new")
        raise KeyboardInterrupt
    assert (target / "keep").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_sync_log_keeps_exactly_the_checkpoint_records(tmp_path):
    history = [json.dumps({"epoch": 1}), json.dumps({"epoch": 2})]
    (tmp_path / layout.LOG_FILE).write_text(history[0] + "\n" + '{"epoch": 2, "va')  # torn
    assert len(layout.sync_log(tmp_path, history)) == 1
    lines = (tmp_path / layout.LOG_FILE).read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]
    assert layout.sync_log(tmp_path, history) == []


HOLDER = (
    "import sys, time; from fairdf.engine.run_lock import RunLock; "
    "RunLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(120)"
)


@pytest.fixture()
def holder(tmp_path):
    """Another process holding the lock of tmp_path/run."""
    run = tmp_path / "run"
    run.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(run)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "held"
    yield run, process
    process.kill()
    process.wait()


def test_lock_refuses_second_holder_and_names_it_until_it_dies(holder):
    run, process = holder
    with pytest.raises(RunLockedError, match=f"pid {process.pid} on "):
        RunLock(run).acquire()
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (run / layout.LOCK_FILE).exists()  # the stale file of a dead process ...
    lock = RunLock(run).acquire()  # ... does not block
    assert json.loads((run / layout.LOCK_FILE).read_text())["pid"] == os.getpid()
    lock.release()
    assert not (run / layout.LOCK_FILE).exists()


@pytest.mark.parametrize("mode", ["resume", "fresh"])
def test_train_on_a_locked_run_exits_2_naming_the_holder(holder, tiny_overrides, capsys, mode):
    run, process = holder
    config = load_config(None, tiny_overrides)
    if mode == "resume":
        (run / layout.CONFIG_FILE).write_text(dump_config(config))
        argv = ["train", "--resume", str(run)]
    else:
        (run.parent / "c.yaml").write_text(dump_config(config))
        argv = ["train", "--config", str(run.parent / "c.yaml"), "--out", str(run)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"pid {process.pid}" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "key, value", [("model.encoder", "xception"), ("train.seed", "7"), ("loss.fuse_weight", "2")]
)
def test_resume_refuses_a_frozen_key_naming_it(tmp_path, tiny_overrides, capsys, key, value):
    run = tmp_path / "run"
    run.mkdir()
    (run / layout.CONFIG_FILE).write_text(dump_config(load_config(None, tiny_overrides)))
    assert main(["train", "--resume", str(run), "--set", f"{key}={value}"]) == 2
    err = capsys.readouterr().err.strip()
    assert f"'{key}' cannot change on --resume" in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in run.iterdir()) == [layout.CONFIG_FILE]


def test_out_that_is_a_file_is_refused_and_kept(tmp_path, tiny_overrides, capsys):
    (tmp_path / "c.yaml").write_text(dump_config(load_config(None, tiny_overrides)))
    out = tmp_path / "out"
    out.write_text("mine")
    assert main(["train", "--config", str(tmp_path / "c.yaml"), "--out", str(out)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert out.read_text() == "mine"


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
def test_unwritable_out_is_one_line_and_leaves_nothing(
    tmp_path, tiny_overrides, capsys, monkeypatch, code
):
    (tmp_path / "c.yaml").write_text(dump_config(load_config(None, tiny_overrides)))
    out = tmp_path / "ro" / "run"
    real_mkdir = Path.mkdir

    def refused(self, *args, **kwargs):
        if self == out:
            raise OSError(code, os.strerror(code), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refused)
    assert main(["train", "--config", str(tmp_path / "c.yaml"), "--out", str(out)]) == 2
    monkeypatch.undo()
    err = capsys.readouterr().err.strip()
    assert "choose a writable --out" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "ro").exists()


def test_full_disk_during_first_checkpoint_leaves_nothing(
    tmp_path, tiny_overrides, capsys, monkeypatch
):
    import safetensors.torch

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", args[1])

    monkeypatch.setattr(safetensors.torch, "save_file", full)
    config = tmp_path / "c.yaml"
    config.write_text(dump_config(load_config(None, [*tiny_overrides, "train.epochs=1"])))
    out = tmp_path / "run"
    argv = ["train", "--config", str(config), "--out", str(out)]
    assert main([*argv, "--set", "train.max_steps_per_epoch=1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no space left" in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_ctrl_c_prints_last_epoch_and_resume_command_exit_130(tmp_path, tiny_overrides):
    config = tmp_path / "c.yaml"
    settings = [*tiny_overrides, "train.epochs=500", "train.max_steps_per_epoch=1"]
    config.write_text(dump_config(load_config(None, settings)))
    run = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "fairdf.cli", "train", "--config", str(config), "--out", str(run)],
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, OMP_NUM_THREADS="1"),
    )
    log = run / layout.LOG_FILE
    deadline = time.monotonic() + 240
    while not (log.is_file() and log.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    err = process.communicate(timeout=120)[1]
    assert process.returncode == 130, err
    assert "Traceback" not in err
    done = len(log.read_text().splitlines())
    state = json.loads((layout.checkpoint_dir(run, "last") / layout.INFO_FILE).read_text())
    assert state["metadata"]["epoch"] == done
    assert f"the last complete epoch is {done} of 500" in err
    assert f"fairdf train --resume {run}" in err
    assert not [p for p in run.rglob(".*") if p.name != layout.LOCK_FILE]


TORCH_FULL = "[enforce fail at inline_container.cc:672] . unexpected pos 4096 vs 0"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError(TORCH_FULL),
        RuntimeError("PytorchStreamWriter failed writing file data/3: file write failed"),
        OSError(errno.ENOSPC, "No space left on device"),
    ],
    ids=["inline_container", "stream_writer", "enospc"],
)
def test_full_disk_mid_checkpoint_keeps_the_previous_one(
    tmp_path, tiny_overrides, capsys, monkeypatch, error
):
    import torch

    real_save, calls, before = torch.save, [], {}
    out = tmp_path / "run"

    def filling(obj, target, *args, **kwargs):
        calls.append(target)
        if len(calls) < 2:
            return real_save(obj, target, *args, **kwargs)
        before.update(_snapshot(out / "checkpoints" / "last"))
        Path(target).write_bytes(b"PK\x03\x04 half a file")  # torn, then the failure
        raise error

    monkeypatch.setattr(torch, "save", filling)
    config = tmp_path / "c.yaml"
    config.write_text(dump_config(load_config(None, [*tiny_overrides, "train.epochs=2"])))
    argv = ["train", "--config", str(config), "--out", str(out)]
    assert main([*argv, "--set", "train.max_steps_per_epoch=1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "no space left on the device" in err and str(out) in err
    assert "a checkpoint needs about" in err and "bytes free" in err
    assert f"fairdf train --resume {out}" in err
    last = out / "checkpoints" / "last"
    assert before and _snapshot(last) == before
    assert layout.folder_epoch(last, "last") == 1
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["best", "last"]
    assert len((out / layout.LOG_FILE).read_text().splitlines()) == 1


def test_full_disk_in_safetensors_write_is_one_line(tmp_path, tiny_overrides, capsys, monkeypatch):
    import safetensors.torch
    from safetensors import SafetensorError

    def full(*args, **kwargs):
        raise SafetensorError(
            'Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "No '
            'space left on device" })'
        )

    monkeypatch.setattr(safetensors.torch, "save_file", full)
    config = tmp_path / "c.yaml"
    config.write_text(dump_config(load_config(None, [*tiny_overrides, "train.epochs=1"])))
    out = tmp_path / "run"
    argv = ["train", "--config", str(config), "--out", str(out)]
    assert main([*argv, "--set", "train.max_steps_per_epoch=1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no space left on the device" in err
    assert not out.exists()
