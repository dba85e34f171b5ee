"""Fault injection: SIGKILL a tiny training at many instants, resume, compare bit for bit.

Each kill instant is one file-system step of the training (see fault_injection.py):
before a rename, exchange, delete or mkdir, before a write, or after a torn write.
The default suite covers three instants (each run costs seconds); `--run-slow` adds a
chain of kills during resumes and every instant of the run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import fault_injection
import pytest
import torch
from safetensors.torch import load_file

EPOCHS = 3


@pytest.fixture(scope="module")
def forkserver():
    return fault_injection.context()


@pytest.fixture(scope="module")
def config_file(synthetic_data, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "tiny.yaml"
    path.write_text(
        f"data: {{root: '{synthetic_data.root}', workers: 0}}\n"
        "model: {encoder: tiny, image_size: 32}\n"
        f"train: {{epochs: {EPOCHS}, batch_size: 2, max_steps_per_epoch: 1, progress: false, "
        "device: cpu}\n"
        "optim: {lr: 0.05}\n"
    )
    return path


@pytest.fixture(scope="module")
def reference(forkserver, config_file, tmp_path_factory):
    """The uninterrupted run and how many kill instants it has."""
    folder = tmp_path_factory.mktemp("reference")
    count = folder / "count.txt"
    code = fault_injection.run(forkserver, _fresh(config_file, folder / "run"), None, str(count))
    assert code == 0
    return folder / "run", int(count.read_text())


def _fresh(config_file: Path, run: Path) -> list[str]:
    return ["train", "--config", str(config_file), "--out", str(run)]


def _continue(forkserver, config_file: Path, run: Path, kill_at: int | None = None) -> int:
    """What a user does after a kill: resume, or start again if nothing was written."""
    argv = ["train", "--resume", str(run)]
    if not (run / "config.yaml").is_file():
        argv = _fresh(config_file, run)
    return fault_injection.run(forkserver, argv, kill_at)


def _records(run: Path) -> list[dict]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    for record in records:
        record.pop("seconds")
        record.pop("train_seconds")
    return records


def _assert_same_run(run: Path, expected: Path) -> None:
    for name in ("last", "best"):
        got = load_file(run / "checkpoints" / name / "model.safetensors")
        want = load_file(expected / "checkpoints" / name / "model.safetensors")
        assert got.keys() == want.keys()
        assert all(torch.equal(got[key], want[key]) for key in want), name
        info = json.loads((run / "checkpoints" / name / "checkpoint.json").read_text())
        want_info = json.loads((expected / "checkpoints" / name / "checkpoint.json").read_text())
        assert info["metadata"]["epoch"] == want_info["metadata"]["epoch"], name
    records = _records(run)
    assert [r["epoch"] for r in records] == list(range(1, EPOCHS + 1))
    assert records == _records(expected)
    leftovers = [p.name for p in [*run.iterdir(), *(run / "checkpoints").iterdir()]]
    assert [name for name in leftovers if name.startswith(".")] == []


def _kill_then_finish(forkserver, config_file, reference, tmp_path, kills: list[int]) -> None:
    expected, _ = reference
    run = tmp_path / f"run-{'-'.join(map(str, kills))}"
    code = fault_injection.run(forkserver, _fresh(config_file, run), kills[0])
    assert code == -9, "the kill instant was not reached"
    for kill_at in kills[1:]:  # killed again while resuming
        assert _continue(forkserver, config_file, run, kill_at) in (-9, 0)
    assert _continue(forkserver, config_file, run) == 0
    _assert_same_run(run, expected)


def _default_instants(total: int) -> list[int]:
    """A few instants spread over the run: in the first checkpoint, mid-run, the last write."""
    return sorted({total // EPOCHS - 5, total // 2, total - 1})


def test_kill_at_sampled_instants_then_resume_matches_uninterrupted(
    forkserver, config_file, reference, tmp_path
):
    _, total = reference
    instants = _default_instants(total)
    for kill_at in instants:
        _kill_then_finish(forkserver, config_file, reference, tmp_path, [kill_at])


@pytest.mark.slow
def test_kills_during_resumes_then_resume_matches_uninterrupted(
    forkserver, config_file, reference, tmp_path
):
    _, total = reference
    _kill_then_finish(forkserver, config_file, reference, tmp_path, [total // 2, 2, 6, 9])


@pytest.mark.slow
def test_kill_at_every_instant_then_resume_matches_uninterrupted(
    forkserver, config_file, reference, tmp_path
):
    _, total = reference
    for kill_at in range(1, total + 1):
        _kill_then_finish(forkserver, config_file, reference, tmp_path, [kill_at])


def test_resume_of_finished_run_repairs_says_finished_and_extends(reference, tmp_path, capsys):
    from fairdf.cli import main

    expected, _ = reference
    run = tmp_path / "run"
    shutil.copytree(expected, run)
    lines = (run / "metrics.jsonl").read_text().splitlines()
    (run / "metrics.jsonl").write_text(lines[0] + "\n" + lines[1][:20])  # lost + torn line
    (run / "checkpoints" / ".last.abc.tmp").mkdir()
    assert main(["train", "--resume", str(run)]) == 0
    err = capsys.readouterr().err
    assert "repaired: metrics.jsonl" in err and "repaired: removed" in err
    assert f"finished at epoch {EPOCHS} of {EPOCHS}" in err
    assert f"--resume {run} --set train.epochs=N" in err
    assert (run / "metrics.jsonl").read_text().splitlines() == lines
    assert not (run / "checkpoints" / ".last.abc.tmp").exists()

    assert main(["train", "--resume", str(run), "--set", f"train.epochs={EPOCHS - 1}"]) == 2
    assert "below the 3 epochs" in capsys.readouterr().err

    assert main(["train", "--resume", str(run), "--set", f"train.epochs={EPOCHS + 1}"]) == 0
    assert f"epochs {EPOCHS + 1} to {EPOCHS + 1}" in capsys.readouterr().err
    assert f"epochs: {EPOCHS + 1}" in (run / "config.yaml").read_text()
    resumes = json.loads((run / "run.json").read_text())["resumes"]
    assert resumes[-1]["changed"] == {"train.epochs": [EPOCHS, EPOCHS + 1]}
    assert len((run / "metrics.jsonl").read_text().splitlines()) == EPOCHS + 1
