"""Process setup for single-process and torchrun/DistributedDataParallel runs.

Under `torchrun` the environment holds RANK, WORLD_SIZE and LOCAL_RANK; the process
group uses NCCL on GPUs and gloo on CPUs. Only rank 0 writes files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from fairdf.boundary import one_line
from fairdf.errors import ConfigError, FairdfError, ReportedElsewhere

T = TypeVar("T")


@dataclass(frozen=True)
class ProcessContext:
    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """'auto' -> the local CUDA device when there is one, else the CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"config key 'train.device': '{name}' is not a device name") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError("config key 'train.device': CUDA requested but no GPU is visible")
        if device.index is None:
            device = torch.device("cuda", local_rank)
    return device


def launch_rank() -> int:
    """This process's rank as torchrun set it (0 when run alone): only rank 0 speaks."""
    return int(os.environ.get("RANK", "0"))


def setup_process(device_name: str) -> ProcessContext:
    """Join the torchrun process group when launched by torchrun, else run alone."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = launch_rank()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_name, local_rank)
    if world_size > 1 and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        _join(backend="nccl" if device.type == "cuda" else "gloo", rank=rank, size=world_size)
    return ProcessContext(rank=rank, world_size=world_size, device=device)


class ProcessGroupError(FairdfError):
    """This process cannot join the torchrun process group."""


def _join(backend: str, rank: int, size: int) -> None:
    """init_process_group; the keys of each torchrun attempt under their own prefix (after a
    restart, addresses the dead workers left in the store made gloo's connect fail)."""
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    try:
        store, _, _ = next(dist.rendezvous("env://"))
        store = dist.PrefixStore(f"fairdf/attempt_{attempt}/", store)
        dist.init_process_group(backend=backend, store=store, rank=rank, world_size=size)
    except (RuntimeError, ValueError) as exc:  # gloo's "Connection refused", a timeout, ...
        raise ProcessGroupError(
            f"rank {rank} of {size} cannot join the torchrun process group ({backend}): "
            f"{one_line(str(exc))[:300]}; is rank 0 running and reachable at "
            "MASTER_ADDR:MASTER_PORT?"
        ) from None


def together(context: ProcessContext, action: Callable[[], T]) -> T:
    """`action()` on every rank; if it fails on any, all stop and one rank reports it.

    The lowest failing rank raises its error; the others raise `ReportedElsewhere`, which
    the command line does not print (so a refusal every rank makes is printed once).
    """
    try:
        result, error = action(), None
    except Exception as exc:
        result, error = None, exc
    failed = gather_objects(context, error is not None)
    if error is not None and failed.index(True) == context.rank:
        raise error
    if any(failed):
        raise ReportedElsewhere(f"rank {failed.index(True)} failed; it reports why")
    return result


def wrap_model(
    model: torch.nn.Module, context: ProcessContext, *, find_unused: bool
) -> torch.nn.Module:
    """`model` in DistributedDataParallel (the process group must be up)."""
    ids = [context.device.index] if context.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=find_unused)


def barrier(context: ProcessContext) -> None:
    if context.distributed:
        dist.barrier()


def broadcast_object(context: ProcessContext, value):
    """Rank 0's `value` on every rank."""
    if not context.distributed:
        return value
    holder = [value]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def gather_objects(context: ProcessContext, value) -> list:
    """Every rank's `value`, in rank order, on every rank (a collective: all ranks call it)."""
    if not context.distributed:
        return [value]
    gathered = [None] * context.world_size
    dist.all_gather_object(gathered, value)
    return gathered


def teardown(context: ProcessContext) -> None:
    if context.distributed and dist.is_initialized():
        dist.destroy_process_group()
