"""FairDetector's forward contract and its inference branches (tiny encoder, 64 px)."""

from __future__ import annotations

import pytest
import torch

from fairdf.errors import ConfigError
from fairdf.models.blocks import adain
from fairdf.models.config import DetectorConfig
from fairdf.models.detector import DetectorOutput, FairDetector, FairDetectorInference

SMALL = dict(encoder="tiny", image_size=64, encoder_channels=64, feature_channels=32, hidden_dim=32)


@pytest.fixture(scope="module")
def detector() -> FairDetector:
    torch.manual_seed(0)
    return FairDetector(DetectorConfig(**SMALL, n_groups=6, n_methods=4))


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return torch.rand(6, 3, 64, 64, generator=torch.Generator().manual_seed(1)) * 2 - 1


def test_training_forward_shapes(detector, images):
    output = detector.train()(images)
    assert isinstance(output, DetectorOutput)
    assert output.shared.logits.shape == (6, 2) and output.fused.logits.shape == (6, 2)
    assert output.specific.logits.shape == (6, 5) and output.demographic.logits.shape == (6, 6)
    for head in (output.shared, output.specific, output.demographic, output.fused):
        assert head.features.shape == (6, 32)
    for image in vars(output.reconstructions).values():
        assert image.shape == (3, 3, 64, 64) and image.abs().max() <= 1


def _record_calls(model: torch.nn.Module, names: list[str]) -> tuple[list[str], list]:
    calls: list[str] = []
    handles = [
        getattr(model, name).register_forward_hook(lambda *_, name=name: calls.append(name))
        for name in names
    ]
    return calls, handles


ALL_MODULES = [
    "forgery_encoder",
    "content_encoder",
    "demographic_encoder",
    "specific_block",
    "shared_block",
    "demographic_block",
    "specific_head",
    "shared_head",
    "demographic_head",
    "fused_head",
    "decoder",
]
SCORING = {
    "forgery_encoder",
    "demographic_encoder",
    "shared_block",
    "demographic_block",
    "fused_head",
}


def test_score_runs_only_the_scoring_branches(detector, images):
    calls, handles = _record_calls(detector, ALL_MODULES)
    try:
        output = detector.eval().score(images)
    finally:
        for handle in handles:
            handle.remove()
    assert set(calls) == SCORING
    assert output.logits.shape == (6, 2) and output.p_fake.shape == (6,)
    torch.testing.assert_close(output.p_fake, torch.softmax(output.logits, dim=1)[:, 1])


def test_score_equals_the_fused_head_of_the_full_forward(detector, images):
    detector.eval()
    with torch.no_grad():
        full = detector(images, reconstruct=False).fused.logits
        manual = detector.fused_head(
            adain(
                detector.demographic_block(detector.demographic_encoder(images)),
                detector.shared_block(detector.forgery_encoder(images)),
            )
        )[0]
    torch.testing.assert_close(detector.score(images).logits, full, rtol=0, atol=0)
    torch.testing.assert_close(full, manual, rtol=0, atol=0)


def test_validation_forward_skips_content_encoder_and_decoder(detector):
    calls, handles = _record_calls(detector, ALL_MODULES)
    try:
        output = detector.eval()(torch.rand(5, 3, 64, 64), reconstruct=False)  # odd batch is fine
    finally:
        for handle in handles:
            handle.remove()
    assert output.reconstructions is None
    assert "content_encoder" not in calls and "decoder" not in calls


def test_inference_module_holds_only_scoring_modules(detector):
    inference = detector.inference_module()
    assert {name for name, _ in inference.named_children()} == SCORING
    full_state = detector.state_dict()
    for key, value in inference.state_dict().items():
        assert full_state[key] is value or torch.equal(full_state[key], value)
    built = FairDetectorInference.build(detector.config)
    assert built.state_dict().keys() == inference.state_dict().keys()


def test_decoder_gets_the_four_code_pairs_in_one_call(detector, images):
    """One decoder call on [z_k, z_r, z_r, z_k] and [c_k, c_r, c_k, c_r] (k fake, r real)."""
    seen = []
    handle = detector.decoder.register_forward_hook(
        lambda _, args, kwargs, out: seen.append((args, out)), with_kwargs=True
    )
    try:
        with torch.no_grad():
            output = detector.eval()(images)
            forgery = detector.forgery_encoder(images)
            z = torch.cat([detector.specific_block(forgery), detector.shared_block(forgery)], dim=1)
            c = adain(detector.demographic_encoder(images), detector.content_encoder(images))
    finally:
        handle.remove()
    assert len(seen) == 1
    (codes, styles), decoded = seen[0]
    z_real, z_fake = z.chunk(2)
    c_real, c_fake = c.chunk(2)
    torch.testing.assert_close(codes, torch.cat([z_fake, z_real, z_real, z_fake]), rtol=0, atol=0)
    torch.testing.assert_close(styles, torch.cat([c_fake, c_real, c_fake, c_real]), rtol=0, atol=0)
    parts = decoded.chunk(4)
    recon = output.reconstructions
    for got, expected in zip(
        (recon.fake_self, recon.real_self, recon.fake_style, recon.real_style), parts, strict=True
    ):
        torch.testing.assert_close(got, expected, rtol=0, atol=0)


def test_training_forward_needs_an_even_batch(detector):
    with pytest.raises(ValueError, match="B reals then B fakes"):
        detector.train()(torch.rand(3, 3, 64, 64))


def test_image_size_too_small_for_the_encoder_is_a_config_error():
    with pytest.raises(ConfigError, match="too small"):
        FairDetector(DetectorConfig(encoder="tiny", image_size=16))


def test_detector_config_round_trip_and_checks():
    config = DetectorConfig(**SMALL)
    assert DetectorConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ConfigError, match="unknown detector config key 'colour'"):
        DetectorConfig.from_dict({"colour": "red"})
    with pytest.raises(ConfigError, match="twice"):
        DetectorConfig(encoder_channels=512, feature_channels=128)
    with pytest.raises(ConfigError, match="model.head_dropout"):
        DetectorConfig(head_dropout=1.0)
