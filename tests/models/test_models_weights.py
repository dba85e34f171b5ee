"""Loading ImageNet trunk weights: Cadene and timm layouts, safetensors, bad files."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from fairdf.errors import CheckpointError, ConfigError
from fairdf.models.config import DetectorConfig
from fairdf.models.detector import FairDetector
from fairdf.models.encoders import create_encoder


def _random_state(module: torch.nn.Module, seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {
        k: torch.randn(v.shape, generator=generator) if v.is_floating_point() else v.clone()
        for k, v in module.state_dict().items()
    }


def _assert_trunk_equals(trunk: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    for key, value in trunk.state_dict().items():
        if not key.endswith("num_batches_tracked"):
            torch.testing.assert_close(
                value, state[key].reshape(value.shape), rtol=0, atol=0, msg=key
            )


def test_cadene_xception_layout_loads(tmp_path):
    trunk = create_encoder("xception").trunk
    state = _random_state(trunk)
    cadene = {
        k: (v.flatten(1) if "pointwise" in k else v)
        for k, v in state.items()
        if not k.endswith("num_batches_tracked")
    }
    cadene["fc.weight"], cadene["fc.bias"] = torch.randn(1000, 2048), torch.randn(1000)
    assert cadene["block1.rep.0.pointwise.weight"].ndim == 2
    path = tmp_path / "xception-b5690688.pth"
    torch.save(cadene, path)
    encoder = create_encoder("xception", pretrained=path)
    _assert_trunk_equals(encoder.trunk, state)


def test_timm_checkpoint_wrapped_with_module_prefix_loads(tmp_path):
    trunk = create_encoder("resnet34").trunk
    state = _random_state(trunk, seed=1)
    wrapped = {
        "state_dict": {f"module.{k}": v for k, v in state.items()}
        | {"module.fc.weight": torch.randn(1000, 512)}
    }
    path = tmp_path / "resnet34.pth"
    torch.save(wrapped, path)
    _assert_trunk_equals(create_encoder("resnet34", pretrained=path).trunk, state)


def test_safetensors_weights_load_into_every_encoder_of_the_detector(tmp_path):
    state = _random_state(create_encoder("tiny").trunk, seed=2)
    path = tmp_path / "tiny.safetensors"
    save_file(state, str(path))
    detector = FairDetector(DetectorConfig(encoder="tiny", image_size=64, pretrained=str(path)))
    for encoder in (
        detector.forgery_encoder,
        detector.content_encoder,
        detector.demographic_encoder,
    ):
        _assert_trunk_equals(encoder.trunk, state)


def test_weights_of_another_architecture_list_missing_and_unexpected_keys(tmp_path):
    path = tmp_path / "tiny.pth"
    torch.save(create_encoder("tiny").trunk.state_dict(), path)
    with pytest.raises(CheckpointError) as error:
        create_encoder("resnet34", pretrained=path)
    message = str(error.value)
    assert "\n" not in message and str(path) in message and "resnet34" in message
    assert "missing keys (" in message and "unexpected keys (layers.0.weight" in message
    assert " more" in message  # long lists are truncated with a count
    assert len(message) < 800


def test_wrong_shapes_are_listed(tmp_path):
    state = create_encoder("tiny").trunk.state_dict()
    state["layers.0.weight"] = torch.zeros(16, 3, 3, 3)
    path = tmp_path / "tiny.pth"
    torch.save(state, path)
    with pytest.raises(
        CheckpointError, match=r"layers\.0\.weight: file 16x3x3x3 vs model 32x3x3x3"
    ):
        create_encoder("tiny", pretrained=path)


@pytest.mark.parametrize(
    "content, expected",
    [([1, 2, 3], "found list"), ({"epoch": 3}, "not tensors: epoch"), ({}, "empty mapping")],
)
def test_pickle_that_is_not_a_state_dict_is_one_line_error(tmp_path, content, expected):
    path = tmp_path / "bad.pth"
    torch.save(content, path)
    with pytest.raises(CheckpointError, match=expected) as error:
        create_encoder("tiny", pretrained=path)
    assert "\n" not in str(error.value)


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "model.pth"
    torch.save(torch.nn.Linear(2, 2), path)  # a whole model, not a state dict
    with pytest.raises(CheckpointError, match="not read for safety"):
        create_encoder("tiny", pretrained=path)


def test_garbage_and_missing_files(tmp_path):
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"this is not a weights file")
    with pytest.raises(CheckpointError, match="garbage.pth"):
        create_encoder("tiny", pretrained=garbage)
    with pytest.raises(CheckpointError, match="not found"):
        create_encoder("tiny", pretrained=tmp_path / "absent.pth")
    bad_safetensors = tmp_path / "bad.safetensors"
    bad_safetensors.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(CheckpointError, match="safetensors"):
        create_encoder("tiny", pretrained=bad_safetensors)


def test_pretrained_true_is_a_config_error_not_a_download():
    with pytest.raises(ConfigError, match="never downloaded"):
        DetectorConfig(pretrained=True)
