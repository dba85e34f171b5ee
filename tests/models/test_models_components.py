"""AdaIN, feature block, head, decoder and LDAM against the reference's own outputs."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from fairdf.losses.ldam import ldam_loss, ldam_margins
from fairdf.models.blocks import ClassifierHead, FeatureBlock, adain
from fairdf.models.decoder import ReconstructionDecoder
from fairdf.models.reference_import import module_key_from_reference, module_key_to_reference

TOLERANCE = dict(rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def vectors(reference_dir):
    return load_file(reference_dir / "components.safetensors")


def _weights(vectors, prefix: str, kind: str, names: set[str]) -> dict[str, torch.Tensor]:
    """Reference weights under `prefix.` renamed to our module's keys."""
    state = {}
    for key, value in vectors.items():
        local = key[len(prefix) + 1 :]
        if key.startswith(prefix + ".") and local not in names:
            ours = module_key_from_reference(kind, local)
            assert module_key_to_reference(kind, ours) == local
            state[ours] = value
    return state


def test_adain_reproduces_reference(vectors):
    out = adain(vectors["adain.x"], vectors["adain.y"])
    torch.testing.assert_close(out, vectors["adain.out"], **TOLERANCE)


def test_adain_matches_float64_definition():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 4, 5, generator=generator, dtype=torch.float64)
    y = torch.randn(2, 3, 6, 2, generator=generator, dtype=torch.float64) * 3 + 1
    expected = torch.empty_like(x)
    for n in range(2):
        for c in range(3):
            xs, ys = x[n, c].flatten(), y[n, c].flatten()
            x_std = (((xs - xs.mean()) ** 2).sum() / (xs.numel() - 1) + 1e-5).sqrt()
            y_std = (((ys - ys.mean()) ** 2).sum() / (ys.numel() - 1) + 1e-5).sqrt()
            expected[n, c] = (x[n, c] - xs.mean()) / x_std * y_std + ys.mean()
    torch.testing.assert_close(adain(x, y), expected, rtol=1e-12, atol=1e-12)


def test_feature_block_reproduces_reference(vectors):
    block = FeatureBlock(512, 256)
    block.load_state_dict(_weights(vectors, "block", "block", {"in", "out"}))
    with torch.no_grad():
        torch.testing.assert_close(block(vectors["block.in"]), vectors["block.out"], **TOLERANCE)


def test_head_reproduces_reference_in_eval_mode(vectors):
    head = ClassifierHead(256, 512, 8).eval()
    head.load_state_dict(_weights(vectors, "head", "head", {"in", "logits", "feat"}))
    with torch.no_grad():
        logits, features = head(vectors["head.in"])
    torch.testing.assert_close(logits, vectors["head.logits"], **TOLERANCE)
    torch.testing.assert_close(features, vectors["head.feat"], **TOLERANCE)


def test_decoder_reproduces_reference_in_eval_mode(vectors):
    decoder = ReconstructionDecoder(512).eval()
    decoder.load_state_dict(
        _weights(vectors, "decoder", "decoder", {"forgery_code", "style_code", "out"})
    )
    with torch.no_grad():
        out = decoder(vectors["decoder.forgery_code"], vectors["decoder.style_code"])
    assert out.shape == vectors["decoder.out"].shape == (2, 3, 256, 256)
    torch.testing.assert_close(out, vectors["decoder.out"], **TOLERANCE)


def test_decoder_output_size_matches_x4_upsampling(vectors):
    decoder = ReconstructionDecoder(512).eval()
    z, c = vectors["decoder.forgery_code"], vectors["decoder.style_code"]
    with torch.no_grad():
        torch.testing.assert_close(decoder(z, c, output_size=(256, 256)), decoder(z, c))


def test_ldam_reproduces_reference(vectors):
    margins = ldam_margins(vectors["ldam.counts"], max_margin=0.5)
    loss = ldam_loss(vectors["ldam.logits"], vectors["ldam.target"], margins, scale=30.0)
    torch.testing.assert_close(loss.reshape(1), vectors["ldam.loss"], **TOLERANCE)
