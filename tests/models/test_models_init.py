"""`model.init`: PyTorch's default initialisation (reference) or He, outside the trunks."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from fairdf.errors import ConfigError
from fairdf.models import DetectorConfig, FairDetector

TINY = {"encoder": "tiny", "image_size": 32, "encoder_channels": 64, "feature_channels": 32}


def _pytorch_default(module: nn.Module) -> nn.Module:
    """A fresh layer of the same shape, built by PyTorch's own constructor."""
    if isinstance(module, nn.Conv2d):
        return nn.Conv2d(
            module.in_channels,
            module.out_channels,
            module.kernel_size,
            stride=module.stride,
            padding=module.padding,
            dilation=module.dilation,
            groups=module.groups,
            bias=module.bias is not None,
        )
    if isinstance(module, nn.Linear):
        return nn.Linear(module.in_features, module.out_features, bias=module.bias is not None)
    return nn.BatchNorm2d(module.num_features)


def _build(init: str, seed: int, monkeypatch) -> tuple[FairDetector, torch.Tensor]:
    """The detector, and the RNG state at the moment it initialises its new layers."""
    captured = []
    original = FairDetector._init_new_layers

    def capture(self):
        captured.append(torch.get_rng_state())
        original(self)

    monkeypatch.setattr(FairDetector, "_init_new_layers", capture)
    torch.manual_seed(seed)
    return FairDetector(DetectorConfig(init=init, **TINY)), captured[0]


def test_reference_init_equals_pytorch_defaults_of_the_same_layers(monkeypatch):
    detector, state = _build("reference", 11, monkeypatch)
    layers = detector.new_layers()
    assert {type(m) for m in layers} == {nn.Conv2d, nn.Linear, nn.BatchNorm2d}
    torch.set_rng_state(state)
    fresh = [_pytorch_default(m) for m in layers]  # drawn in the same order
    for ours, theirs in zip(layers, fresh, strict=True):
        for name, value in theirs.state_dict().items():
            assert torch.equal(ours.state_dict()[name], value), (ours, name)


def test_he_init_differs_only_outside_the_trunks(monkeypatch):
    reference, _ = _build("reference", 11, monkeypatch)
    he, _ = _build("he", 11, monkeypatch)
    new = {id(m) for m in he.new_layers()}
    for (name, a), (_, b) in zip(reference.named_modules(), he.named_modules(), strict=True):
        if not isinstance(a, (nn.Conv2d, nn.Linear)):
            continue
        if id(b) in new:
            assert not torch.equal(a.weight, b.weight), name
            if b.bias is not None:
                assert torch.count_nonzero(b.bias) == 0, name
        else:  # trunk layers keep their own init either way
            assert torch.equal(a.weight, b.weight), name


def test_unknown_init_is_a_config_error():
    with pytest.raises(ConfigError, match="model.init"):
        DetectorConfig(init="xavier", **TINY)
