"""Kill a `fairdf train` at its N-th file-system step (test helper, no test here).

`run_cli(argv, kill_at, count_file)` runs in a child process forked from a server that
has already imported torch and fairdf, so each run costs only the training itself. It
wraps the file-system calls a training makes (rename, exchange, delete, mkdir, and the
writers of weights, training state, JSON and text) and SIGKILLs its own process at call
number `kill_at`: before the call, or for a writer just after a torn (half-length)
write. Between two such calls nothing on disk changes, so these instants cover every
state a kill can leave. The library is not changed: the hooks live only in the child.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import shutil
import signal
from pathlib import Path

PRELOAD = ["torch", "safetensors.torch", "fairdf.engine.train", "fairdf.cli"]


def context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


class Killer:
    def __init__(self, kill_at: int | None):
        self.kill_at, self.count = kill_at, 0

    def step(self) -> bool:
        """Count one instant; die when it is the chosen one (before the call)."""
        self.count += 1
        if self.count == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return False

    def torn(self, path) -> None:
        """One more instant: the file was written, keep half of it and die."""
        self.count += 1
        if self.count == self.kill_at:
            path = Path(path)
            with open(path, "r+b") as handle:
                handle.truncate(path.stat().st_size // 2)
            os.kill(os.getpid(), signal.SIGKILL)


def _wrap(killer: Killer, function, torn_argument: int | None = None, is_method=False):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        killer.step()
        result = function(*args, **kwargs)
        if torn_argument is not None:
            killer.torn(args[torn_argument])
        return result

    return wrapper


def install(killer: Killer) -> None:
    import safetensors.torch
    import torch

    import fairdf.io

    os.replace = _wrap(killer, os.replace)
    os.rename = _wrap(killer, os.rename)
    shutil.rmtree = _wrap(killer, shutil.rmtree)
    shutil.copyfile = _wrap(killer, shutil.copyfile, torn_argument=1)
    fairdf.io.exchange_paths = _wrap(killer, fairdf.io.exchange_paths)
    Path.mkdir = _wrap(killer, Path.mkdir)
    Path.write_text = _wrap(killer, Path.write_text, torn_argument=0)
    safetensors.torch.save_file = _wrap(killer, safetensors.torch.save_file, torn_argument=1)
    torch.save = _wrap(killer, torch.save, torn_argument=1)


def run_cli(argv: list[str], kill_at: int | None, count_file: str | None) -> None:
    """Child body: run the CLI with the hooks; write the number of instants seen."""
    import torch

    torch.set_num_threads(1)
    killer = Killer(kill_at)
    install(killer)
    from fairdf.cli import main

    code = main(argv)
    if count_file:
        Path(count_file).write_text(str(killer.count))
    os._exit(code)


def run(ctx, argv: list[str], kill_at: int | None = None, count_file: str | None = None) -> int:
    """Run `argv` in a fresh child; returns its exit code (-9 when it was killed)."""
    process = ctx.Process(target=run_cli, args=(argv, kill_at, count_file))
    process.start()
    process.join(120)
    if process.is_alive():
        process.kill()
        raise AssertionError(f"training hung: {argv}")
    return process.exitcode
