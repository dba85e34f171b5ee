"""DAG-FDD against a float64 brute-force CVaR and finite differences; DAW-FDD against the
bi-level oracle; neither synchronises with the host."""

import json
import math

import numpy as np
import pytest
import torch

from fairdf.losses import LossConfig
from fairdf.losses.cvar import cvar
from fairdf.losses.methods import DemographicAgnosticLoss, DemographicAwareLoss
from fairdf.models.detector import HeadOutput


def brute_force_cvar(losses: np.ndarray, alpha: float) -> float:
    """min over t of t + mean(max(0, l - t)) / alpha; the minimum lies at one of the l_i."""
    values = [t + np.maximum(losses - t, 0).mean() / alpha for t in losses]
    return float(min(values))


@pytest.mark.parametrize("alpha", [0.05, 0.3, 0.5, 0.77, 1.0])
def test_cvar_matches_brute_force(alpha):
    generator = np.random.default_rng(int(alpha * 100))
    for n in (1, 2, 7, 16, 33):
        losses = generator.exponential(size=n)
        if n > 4:
            losses[:3] = losses[3]  # ties
        got = cvar(torch.tensor(losses), alpha)
        assert got.dtype == torch.float64
        assert float(got) == pytest.approx(brute_force_cvar(losses, alpha), rel=1e-12, abs=1e-12)


def test_cvar_gradient_matches_finite_differences():
    generator = np.random.default_rng(0)
    losses = torch.tensor(generator.exponential(size=13), requires_grad=True)  # distinct values
    alpha, step = 0.5, 1e-6
    cvar(losses, alpha).backward()
    base = losses.detach().numpy()
    for index in range(base.size):
        up, down = base.copy(), base.copy()
        up[index] += step
        down[index] -= step
        numeric = (brute_force_cvar(up, alpha) - brute_force_cvar(down, alpha)) / (2 * step)
        assert float(losses.grad[index]) == pytest.approx(numeric, abs=1e-6), index


def logits_with_losses(losses: list[float]) -> torch.Tensor:
    """Logits `(N, 2)` whose cross-entropy against label 1 is exactly `losses`."""
    fake_logit = [-math.log(math.expm1(value)) for value in losses]
    return torch.tensor([[0.0, z] for z in fake_logit], dtype=torch.float64)


def test_dag_loss_is_the_cvar_of_the_cross_entropy_and_ignores_groups():
    losses = [0.2, 1.5, 0.9, 3.0, 0.05, 0.7, 2.2]
    output = HeadOutput(logits_with_losses(losses), torch.zeros(7, 1))
    batch = {"label": torch.ones(7, dtype=torch.long)}  # no "group": never read
    terms = DemographicAgnosticLoss(LossConfig(), [])(output, batch)
    assert float(terms.total) == pytest.approx(brute_force_cvar(np.array(losses), 0.5), rel=1e-6)


def test_daw_loss_matches_the_bilevel_oracle(reference_dir):
    reference = json.loads((reference_dir / "bilevel_vector.json").read_text())
    config = LossConfig(
        alpha_inner=reference["alpha_inner"],
        alpha_outer=reference["alpha_outer"],
        tau1=reference["tau1"],
        tau2=reference["tau2"],
    )
    loss = DemographicAwareLoss(config, [])
    checked = 0
    for case in reference["cases"]:
        if min(case["losses"]) < 1e-6:  # a zero loss has no finite logit
            continue
        output = HeadOutput(logits_with_losses(case["losses"]), torch.zeros(1))
        batch = {
            "label": torch.ones(len(case["losses"]), dtype=torch.long),
            "group": torch.tensor(case["groups"]),
        }
        got = float(loss(output, batch).total)
        assert got == pytest.approx(case["loss_fuse"], rel=1e-6)
        checked += 1
    assert checked >= 40


@pytest.mark.parametrize("loss_class", [DemographicAgnosticLoss, DemographicAwareLoss])
def test_no_host_synchronisation(monkeypatch, loss_class):
    logits = torch.randn(16, 2, requires_grad=True)
    batch = {"label": torch.randint(0, 2, (16,)), "group": torch.randint(0, 4, (16,))}
    loss = loss_class(LossConfig(), [])

    def forbidden(*_args, **_kwargs):
        raise AssertionError(f"host synchronisation in {loss_class.__name__}")

    for name in ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__", "__index__"):
        monkeypatch.setattr(torch.Tensor, name, forbidden)
    total = loss(HeadOutput(logits, logits.detach()), batch).total
    total.backward()
    monkeypatch.undo()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
