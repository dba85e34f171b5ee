"""LookSAM against a float64 NumPy implementation of its update rule on logistic regression."""

import numpy as np
import pytest
import torch

from fairdf.optim import SAM, LookSAM

RHO, ALPHA, LR = 0.3, 0.7, 0.5


def logistic_gradient(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of mean(log(1 + exp(-y x.w))) in closed form."""
    margin = y * (x @ w)
    return -(x * (y / (1.0 + np.exp(margin)))[:, None]).mean(axis=0)


def oracle(w, x, y, steps, interval):
    """The LookSAM update written out from the paper's formulas (plain SGD base)."""
    direction = None
    for step in range(steps):
        g = logistic_gradient(w, x, y)
        if step % interval == 0:
            g_s = logistic_gradient(w + RHO * g / np.linalg.norm(g), x, y)
            direction = g_s - (g @ g_s) / (g @ g) * g
            update = g_s
        else:
            update = g + ALPHA * np.linalg.norm(g) / np.linalg.norm(direction) * direction
        w = w - LR * update
    return w


def make_problem(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 5))
    y = np.sign(x @ rng.normal(size=5) + 0.5 * rng.normal(size=40))
    return x, y, rng.normal(size=5)


def run_torch(optimizer, weight, x, y, steps, start=0):
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.softplus(-yt * (xt @ weight)).mean()
        loss.backward()

    for _ in range(start, steps):
        closure()
        if isinstance(optimizer, LookSAM) and not optimizer.ascent_due():
            optimizer.reuse_step(zero_grad=True)
        else:
            optimizer.first_step(zero_grad=True)
            closure()
            optimizer.second_step(zero_grad=True)
    return weight.detach().numpy()


@pytest.mark.parametrize("interval", [1, 3])
def test_looksam_matches_float64_oracle(interval):
    x, y, w0 = make_problem()
    weight = torch.tensor(w0, requires_grad=True)
    optimizer = LookSAM([weight], torch.optim.SGD, rho=RHO, interval=interval, alpha=ALPHA, lr=LR)
    result = run_torch(optimizer, weight, x, y, steps=7)
    np.testing.assert_allclose(result, oracle(w0, x, y, 7, interval), rtol=1e-9, atol=1e-10)


def test_interval_one_is_full_sam():
    x, y, w0 = make_problem(1)
    a, b = torch.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    look = run_torch(LookSAM([a], torch.optim.SGD, rho=RHO, interval=1, lr=LR), a, x, y, 5)
    full = run_torch(SAM([b], torch.optim.SGD, rho=RHO, lr=LR), b, x, y, 5)
    np.testing.assert_array_equal(look, full)


def test_state_dict_resumes_mid_cycle():
    x, y, w0 = make_problem(2)
    kwargs = dict(rho=RHO, interval=4, alpha=ALPHA, lr=LR, momentum=0.9)
    weight = torch.tensor(w0, requires_grad=True)
    uninterrupted = run_torch(LookSAM([weight], torch.optim.SGD, **kwargs), weight, x, y, 6)
    first = torch.tensor(w0, requires_grad=True)
    optimizer = LookSAM([first], torch.optim.SGD, **kwargs)
    run_torch(optimizer, first, x, y, 2)
    saved, saved_weight = optimizer.state_dict(), first.detach().clone()
    resumed = saved_weight.clone().requires_grad_(True)
    fresh = LookSAM([resumed], torch.optim.SGD, **kwargs)
    fresh.load_state_dict(saved)
    assert fresh.steps == 2 and not fresh.ascent_due()
    np.testing.assert_array_equal(run_torch(fresh, resumed, x, y, 6, start=2), uninterrupted)


def test_bad_arguments_are_refused():
    weight = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="interval"):
        LookSAM([weight], torch.optim.SGD, interval=0, lr=0.1)
