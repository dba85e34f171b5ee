"""Training under torchrun (two gloo processes on the CPU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from fairdf.methods import method_names

DEMO = Path(__file__).resolve().parents[2] / "src" / "fairdf" / "configs" / "demo.yaml"
TINY_DEMO = [  # the demo config, shrunk: one warm-up epoch, then one with the fairness loss
    "model.encoder=tiny",
    "model.image_size=32",
    "model.encoder_channels=32",
    "model.feature_channels=16",
    "model.hidden_dim=32",
    "train.epochs=2",
    "train.fairness_warmup_epochs=1",
    "train.batch_size=4",
    "train.max_steps_per_epoch=2",
    "train.progress=true",  # the epoch lines, from rank 0 only
    "train.device=cpu",
]


def torchrun(
    argv: list[str], *, launcher: list[str] = (), entry: list[str] = ("-m", "fairdf.cli")
) -> subprocess.CompletedProcess:
    """`torchrun --standalone --nproc-per-node=2 [launcher] -m fairdf.cli ARGV`."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc-per-node=2", *launcher, *entry, *argv]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def train_argv(root, out, *sets: str) -> list[str]:
    options = [a for option in [f"data.root={root}", *TINY_DEMO, *sets] for a in ("--set", option)]
    return ["train", "--config", str(DEMO), "--out", str(out), *options]


def records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def demo_run(synthetic_data, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("ddp") / "run"
    return run_dir, torchrun(train_argv(synthetic_data.root, run_dir))


def test_the_tiny_demo_with_a_warmup_trains_under_torchrun(demo_run):
    run_dir, done = demo_run
    assert done.returncode == 0, done.stderr[-3000:]
    logged = records(run_dir)  # one record per epoch: only rank 0 wrote
    assert [(r["epoch"], r["world_size"]) for r in logged] == [(1, 2), (2, 2)]
    assert "fuse" not in logged[0]["train"] and "fuse" in logged[1]["train"]
    assert (run_dir / "checkpoints" / "last" / "model.safetensors").is_file()
    assert not list(run_dir.glob("**/*.tmp"))


def test_only_rank0_speaks(demo_run):
    run_dir, done = demo_run
    assert done.stdout.splitlines().count(f"run directory: {run_dir}") == 1, done.stdout
    assert "Traceback" not in done.stderr and "warning" not in done.stderr.lower(), done.stderr
    epoch_lines = [line for line in done.stderr.splitlines() if line.startswith("epoch ")]
    assert [line[:9] for line in epoch_lines] == ["epoch 1/2", "epoch 2/2"], done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("sam", ["true", "false"], ids=["sam", "sgd"])
@pytest.mark.parametrize("warmup", [1, 0], ids=["warmup", "no-warmup"])
@pytest.mark.parametrize("method", method_names())
def test_every_method_trains_under_torchrun(synthetic_data, tmp_path, method, warmup, sam):
    sets = [f"model.method={method}", f"train.fairness_warmup_epochs={warmup}", f"optim.sam={sam}"]
    done = torchrun(train_argv(synthetic_data.root, tmp_path / "run", *sets))
    assert done.returncode == 0, done.stderr[-3000:]
    assert [r["epoch"] for r in records(tmp_path / "run")] == [1, 2]


def test_the_unused_weight_probe_finds_the_warmup_head_and_changes_nothing(tiny_config):
    import dataclasses

    import torch

    from fairdf.engine.distributed import ProcessContext
    from fairdf.engine.train import build_trainer
    from fairdf.engine.trainer import ForwardLoss, has_unused_weights

    config = tiny_config("train.batch_size=2")
    trainer = build_trainer(config, ProcessContext(0, 1, torch.device("cpu")))
    batch = next(iter(trainer.loader))
    forward_loss = ForwardLoss(trainer.model, trainer.loss)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    rng = torch.get_rng_state()
    assert not has_unused_weights(forward_loss, batch)
    trainer.loss.config = dataclasses.replace(config.loss, fuse_weight=0.0)
    assert has_unused_weights(forward_loss, batch)
    assert torch.equal(torch.get_rng_state(), rng)
    after = trainer.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


@pytest.mark.slow
def test_a_worker_killed_mid_run_costs_an_epoch_not_the_run(demo_run, synthetic_data, tmp_path):
    """torchrun --max-restarts 1: the restarted workers continue the run from last/."""
    expected, _ = demo_run
    run_dir = tmp_path / "run"
    script = str(Path(__file__).with_name("torchrun_kill.py"))
    argv = train_argv(synthetic_data.root, run_dir)
    done = torchrun(argv, launcher=["--max-restarts=1"], entry=[script])
    assert done.returncode == 0, done.stderr[-3000:]
    notes = [line for line in done.stderr.splitlines() if "after torchrun restarted" in line]
    assert notes == [
        f"fairdf train: resuming {run_dir} after torchrun restarted the workers: epochs 2 to 2"
    ], done.stderr[-3000:]
    for name in ("last", "best"):
        got = load_file(run_dir / "checkpoints" / name / "model.safetensors")
        want = load_file(expected / "checkpoints" / name / "model.safetensors")
        assert got.keys() == want.keys()
        assert all(torch.equal(got[key], want[key]) for key in want), name


@pytest.mark.slow
def test_a_refusal_is_printed_once(demo_run, synthetic_data):
    run_dir, _ = demo_run  # holds a run: a fresh start there is refused
    done = torchrun(train_argv(synthetic_data.root, run_dir))
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if "already holds a run" in line]
    assert len(lines) == 1 and lines[0].startswith("fairdf train: error: "), done.stderr
    assert done.stderr.count("Traceback") == 1  # torchrun's own ChildFailedError


def test_a_failed_join_is_one_line(synthetic_data, tmp_path, monkeypatch, capsys):
    import torch.distributed as dist

    from fairdf.cli import main

    def refuse(**kwargs):
        raise dist.DistNetworkError("Connection refused\nException raised from connect")

    monkeypatch.setattr(dist, "rendezvous", lambda url: iter([(dist.HashStore(), 1, 2)]))
    monkeypatch.setattr(dist, "init_process_group", refuse)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert main(train_argv(synthetic_data.root, tmp_path / "run")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "rank 1 of 2 cannot join the torchrun process group (gloo): Connection refused" in err
