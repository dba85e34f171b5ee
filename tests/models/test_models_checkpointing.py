"""Activation checkpointing changes memory, never numbers: gradients, BN statistics, SAM steps."""

import copy

import pytest
import torch

from fairdf.errors import ConfigError
from fairdf.losses import DetectorLoss, LossConfig
from fairdf.models import DetectorConfig, FairDetector, create_encoder
from fairdf.models.checkpointing import (
    checkpoint_units,
    enable_activation_checkpointing,
    remove_activation_checkpointing,
)
from fairdf.optim import SAM, sam_step


def make_batch(pairs: int, size: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return {
        "image": torch.rand(2 * pairs, 3, size, size, generator=generator) * 2 - 1,
        "label": torch.tensor([0] * pairs + [1] * pairs),
        "method": torch.tensor([0] * pairs + [1 + i % 5 for i in range(pairs)]),
        "group": torch.randint(0, 8, (2 * pairs,), generator=generator),
    }


def small_detector(encoder: str, size: int) -> FairDetector:
    torch.manual_seed(0)
    config = DetectorConfig(
        encoder=encoder, image_size=size, encoder_channels=32, feature_channels=16, hidden_dim=16
    )
    return FairDetector(config).train()


def gradients_and_buffers(model, batch, loss):
    torch.manual_seed(3)  # same dropout masks for both models
    total = loss(model(batch["image"]), batch).total
    total.backward()
    grads = {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}
    return total.detach(), grads, {k: v.clone() for k, v in model.named_buffers()}


def test_gradients_and_running_stats_are_bitwise_equal():
    plain = small_detector("tiny", 32)
    checkpointed = copy.deepcopy(plain)
    assert enable_activation_checkpointing(checkpointed, "all") == 4  # 3 trunks + decoder
    batch, loss = make_batch(4, 32), DetectorLoss(LossConfig(), [10] * 8)
    expected = gradients_and_buffers(plain, batch, loss)
    actual = gradients_and_buffers(checkpointed, batch, loss)
    assert torch.equal(expected[0], actual[0])
    for want, got in zip(expected[1:], actual[1:], strict=True):
        assert want.keys() == got.keys()
        for key in want:  # BN running stats updated once, dropout masks replayed
            assert torch.equal(want[key], got[key]), key
    assert plain.state_dict().keys() == checkpointed.state_dict().keys()


class OneEncoder(torch.nn.Module):
    """A detector-shaped holder of one block-structured encoder."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.forgery_encoder = create_encoder("resnet34", out_channels=16)

    def forward(self, images):
        return self.forgery_encoder(images)


def test_block_checkpointing_of_a_timm_trunk_is_exact():
    plain = OneEncoder().train()
    checkpointed = copy.deepcopy(plain)
    assert enable_activation_checkpointing(checkpointed, "encoders") == 16  # resnet34 blocks
    images = make_batch(2, 64)["image"]
    results = []
    for model in (plain, checkpointed):
        model(images).square().mean().backward()
        grads = {k: p.grad for k, p in model.named_parameters()}
        results.append((grads, dict(model.named_buffers())))
    for want, got in zip(*results, strict=True):
        for key in want:
            assert torch.equal(want[key], got[key]), key


def test_sam_steps_match_and_rng_stream_is_untouched():
    plain = small_detector("tiny", 32)
    checkpointed = copy.deepcopy(plain)
    enable_activation_checkpointing(checkpointed, "all")
    batch, loss = make_batch(4, 32), DetectorLoss(LossConfig(), [10] * 8)
    after = []
    for model in (plain, checkpointed):
        optimizer = SAM(model.parameters(), torch.optim.SGD, rho=0.05, lr=0.1, momentum=0.9)
        torch.manual_seed(7)
        for _ in range(2):

            def closure(model=model):
                total = loss(model(batch["image"]), batch).total
                total.backward()
                return total

            sam_step(model, optimizer, closure)
        after.append((model.state_dict(), torch.rand(3)))
    for key, value in after[0][0].items():
        assert torch.equal(value, after[1][0][key]), key
    assert torch.equal(after[0][1], after[1][1])  # recomputation did not advance the RNG


def test_units_are_the_residual_blocks():
    import timm

    trunk = timm.create_model("legacy_xception", pretrained=False, num_classes=0)
    names = {id(m): n for n, m in trunk.named_modules()}
    units = [names[id(m)] for m in checkpoint_units(trunk)]
    assert units == [f"block{i}" for i in range(1, 13)] + ["conv3", "conv4"]
    assert checkpoint_units(small_detector("tiny", 32).forgery_encoder.trunk) == []


def test_remove_and_unknown_mode():
    model = small_detector("tiny", 32)
    enable_activation_checkpointing(model, "all")
    remove_activation_checkpointing(model)
    assert not any(
        "forward" in m.__dict__ or "forward_features" in m.__dict__ for m in model.modules()
    )
    with pytest.raises(ConfigError, match="train.activation_checkpointing"):
        enable_activation_checkpointing(model, "blocks")
