"""Training with unreadable images: `data.skip_corrupt` reports them, without it the run stops."""

import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from fairdf.cli import main

NARROW = [
    "model.encoder=tiny",
    "model.image_size=32",
    "model.encoder_channels=64",
    "model.feature_channels=32",
    "model.hidden_dim=64",
    "train.progress=false",
    "train.device=cpu",
]
GARBAGE = b"\x89PNG\r\n\x1a\n these bytes are no image"


@pytest.fixture()
def data(synthetic_data, tmp_path):
    """A private copy of the synthetic dataset (the session one stays intact)."""
    return shutil.copytree(synthetic_data.root, tmp_path / "data")


def corrupt(root, manifest: str, row: int) -> str:
    """Overwrite the image of `row` of `manifest` with garbage; returns its img_path."""
    img_path = pd.read_csv(root / manifest)["img_path"][row]
    (root / img_path).write_bytes(GARBAGE)
    return img_path


def train_command(root, out, *extra) -> list[str]:
    """`train --config C --out OUT --set ...` arguments; C names only the data root."""
    config = out.parent / f"{out.name}.yaml"
    config.write_text(f"data:\n  root: {root}\n")
    sets = [a for option in [*NARROW, *extra] for a in ("--set", option)]
    return ["train", "--config", str(config), "--out", str(out), *sets]


def records(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_skip_corrupt_names_the_skipped_images_in_each_epoch_record(data, tmp_path, capsys):
    n_fakes = len(pd.read_csv(data / "faketrain.csv"))
    bad_train = corrupt(data, "faketrain.csv", 3)  # each fake is used once per epoch
    bad_val = corrupt(data, "realval.csv", 1)  # validation scores every image
    out = tmp_path / "run"
    code = main(
        train_command(
            data,
            out,
            "data.skip_corrupt=true",
            "data.workers=1",  # the images are decoded in a worker process
            "train.epochs=2",
            f"train.batch_size={n_fakes}",  # one step sees every fake
            "train.max_steps_per_epoch=2",
        )
    )
    err = capsys.readouterr().err
    assert code == 0, err
    logged = records(out)
    assert [r["epoch"] for r in logged] == [1, 2]
    for record in logged:
        assert record["skipped_images"] == {
            "train": {"count": 1, "images": [bad_train], "truncated": False},
            "val": {"count": 1, "images": [bad_val], "truncated": False},
        }
        n_val = len(pd.read_csv(data / "realval.csv")) + len(pd.read_csv(data / "fakeval.csv"))
        assert record["val"]["n"] == n_val - 1
    warnings = [line for line in err.splitlines() if "skipped unreadable images" in line]
    assert len(warnings) == 2 and warnings[0].startswith("warning: epoch 1/2")
    assert bad_train in warnings[0] and bad_val in warnings[0]
    assert "Traceback" not in err


def test_without_skip_corrupt_training_stops_naming_the_file(data, tmp_path, capsys):
    n_fakes = len(pd.read_csv(data / "faketrain.csv"))
    bad = corrupt(data, "faketrain.csv", 0)
    out = tmp_path / "run"
    extra = ["data.workers=0", "train.epochs=1", f"train.batch_size={n_fakes}"]
    code = main(train_command(data, out, *extra))  # the first batch reads every fake
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and "Traceback" not in err
    assert len(lines) == 1 and str(data / bad) in lines[0], err
    assert not out.exists()


def test_skip_corrupt_under_ddp_gathers_every_rank(data, tmp_path):
    """Two gloo processes; the first fake of each rank's first batch is unreadable."""
    from fairdf.data.datasets import RealFakePairDataset
    from fairdf.data.manifest import read_manifest

    fake = read_manifest(data / "faketrain.csv").frame
    real = read_manifest(data / "realtrain.csv").frame
    order, _ = RealFakePairDataset(real, fake, size=32, seed=5).pairing(0)
    # DistributedSampler(shuffle=False) gives rank r the positions r, r + 2, ...
    bad = sorted(corrupt(data, "faketrain.csv", int(order[position])) for position in (0, 1))
    sets = ["train.seed=5", "data.skip_corrupt=true", "data.workers=0", "train.epochs=1"]
    sets += ["train.batch_size=4", "train.max_steps_per_epoch=1"]
    run_dir = tmp_path / "ddp"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc-per-node=2", "-m", "fairdf.cli", *train_command(data, run_dir, *sets)]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (record,) = records(run_dir)
    assert record["world_size"] == 2
    assert record["skipped_images"]["train"] == {"count": 2, "images": bad, "truncated": False}
    assert record["skipped_images"]["val"]["count"] == 0
    warnings = [line for line in done.stderr.splitlines() if "skipped unreadable images" in line]
    assert len(warnings) == 1  # rank 0 alone logs


def test_a_long_skip_list_is_capped_and_says_so():
    from fairdf.engine.train import skipped_record

    names = [f"images/img{i:04d}.png" for i in range(250)]
    shuffled = names[137:] + names[:137]
    entry = skipped_record(set(shuffled))
    assert entry == {"count": 250, "images": names[:100], "truncated": True}
    assert skipped_record(set()) == {"count": 0, "images": [], "truncated": False}
