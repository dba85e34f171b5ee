"""L_con: triplet terms on the pooled shared and specific features (docs/method.md, Losses)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def triplet_term(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float) -> Tensor:
    """mean(max(0, ||a - p|| - ||a - n|| + margin)) over rows of `(N, D)` tensors."""
    positive_distance = F.pairwise_distance(anchor, positive)
    negative_distance = F.pairwise_distance(anchor, negative)
    return torch.clamp(positive_distance - negative_distance + margin, min=0).mean()


def _random_keys(n: int, device: torch.device, generator: torch.Generator | None) -> Tensor:
    if generator is None:
        return torch.rand(n, device=device)
    return torch.rand(n, generator=generator, device=generator.device).to(device)


def permute_within_labels(labels: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Index `(N,)` sending each position to a random position with the same label.

    The result is a permutation: within each label its positions are shuffled.
    """
    keys = _random_keys(labels.numel(), labels.device, generator)
    shuffled = torch.argsort(keys)
    by_label_shuffled = shuffled[torch.argsort(labels[shuffled], stable=True)]
    by_label = torch.argsort(labels, stable=True)
    index = torch.empty_like(by_label)
    index[by_label] = by_label_shuffled
    return index


def contrastive_loss(
    shared: Tensor,
    specific: Tensor,
    methods: Tensor,
    margin: float = 3.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Sum of four triplet terms; features `(2B, D)` reals first, methods `(2B,)` (0 = real).

    Shared features: anchors of one half get a positive from a random permutation of
    their own half and a negative from a random permutation of the other half.
    Specific features: positives come from a permutation within the same method
    label; the negative of a real anchor is the permuted sample at the same position
    in the fake half, and vice versa.
    """
    if shared.shape[0] % 2:
        raise ValueError(
            f"contrastive_loss: expected B reals then B fakes, got {shared.shape[0]} rows"
        )
    half = shared.shape[0] // 2
    halves = torch.zeros(2 * half, dtype=torch.long, device=shared.device)
    halves[half:] = 1
    shared_permuted = shared[permute_within_labels(halves, generator)]
    specific_permuted = specific[permute_within_labels(methods, generator)]
    real, fake = shared.chunk(2)
    real_other, fake_other = shared_permuted.chunk(2)
    real_specific, fake_specific = specific.chunk(2)
    real_specific_other, fake_specific_other = specific_permuted.chunk(2)
    return (
        triplet_term(real, real_other, fake_other, margin)
        + triplet_term(fake, fake_other, real_other, margin)
        + triplet_term(real_specific, real_specific_other, fake_specific_other, margin)
        + triplet_term(fake_specific, fake_specific_other, real_specific_other, margin)
    )
