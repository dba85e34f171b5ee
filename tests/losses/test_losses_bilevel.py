"""The bi-level fairness loss against exact float64 values and brute force."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from fairdf.losses import bilevel_fairness_loss
from fairdf.losses.bilevel import bilevel_fairness


@pytest.fixture(scope="module")
def cases(reference_dir):
    return json.loads((reference_dir / "bilevel_vector.json").read_text())["cases"]


def _relative(got: float, expected: float) -> float:
    return abs(got - expected) / max(abs(expected), 1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_reference_vectors(cases, dtype):
    for index, case in enumerate(cases):
        losses = torch.tensor(case["losses"], dtype=dtype)
        result = bilevel_fairness(losses, torch.tensor(case["groups"]))
        risks = {
            int(g): float(r)
            for g, r, p in zip(result.group_ids, result.group_risk, result.present, strict=True)
            if p
        }
        expected = {int(g): r for g, r in case["inner_cvar_by_group"].items()}
        assert risks.keys() == expected.keys(), index
        for group, value in expected.items():
            assert _relative(risks[group], value) < 1e-6, (index, group)
        assert _relative(float(result.outer_t), case["outer_t"]) < 1e-6, index
        assert _relative(float(result.loss), case["loss_fuse"]) < 1e-6, index
        assert result.loss.dtype == dtype


def _brute_inner(values: np.ndarray, alpha: float) -> float:
    """min over t of the piecewise-linear convex CVaR objective: attained at a data point."""
    return min(t + np.maximum(values - t, 0).mean() / alpha for t in values)


def _brute_outer(risks: np.ndarray, alpha: float, tau1: float, tau2: float) -> tuple[float, float]:
    """Golden-section search on the strictly convex outer objective, in float64."""

    def objective(t: float) -> float:
        return (
            t
            + tau2 / (2 * alpha) * t * t
            + tau1 * np.logaddexp(0, (risks - t) / tau1).mean() / alpha
        )

    low, high = risks.min() - 1.0, risks.max() + 1.0
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(200):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if objective(a) < objective(b):
            high = b
        else:
            low = a
    t = (low + high) / 2
    return t, objective(t)


@pytest.mark.parametrize("seed", range(5))
def test_random_batches_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 40))
    groups = rng.choice([0, 2, 3, 7], size=n)  # ids with gaps: absent groups are skipped
    losses = rng.exponential(1.0, size=n) * rng.choice([0.1, 1, 5])
    alpha_inner, alpha_outer, tau1, tau2 = 0.9, 0.5, 1e-3, 1e-4
    risks = np.array([_brute_inner(losses[groups == g], alpha_inner) for g in np.unique(groups)])
    t, value = _brute_outer(risks, alpha_outer, tau1, tau2)
    result = bilevel_fairness(torch.tensor(losses), torch.tensor(groups))
    got = sorted(float(r) for r, p in zip(result.group_risk, result.present, strict=True) if p)
    np.testing.assert_allclose(got, sorted(risks), rtol=1e-12)
    assert abs(float(result.outer_t) - t) < 1e-7
    assert abs(float(result.loss) - value) < 1e-12 * max(1.0, abs(value))


def test_other_alphas_and_taus_match_brute_force():
    rng = np.random.default_rng(11)
    losses, groups = rng.exponential(1.0, size=30), rng.integers(0, 3, size=30)
    risks = np.array([_brute_inner(losses[groups == g], 0.7) for g in range(3)])
    _, value = _brute_outer(risks, 0.3, 1e-2, 1e-3)
    got = bilevel_fairness_loss(torch.tensor(losses), torch.tensor(groups), 0.7, 0.3, 1e-2, 1e-3)
    assert abs(float(got) - value) < 1e-12


def test_group_ids_do_not_matter_only_membership():
    generator = torch.Generator().manual_seed(3)
    losses = torch.rand(20, generator=generator, dtype=torch.float64)
    groups = torch.randint(0, 3, (20,), generator=generator)
    renamed = torch.tensor([5, 1, 6])[groups]
    torch.testing.assert_close(
        bilevel_fairness_loss(losses, groups), bilevel_fairness_loss(losses, renamed)
    )


def test_gradient_matches_finite_differences():
    generator = torch.Generator().manual_seed(4)
    losses = (torch.rand(13, generator=generator, dtype=torch.float64) + 0.5).requires_grad_()
    groups = torch.tensor(
        [0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2]
    )  # k = 0.9 n is never whole: smooth
    assert torch.autograd.gradcheck(
        lambda x: bilevel_fairness_loss(x, groups), (losses,), eps=1e-7, atol=1e-6
    )


def test_no_host_synchronisation(monkeypatch):
    """Nothing in the path may copy a value to the host or branch on tensor data."""
    losses = torch.rand(16, dtype=torch.float32, requires_grad=True)
    groups = torch.randint(0, 4, (16,))

    def forbidden(*_args, **_kwargs):
        raise AssertionError("host synchronisation in bilevel_fairness_loss")

    for name in ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__", "__index__"):
        monkeypatch.setattr(torch.Tensor, name, forbidden)
    loss = bilevel_fairness_loss(losses, groups)
    loss.backward()
    monkeypatch.undo()
    assert torch.isfinite(losses.grad).all()
