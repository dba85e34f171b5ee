"""Resume equivalence with the scale options on: checkpointing, LookSAM, augmentation."""

import json

import pytest
import torch
from safetensors.torch import load_file

from fairdf.engine.train import train

SCALE_OPTIONS = [
    "train.activation_checkpointing=all",
    "optim.sam_variant=looksam",
    "optim.looksam_interval=3",  # the ascent cycle straddles the epoch boundary
    "data.augment=true",
    "train.max_steps_per_epoch=5",
]


def weights(run_dir):
    return load_file(run_dir / "checkpoints" / "last" / "model.safetensors")


def test_resume_is_exact_with_checkpointing_looksam_and_augmentation(tiny_config, tmp_path):
    logging = ["train.tensorboard=true", "train.tensorboard_every=2"]
    full = train(tiny_config(*SCALE_OPTIONS, *logging), tmp_path / "full")
    part = train(tiny_config(*SCALE_OPTIONS, "train.epochs=1"), tmp_path / "part")
    train(tiny_config(*SCALE_OPTIONS), part, resume=True)
    expected, resumed = weights(full), weights(part)
    assert expected.keys() == resumed.keys()
    for key in expected:
        assert torch.equal(expected[key], resumed[key]), key
    check_event_log_matches_metrics(full)


def check_event_log_matches_metrics(run_dir):
    """TensorBoard's own reader finds every loss term and validation metric of metrics.jsonl."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard"))
    events.Reload()
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    for record in records:
        for section in ("train", "val"):
            for key, value in record[section].items():
                if value is None:
                    continue
                points = {e.step: e.value for e in events.Scalars(f"{section}/{key}")}
                assert points[record["epoch"]] == pytest.approx(value, rel=1e-6), key
    steps = [e.step for e in events.Scalars("train_step/total")]
    assert steps == list(range(0, 10, 2))  # 2 epochs x 5 steps, every 2nd step


def test_missing_tensorboard_is_a_one_line_error(monkeypatch, tmp_path):
    import sys

    from fairdf.engine.events import open_event_log
    from fairdf.errors import ConfigError

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ConfigError, match=r"pip install 'fairdf\[tensorboard\]'"):
        open_event_log(True, tmp_path, 10, is_main=True)
    assert open_event_log(False, tmp_path, 10, is_main=True) is None
