"""Resume equivalence with the scale options on: checkpointing, LookSAM, augmentation."""

import json

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
    full = train(tiny_config(*SCALE_OPTIONS), tmp_path / "full")
    part = train(tiny_config(*SCALE_OPTIONS, "train.epochs=1"), tmp_path / "part")
    train(tiny_config(*SCALE_OPTIONS), part, resume=True)
    expected, resumed = weights(full), weights(part)
    assert expected.keys() == resumed.keys()
    for key in expected:
        assert torch.equal(expected[key], resumed[key]), key
    steps = json.loads((full / "metrics.jsonl").read_text().splitlines()[0])
    assert steps["train"]["total"] > 0
