"""LDAM margins, the contrastive triplets and the reconstruction term, recomputed by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fairdf.losses.contrastive import contrastive_loss, permute_within_labels
from fairdf.losses.ldam import ldam_loss, ldam_margins
from fairdf.losses.reconstruction import reconstruction_loss
from fairdf.models.detector import Reconstructions

FFPP_COUNTS = [2475, 25443, 1468, 4163, 8013, 31281, 1111, 2185]


def test_ldam_margins_follow_quarter_power_law():
    counts = np.array(FFPP_COUNTS, dtype=np.float64)
    expected = counts**-0.25 * (0.5 / (counts**-0.25).max())
    np.testing.assert_allclose(ldam_margins(FFPP_COUNTS).numpy(), expected, rtol=1e-6)
    assert float(ldam_margins(FFPP_COUNTS).max()) == pytest.approx(0.5)


def test_group_without_images_gets_the_largest_margin():
    margins = ldam_margins([100, 0, 400, 10_000], max_margin=0.4).tolist()
    assert margins[1] == pytest.approx(0.4) and margins[0] == pytest.approx(0.4)
    assert margins[2] == pytest.approx(0.4 * (100 / 400) ** 0.25)
    assert ldam_margins([0, 0]).tolist() == pytest.approx([0.5, 0.5])
    with pytest.raises(ValueError):
        ldam_margins([3, -1])


def test_ldam_loss_by_hand():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 3, generator=generator, dtype=torch.float64)
    target = torch.tensor([0, 2, 1, 1, 0])
    margins = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    expected = 0.0
    for row, y in zip(logits, target, strict=True):
        shifted = row.clone()
        shifted[y] -= margins[y]
        expected += -torch.log_softmax(30 * shifted, dim=0)[y] / 5
    torch.testing.assert_close(
        ldam_loss(logits, target, margins).double(), expected, rtol=1e-6, atol=1e-6
    )


def test_permutation_stays_within_labels_and_is_reproducible():
    labels = torch.tensor([0, 0, 0, 0, 1, 2, 1, 3, 2, 1, 1, 2])
    first = permute_within_labels(labels, torch.Generator().manual_seed(7))
    again = permute_within_labels(labels, torch.Generator().manual_seed(7))
    assert torch.equal(first, again)
    assert sorted(first.tolist()) == list(range(12))
    assert torch.equal(labels[first], labels)
    draws = {
        tuple(permute_within_labels(labels, torch.Generator().manual_seed(s)).tolist())
        for s in range(20)
    }
    assert len(draws) > 10  # actually random


def _triplet(anchor, positive, negative, margin):
    terms = [
        max(0.0, float(np.linalg.norm(a - p + 1e-6)) - float(np.linalg.norm(a - n + 1e-6)) + margin)
        for a, p, n in zip(anchor, positive, negative, strict=True)
    ]
    return sum(terms) / len(terms)


def test_contrastive_loss_by_hand():
    generator = torch.Generator().manual_seed(1)
    shared = torch.randn(8, 5, generator=generator, dtype=torch.float64)
    specific = torch.randn(8, 5, generator=generator, dtype=torch.float64)
    methods = torch.tensor([0, 0, 0, 0, 1, 2, 1, 2])
    got = contrastive_loss(
        shared, specific, methods, margin=3.0, generator=torch.Generator().manual_seed(9)
    )
    # the same draws, in the order the loss makes them
    replay = torch.Generator().manual_seed(9)
    halves = permute_within_labels(torch.tensor([0, 0, 0, 0, 1, 1, 1, 1]), replay)
    within = permute_within_labels(methods, replay)
    assert set(halves[:4].tolist()) == {0, 1, 2, 3} and set(halves[4:].tolist()) == {4, 5, 6, 7}
    s, p = shared.numpy(), specific.numpy()
    real_pos, fake_pos = s[halves[:4]], s[halves[4:]]
    real_spec, fake_spec = p[within[:4]], p[within[4:]]
    expected = (
        _triplet(s[:4], real_pos, fake_pos, 3.0)
        + _triplet(s[4:], fake_pos, real_pos, 3.0)
        + _triplet(p[:4], real_spec, fake_spec, 3.0)
        + _triplet(p[4:], fake_spec, real_spec, 3.0)
    )
    assert float(got) == pytest.approx(expected, rel=1e-9)


def test_reconstruction_loss_pairs_each_output_with_its_style_image():
    real, fake = torch.zeros(2, 3, 4, 4), torch.ones(2, 3, 4, 4)
    images = torch.cat([real, fake])
    outputs = Reconstructions(
        fake_self=torch.full((2, 3, 4, 4), 0.5),  # |0.5 - 1| = 0.5
        real_self=torch.full((2, 3, 4, 4), 0.25),  # |0.25 - 0| = 0.25
        fake_style=torch.full((2, 3, 4, 4), -1.0),  # |-1 - 1| = 2
        real_style=torch.full((2, 3, 4, 4), 0.125),  # 0.125
    )
    assert float(reconstruction_loss(outputs, images)) == pytest.approx(0.5 + 0.25 + 2 + 0.125)
