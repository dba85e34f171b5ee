"""`model.head: published`: the published baselines' classifier, and one-logit heads."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from fairdf.errors import ConfigError
from fairdf.models.binary import BinaryDetector
from fairdf.models.config import DetectorConfig


def _model(head_logits: int) -> BinaryDetector:
    torch.manual_seed(0)
    config = DetectorConfig(
        method="xception", encoder="tiny", image_size=32, head="published", head_logits=head_logits
    )
    return BinaryDetector(config).eval()


@pytest.mark.parametrize("head_logits", [1, 2])
def test_trunk_relu_pool_linear(head_logits):
    model = _model(head_logits)
    assert isinstance(model.encoder.adapter, torch.nn.Identity)
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        pooled = F.relu(model.encoder.trunk(images)).mean(dim=(2, 3))
        z = pooled @ model.head.linear.weight.T + model.head.linear.bias
        out = model.score(images)
    if head_logits == 1:
        torch.testing.assert_close(out.logits[:, 1:], z)
        assert (out.logits[:, 0] == 0).all()
        torch.testing.assert_close(out.p_fake, torch.sigmoid(z[:, 0]))
    else:
        torch.testing.assert_close(out.logits, z)


def test_one_logit_cross_entropy_is_the_bce_of_the_logit():
    model = _model(1)
    images, labels = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 1, 0])
    logits = model(images).logits
    z = logits[:, 1]
    expected = F.binary_cross_entropy_with_logits(z, labels.float())
    torch.testing.assert_close(F.cross_entropy(logits, labels), expected)


def test_old_checkpoint_configs_keep_the_adapter():
    values = DetectorConfig(method="xception", encoder="tiny", image_size=32).to_dict()
    del values["head"], values["head_logits"]  # written before these fields existed
    config = DetectorConfig.from_dict(values)
    assert config.head == "adapter" and config.head_logits == 2
    assert "encoder.adapter.0.weight" in BinaryDetector(config).state_dict()


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"head": "linear"}, "model.head"),
        ({"method": "ucf", "head": "published"}, "model.head"),
        ({"head": "published", "head_logits": 3}, "model.head_logits"),
    ],
)
def test_bad_head_settings_name_the_key(values, key):
    with pytest.raises(ConfigError, match=key):
        DetectorConfig(**{"method": "xception", "encoder": "tiny", **values})


def test_a_checkpoint_folder_as_pretrained_starts_the_whole_model(tmp_path):
    """Fine-tuning an imported release: model.pretrained names its checkpoint folder."""
    from dataclasses import replace

    from fairdf.engine.checkpoint import write_checkpoint
    from fairdf.errors import CheckpointError
    from fairdf.methods import build_model

    released = _model(1)
    write_checkpoint(tmp_path / "ckpt", released.state_dict(), released.config, scheme="ffpp")
    config = replace(released.config, pretrained=str(tmp_path / "ckpt"))
    model = build_model(config)
    for key, value in released.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    other = replace(config, head_logits=2)
    with pytest.raises(CheckpointError, match="model.pretrained .* does not fit .*head.linear"):
        build_model(other)
