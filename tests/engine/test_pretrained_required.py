"""No silent random start: the FF++ configs name their ImageNet weights or say `none`."""

from __future__ import annotations

import pytest
import torch

from fairdf.cli import main


def test_ffpp_config_without_weights_is_refused_before_anything_runs(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--config", "ffpp", "--set", f"data.root={tmp_path}", "--out", str(out)])
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    for words in ("model.pretrained", "xception-b5690688.pth", "timm:", "model.pretrained=none"):
        assert words in err


def test_pretrained_none_trains_on_purpose(tiny_overrides, tmp_path):
    from fairdf.config import load_config

    config = load_config("ffpp", [*tiny_overrides, "model.pretrained=none", "train.epochs=1"])
    assert config.model.pretrained is None
    out = tmp_path / "run"
    sets = [
        item
        for override in [*tiny_overrides, "train.epochs=1", "optim.sam=false"]
        for item in ("--set", override)
    ]
    code = main(
        ["train", "--config", "ffpp", *sets, "--set", "model.pretrained=none", "--out", str(out)]
    )
    assert code == 0 and (out / "checkpoints" / "last").is_dir()


def test_a_timm_name_loads_from_the_local_cache_only(tmp_path, monkeypatch):
    import timm

    from fairdf.errors import CheckpointError
    from fairdf.models.encoders import create_encoder
    from fairdf.models.weights import load_trunk_weights

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    encoder = create_encoder("xception", out_channels=None)
    with pytest.raises(CheckpointError, match="not in .*checkpoints; on a machine with internet"):
        load_trunk_weights([encoder.trunk], "timm:legacy_xception.tf_in1k", "xception")
    torch.manual_seed(3)
    cached = timm.create_model("legacy_xception", pretrained=False)
    folder = tmp_path / "torch" / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    torch.save(cached.state_dict(), folder / "xception-43020ad28.pth")
    load_trunk_weights([encoder.trunk], "timm:legacy_xception.tf_in1k", "xception")
    assert torch.equal(encoder.trunk.conv1.weight, cached.conv1.weight)
    with pytest.raises(CheckpointError, match="timm knows no pretrained weights"):
        load_trunk_weights([encoder.trunk], "timm:no_such_model.x", "xception")
