"""Checkpoint folders: save/load round trip, inference-only loading, bad folders."""

from __future__ import annotations

import json

import pytest
import torch

from fairdf.engine.checkpoint import load_checkpoint, read_checkpoint_info, save_checkpoint
from fairdf.errors import CheckpointError
from fairdf.models.config import DetectorConfig
from fairdf.models.detector import FairDetector, FairDetectorInference

SMALL = dict(encoder="tiny", image_size=64, encoder_channels=64, feature_channels=32, hidden_dim=32)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    torch.manual_seed(0)
    model = FairDetector(DetectorConfig(**SMALL))
    model.train()(torch.rand(4, 3, 64, 64))  # move BN running statistics off their defaults
    folder = tmp_path_factory.mktemp("checkpoints") / "model"
    save_checkpoint(folder, model, scheme="ffpp", metadata={"epoch": 3})
    return model, folder


def test_folder_layout_and_description(saved):
    model, folder = saved
    assert sorted(p.name for p in folder.iterdir()) == ["checkpoint.json", "model.safetensors"]
    info = json.loads((folder / "checkpoint.json").read_text())
    assert info["format"] == "fairdf-checkpoint" and info["version"] == 1
    assert info["scheme"] == "ffpp" and info["metadata"] == {"epoch": 3}
    assert info["detector"] == model.config.to_dict()


def test_round_trip_restores_every_tensor(saved):
    model, folder = saved
    loaded, info = load_checkpoint(folder)
    assert (
        isinstance(loaded, FairDetector) and info.detector == model.config and info.scheme == "ffpp"
    )
    original = model.state_dict()
    for key, value in loaded.state_dict().items():
        assert torch.equal(value, original[key]), key
    assert all(p.requires_grad for p in loaded.parameters())
    images = torch.rand(2, 3, 64, 64)
    torch.testing.assert_close(
        loaded.eval().score(images).logits, model.eval().score(images).logits, rtol=0, atol=0
    )


def test_inference_only_loads_the_scoring_branches(saved):
    model, folder = saved
    loaded, _ = load_checkpoint(folder / "model.safetensors", inference_only=True)
    assert isinstance(loaded, FairDetectorInference) and not loaded.training
    assert not hasattr(loaded, "decoder") and not hasattr(loaded, "content_encoder")
    images = torch.rand(3, 3, 64, 64)
    torch.testing.assert_close(
        loaded.score(images).p_fake, model.eval().score(images).p_fake, rtol=0, atol=0
    )


def test_wrong_shape_state_dict_lists_the_keys(saved, tmp_path):
    _, folder = saved
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes())
    info = json.loads((folder / "checkpoint.json").read_text())
    info["detector"]["n_methods"] = 3
    (copy / "checkpoint.json").write_text(json.dumps(info))
    with pytest.raises(
        CheckpointError, match=r"specific_head\.mlp\.2\.bias: file 6 vs model 4"
    ) as error:
        load_checkpoint(copy)
    assert "\n" not in str(error.value)


def test_other_encoder_lists_missing_and_unexpected_keys(saved, tmp_path):
    _, folder = saved
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes())
    info = json.loads((folder / "checkpoint.json").read_text())
    info["detector"]["encoder"] = "resnet34"
    (copy / "checkpoint.json").write_text(json.dumps(info))
    with pytest.raises(CheckpointError, match=r"missing keys .* unexpected keys .* more"):
        load_checkpoint(copy)


def test_missing_and_corrupt_files(saved, tmp_path):
    _, folder = saved
    with pytest.raises(CheckpointError, match="no checkpoint.json"):
        load_checkpoint(tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "checkpoint.json").write_text((folder / "checkpoint.json").read_text())
    with pytest.raises(CheckpointError, match="model.safetensors is missing"):
        load_checkpoint(broken)
    (broken / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(broken)
    (broken / "checkpoint.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        read_checkpoint_info(broken)


def test_failed_save_leaves_nothing(tmp_path):
    model = FairDetector(DetectorConfig(**SMALL))
    target = tmp_path / "out"
    with pytest.raises(CheckpointError, match="6 groups"):
        save_checkpoint(target, model, scheme="celebdf")  # 8-group model, 6-group scheme
    assert list(tmp_path.iterdir()) == []


def test_inference_part_saves_and_loads_on_its_own(saved, tmp_path):
    model, _ = saved
    folder = save_checkpoint(tmp_path / "scorer", model.inference_module(), scheme="ffpp")
    scorer, _ = load_checkpoint(folder, inference_only=True)
    images = torch.rand(2, 3, 64, 64)
    torch.testing.assert_close(
        scorer.score(images).logits, model.eval().score(images).logits, rtol=0, atol=0
    )
    with pytest.raises(CheckpointError, match=r"missing keys \(content_encoder"):
        load_checkpoint(folder)


def test_weights_are_as_readable_as_the_other_files(saved):
    _, folder = saved
    import os
    import stat

    modes = {p.name: stat.S_IMODE(os.stat(p).st_mode) for p in folder.iterdir() if p.is_file()}
    umask = os.umask(0)
    os.umask(umask)
    assert set(modes.values()) == {0o666 & ~umask}, modes
