"""SAM: the two-step update by hand, a toy objective, BatchNorm freezing, state dicts, DDP."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.multiprocessing as mp
from torch import nn

from fairdf.optim import SAM, frozen_batchnorm_stats, sam_step


def _quadratic(weights: torch.Tensor) -> torch.Tensor:
    scales = torch.tensor([1.0, 4.0, 0.5], dtype=weights.dtype)
    return (
        scales * (weights - torch.tensor([1.0, -2.0, 3.0], dtype=weights.dtype)) ** 2
    ).sum() + torch.sin(weights).sum()


def test_one_step_matches_the_update_by_hand():
    start = torch.tensor([0.3, -0.7, 2.0], dtype=torch.float64)
    weights = nn.Parameter(start.clone())
    optimizer = SAM([weights], torch.optim.SGD, rho=0.05, lr=0.1, momentum=0.9, weight_decay=5e-3)

    def closure():
        optimizer.zero_grad()
        loss = _quadratic(weights)
        loss.backward()
        return loss

    optimizer.step(closure)
    g = torch.autograd.functional.jacobian(_quadratic, start)
    perturbed = start + 0.05 * g / g.norm()
    g2 = (
        torch.autograd.functional.jacobian(_quadratic, perturbed) + 5e-3 * start
    )  # SGD weight decay at w
    torch.testing.assert_close(weights.detach(), start - 0.1 * g2, rtol=1e-12, atol=1e-12)


def test_adaptive_perturbation_scales_with_the_weights():
    start = torch.tensor([0.3, -0.7, 2.0], dtype=torch.float64)
    weights = nn.Parameter(start.clone())
    optimizer = SAM([weights], torch.optim.SGD, rho=0.5, adaptive=True, lr=0.1)
    _quadratic(weights).backward()
    optimizer.first_step()
    g = torch.autograd.functional.jacobian(_quadratic, start)
    expected = start + 0.5 * start**2 * g / (start.abs() * g).norm()
    torch.testing.assert_close(weights.detach(), expected, rtol=1e-12, atol=1e-12)


def test_sam_lowers_a_toy_objective():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
    inputs = torch.randn(64, 4)
    targets = inputs @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1
    optimizer = SAM(model.parameters(), torch.optim.SGD, lr=0.05, momentum=0.9)

    def closure():
        loss = ((model(inputs).squeeze(1) - targets) ** 2).mean()
        loss.backward()
        return loss.detach()

    first = float(sam_step(model, optimizer, closure))
    for _ in range(60):
        last = float(sam_step(model, optimizer, closure))
    assert last < 0.1 * first


def test_second_pass_leaves_batchnorm_statistics_untouched():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.LazyLinear(1)
    )
    model(torch.randn(2, 3, 8, 8))
    optimizer = SAM(model.parameters(), torch.optim.SGD, lr=0.1)
    batch = torch.randn(6, 3, 8, 8)
    snapshots = []

    def closure():
        snapshots.append({k: v.clone() for k, v in model[1].state_dict().items()})
        loss = model(batch).square().mean()
        loss.backward()
        return loss

    sam_step(model, optimizer, closure)
    after = model[1].state_dict()
    before_first, before_second = snapshots
    assert not torch.equal(
        before_first["running_mean"], before_second["running_mean"]
    )  # first pass updates
    for key in ("running_mean", "running_var", "num_batches_tracked"):
        assert torch.equal(after[key], before_second[key]), key  # second pass does not
    assert model[1].track_running_stats


def test_frozen_statistics_are_restored_after_an_error():
    model = nn.BatchNorm1d(3)
    with pytest.raises(RuntimeError), frozen_batchnorm_stats(model):
        assert not model.track_running_stats
        raise RuntimeError("boom")
    assert model.track_running_stats


def _train(model: nn.Module, optimizer: SAM, steps: int) -> None:
    generator = torch.Generator().manual_seed(1)
    for _ in range(steps):
        inputs = torch.randn(8, 3, generator=generator)

        def closure(inputs: torch.Tensor = inputs) -> torch.Tensor:
            loss = model(inputs).square().mean()
            loss.backward()
            return loss

        sam_step(model, optimizer, closure)


def test_state_dict_round_trip_continues_identically(tmp_path):
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    optimizer = SAM(model.parameters(), torch.optim.SGD, lr=0.1, momentum=0.9)
    _train(model, optimizer, 3)
    torch.save(optimizer.state_dict(), tmp_path / "sam.pt")
    twin = nn.Linear(3, 2)
    twin.load_state_dict(model.state_dict())
    twin_optimizer = SAM(twin.parameters(), torch.optim.SGD, lr=0.5, momentum=0.0)
    twin_optimizer.load_state_dict(torch.load(tmp_path / "sam.pt", weights_only=True))
    assert (
        twin_optimizer.param_groups[0]["lr"] == 0.1
        and twin_optimizer.param_groups[0]["momentum"] == 0.9
    )
    assert twin_optimizer.param_groups is twin_optimizer.base_optimizer.param_groups
    _train(model, optimizer, 2)
    _train(twin, twin_optimizer, 2)
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.equal(a, b)


def test_lr_scheduler_drives_the_base_optimizer_without_warnings():
    model = nn.Linear(3, 2)
    optimizer = SAM(model.parameters(), torch.optim.SGD, lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _train(model, optimizer, 1)
        scheduler.step()
    assert optimizer.base_optimizer.param_groups[0]["lr"] == pytest.approx(0.05)


def _ddp_worker(rank: int, world: int, out: str) -> None:
    store = f"file://{out}/store"
    torch.distributed.init_process_group("gloo", init_method=store, rank=rank, world_size=world)
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    network = nn.parallel.DistributedDataParallel(model)
    optimizer = SAM(model.parameters(), torch.optim.SGD, lr=0.1, momentum=0.9)
    inputs = torch.randn(8, 3, generator=torch.Generator().manual_seed(1)).chunk(world)[rank]

    def closure():
        loss = network(inputs).square().mean()
        loss.backward()
        return loss

    for _ in range(2):
        sam_step(network, optimizer, closure)
    torch.save(model.state_dict(), f"{out}/rank{rank}.pt")
    torch.distributed.barrier()  # no rank tears gloo down while the other still talks
    torch.distributed.destroy_process_group()


def test_distributed_steps_equal_the_single_process_full_batch_steps(tmp_path):
    mp.spawn(_ddp_worker, args=(2, str(tmp_path)), nprocs=2, join=True)
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    optimizer = SAM(model.parameters(), torch.optim.SGD, lr=0.1, momentum=0.9)
    inputs = torch.randn(8, 3, generator=torch.Generator().manual_seed(1))

    def closure():
        loss = model(inputs).square().mean()
        loss.backward()
        return loss

    for _ in range(2):
        sam_step(model, optimizer, closure)
    for rank in range(2):
        state = torch.load(tmp_path / f"rank{rank}.pt", weights_only=True)
        for key, value in model.state_dict().items():
            torch.testing.assert_close(state[key], value, rtol=1e-6, atol=1e-7)
