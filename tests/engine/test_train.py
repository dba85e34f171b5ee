import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from fairdf.cli import main
from fairdf.engine.train import train


def weights(run_dir: Path, name: str = "last") -> dict[str, torch.Tensor]:
    return load_file(run_dir / "checkpoints" / name / "model.safetensors")


def test_training_writes_run_and_logs_metrics(tiny_config, tmp_path):
    run_dir = train(tiny_config(), tmp_path / "run")
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2]
    for record in records:
        assert 0.0 <= record["val"]["auc"] <= 1.0
        assert "F_FPR" in record["val"] and record["train"]["total"] > 0
    assert (run_dir / "config.yaml").is_file()
    for name in ("last", "best"):
        folder = run_dir / "checkpoints" / name
        assert (folder / "model.safetensors").is_file() and (folder / "checkpoint.json").is_file()
    assert not [p for p in run_dir.rglob("*.tmp")]


@pytest.mark.parametrize(
    "extra",
    [
        ["optim.sam=true"],
        ["optim.sam=false"],
        # a partial last batch kept, and the fused head decayed during the warm-up
        ["train.keep_last_batch=true", "train.batch_size=7", "optim.always_decay=true"]
        + ["train.fairness_warmup_epochs=1"],
    ],
    ids=["sam", "sgd", "reference-switches"],
)
def test_resume_equals_uninterrupted_run(tiny_config, tmp_path, extra):
    full = train(tiny_config(*extra), tmp_path / "full")
    part = train(tiny_config(*extra, "train.epochs=1"), tmp_path / "part")
    train(tiny_config(*extra), part, resume=True)
    expected, resumed = weights(full), weights(part)
    assert expected.keys() == resumed.keys()
    for key in expected:
        assert torch.equal(expected[key], resumed[key]), key
    lines = (part / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]


def test_existing_run_dir_is_refused(tiny_config, tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "x").write_text("keep me")
    with pytest.raises(Exception, match="not empty"):
        train(tiny_config(), tmp_path / "run")
    assert (tmp_path / "run" / "x").read_text() == "keep me"


def test_wrong_scheme_leaves_no_run_dir(tiny_config, tmp_path, capsys, synthetic_data):
    config_path = tmp_path / "c.yaml"
    config_path.write_text(f"data:\n  root: {synthetic_data.root}\n")
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--config",
            str(config_path),
            "--out",
            str(out),
            "--set",
            "model.n_groups=6",
            "--set",
            "model.encoder=tiny",
            "--set",
            "model.image_size=32",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "model.n_groups" in err and "Traceback" not in err
    assert not out.exists()


def test_missing_manifest_leaves_no_run_dir(tmp_path, capsys):
    out = tmp_path / "run"
    config_path = tmp_path / "c.yaml"
    config_path.write_text(f"data:\n  root: {tmp_path / 'nowhere'}\nmodel:\n  encoder: tiny\n")
    assert main(["train", "--config", str(config_path), "--out", str(out)]) == 2
    assert "data.train_real" in capsys.readouterr().err
    assert not out.exists()


def test_two_process_ddp_trains_and_only_rank0_writes(tmp_path, synthetic_data):
    config_path = tmp_path / "c.yaml"
    config_path.write_text(
        f"data:\n  root: {synthetic_data.root}\n  workers: 0\nmodel:\n  encoder: tiny\n  image_size: 32\n"
        "train:\n  epochs: 1\n  batch_size: 4\n  progress: false\n  device: cpu\n"
    )
    run_dir = tmp_path / "ddp"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node=2",
        "-m",
        "fairdf.cli",
        "train",
        "--config",
        str(config_path),
        "--out",
        str(run_dir),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    records = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert len(records) == 1  # one epoch logged once: only rank 0 wrote
    assert json.loads(records[0])["world_size"] == 2
    assert (run_dir / "checkpoints" / "last" / "model.safetensors").is_file()
    assert not list(tmp_path.glob("ddp*/**/*.tmp"))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [False, True], ids=["log-file", "terminal"])
def test_the_step_bar_is_drawn_only_on_a_terminal(tiny_config, tmp_path, monkeypatch, terminal):
    stderr = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    config = tiny_config("train.progress=true", "train.epochs=1", "train.max_steps_per_epoch=2")
    train(config, tmp_path / "run")
    drawn = "it/s" in stderr.getvalue() or "s/it" in stderr.getvalue()
    assert drawn == terminal, stderr.getvalue()[-500:]
