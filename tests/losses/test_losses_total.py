"""The total loss on a tiny detector: weights, gradients to every part, logging values."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from fairdf.losses import DetectorLoss, LossConfig, bilevel_fairness_loss, ldam_margins
from fairdf.models.config import DetectorConfig
from fairdf.models.detector import FairDetector

SMALL = dict(encoder="tiny", image_size=64, encoder_channels=64, feature_channels=32, hidden_dim=32)
COUNTS = [40, 300, 25, 60, 0, 250, 10, 30]


def _batch(b: int = 4, seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {
        "image": torch.rand(2 * b, 3, 64, 64, generator=generator) * 2 - 1,
        "label": torch.tensor([0] * b + [1] * b),
        "method": torch.cat(
            [torch.zeros(b, dtype=torch.long), torch.randint(1, 6, (b,), generator=generator)]
        ),
        "group": torch.randint(0, 8, (2 * b,), generator=generator),
    }


@pytest.fixture(scope="module")
def model() -> FairDetector:
    torch.manual_seed(0)
    return FairDetector(DetectorConfig(**SMALL)).train()


def test_total_is_the_weighted_sum_of_independently_computed_terms(model):
    batch = _batch()
    config = LossConfig()
    torch.manual_seed(1)
    output = model(batch["image"])
    terms = DetectorLoss(config, COUNTS)(output, batch)
    margins = ldam_margins(COUNTS)
    shifted = output.demographic.logits - F.one_hot(batch["group"], 8) * margins[
        batch["group"]
    ].unsqueeze(1)
    independent = {
        "shared": F.cross_entropy(output.shared.logits, batch["label"]),
        "specific": F.cross_entropy(output.specific.logits, batch["method"]),
        "demographic": F.cross_entropy(30 * shifted, batch["group"]),
        "fuse": bilevel_fairness_loss(
            F.cross_entropy(output.fused.logits, batch["label"], reduction="none"), batch["group"]
        ),
    }
    for name, value in independent.items():
        torch.testing.assert_close(terms.parts[name], value.detach(), msg=name)
    weights = config.weights()
    expected = sum(weights[name] * value for name, value in terms.parts.items())
    torch.testing.assert_close(terms.total.detach(), expected)
    floats = terms.as_floats()
    assert list(floats) == [
        "total",
        "shared",
        "specific",
        "reconstruction",
        "contrastive",
        "demographic",
        "fuse",
    ]
    assert all(isinstance(v, float) for v in floats.values())


def test_training_step_gives_every_parameter_a_finite_nonzero_gradient(model):
    model.zero_grad(set_to_none=True)
    batch = _batch(seed=2)
    DetectorLoss(LossConfig(), COUNTS)(model(batch["image"]), batch).total.backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None, f"{name} got no gradient"
        assert torch.isfinite(parameter.grad).all(), name
        assert parameter.grad.abs().sum() > 0, f"{name} got a zero gradient"


def test_content_encoder_learns_only_through_the_reconstruction(model):
    model.zero_grad(set_to_none=True)
    batch = _batch(seed=3)
    config = LossConfig(reconstruction_weight=0.0)
    terms = DetectorLoss(config, COUNTS)(model(batch["image"], reconstruct=False), batch)
    terms.total.backward()
    assert "reconstruction" not in terms.parts
    assert all(p.grad is None for p in model.content_encoder.parameters())
    assert all(p.grad is None for p in model.decoder.parameters())
    assert all(p.grad is not None for p in model.forgery_encoder.parameters())


def test_generator_makes_the_loss_reproducible(model):
    batch = _batch(seed=4)
    model.eval()  # no dropout: only the contrastive draws could differ
    with torch.no_grad():
        output = model(batch["image"])
    values = [
        DetectorLoss(LossConfig(), COUNTS, generator=torch.Generator().manual_seed(5))(
            output, batch
        ).total
        for _ in range(2)
    ]
    model.train()
    assert torch.equal(values[0], values[1])


def test_reconstruction_needs_the_decoder_output(model):
    batch = _batch()
    with torch.no_grad(), pytest.raises(ValueError, match="reconstruct=True"):
        DetectorLoss(LossConfig(), COUNTS)(model(batch["image"], reconstruct=False), batch)


def test_loss_config_checks_values():
    from fairdf.errors import ConfigError

    with pytest.raises(ConfigError, match="loss.alpha_inner"):
        LossConfig(alpha_inner=0.0)
    with pytest.raises(ConfigError, match="loss.tau1"):
        LossConfig(tau1=-1.0)
