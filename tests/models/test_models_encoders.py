"""The encoder registry and the Xception key layout of the reference."""

from __future__ import annotations

import pytest
import torch

from fairdf.cli import main
from fairdf.errors import UnknownNameError
from fairdf.models.config import DetectorConfig
from fairdf.models.detector import FairDetector
from fairdf.models.encoders import create_encoder, encoder_names
from fairdf.models.reference_import import UNUSED_PREFIXES, key_from_reference, key_to_reference

TIMM_CHANNELS = {
    "xception": 2048,
    "resnet34": 512,
    "resnet50": 2048,
    "efficientnet_b3": 1536,
    "efficientnet_b4": 1792,
    "efficientnet_b4_released": 1792,  # DeepfakeBench's and AI-Face's build
}


def _reference_layout(reference_dir) -> dict[str, str]:
    lines = (reference_dir / "official_state_dict.tsv").read_text().splitlines()
    assert lines[0].split("\t")[:2] == ["key", "shape"]
    return {row.split("\t")[0]: row.split("\t")[1] for row in lines[1:]}


def _shape_text(tensor: torch.Tensor) -> str:
    return "x".join(str(s) for s in tensor.shape) or "scalar"


def test_registry_lists_the_paper_encoders():
    assert set(encoder_names()) == {*TIMM_CHANNELS, "tiny", "tiny32"}


def test_unknown_encoder_lists_valid_names():
    with pytest.raises(UnknownNameError) as error:
        create_encoder("vgg16")
    message = str(error.value)
    assert (
        "vgg16" in message and "xception" in message and "tiny" in message and "\n" not in message
    )


@pytest.mark.parametrize("name", sorted(TIMM_CHANNELS))
def test_timm_encoders_adapt_to_encoder_channels(name):
    with torch.device("meta"):
        encoder = create_encoder(name, out_channels=512)
        features = encoder(torch.empty(2, 3, 256, 256))
    assert encoder.adapter[0].in_channels == TIMM_CHANNELS[name]
    assert tuple(features.shape) == (2, 512, 8, 8)
    assert encoder.adapter[0].bias is not None


@pytest.mark.parametrize(("name", "stride"), [("tiny", 16), ("tiny32", 32)])
@pytest.mark.parametrize("size", [64, 100, 256])
def test_tiny_encoders_accept_any_size(name, stride, size):
    encoder = create_encoder(name, out_channels=512)
    features = encoder(torch.randn(2, 3, size, size))
    expected = -(-size // stride)
    assert tuple(features.shape) == (2, 512, expected, expected)


def test_tiny_encoder_accepts_32_px():
    assert tuple(create_encoder("tiny")(torch.randn(1, 3, 32, 32)).shape) == (1, 512, 2, 2)


def test_xception_features_end_at_bn4_without_relu():
    torch.manual_seed(0)
    encoder = create_encoder("xception").eval()
    with torch.no_grad():
        features = encoder.trunk.forward_features(torch.randn(1, 3, 64, 64))
    assert tuple(features.shape) == (1, 2048, 2, 2)
    assert (features < 0).any(), "a ReLU after bn4 would make every feature >= 0"


def test_xception_detector_keys_map_one_to_one_onto_reference_layout(reference_dir):
    reference = _reference_layout(reference_dir)
    with torch.device("meta"):
        ours = FairDetector(DetectorConfig()).state_dict()
    mapped = {}
    for key, shape in reference.items():
        target = key_from_reference(key)
        if key.startswith(UNUSED_PREFIXES):
            assert target is None
            continue
        assert target in ours, f"{key} -> {target} is not one of our keys"
        assert _shape_text(ours[target]) == shape, key
        assert key_to_reference(target) == key
        mapped[target] = key
    assert len(mapped) == len(set(mapped.values()))  # one-to-one
    assert set(mapped) == set(ours)  # and onto: every key of ours has a reference key
    unused = [k for k in reference if k.startswith(UNUSED_PREFIXES)]
    assert len(unused) == 12 and len(reference) == len(ours) + 12


def test_unknown_encoder_in_a_run_config_exits_with_status_2(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text("model:\n  encoder: vgg16\n")
    status = main(["train", "--config", str(config), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "unknown encoder 'vgg16'" in err and "xception" in err
    assert not (tmp_path / "run").exists()
