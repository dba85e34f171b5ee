"""Activation checkpointing of the encoder trunks (and optionally the decoder).

A checkpointed unit keeps only its input during the forward pass and recomputes its
activations during the backward pass, trading one extra forward of the unit for the
memory of its activations. Two details keep the gradients (and the weights after a
step) equal to those of the plain model:

* the random state is saved and restored around the recomputation
  (`preserve_rng_state=True`), so dropout draws the same masks twice;
* BatchNorm running statistics are put back after the recomputation, so each unit
  updates them exactly once per forward, as without checkpointing.

The units are the residual blocks of a trunk (Xception blocks, ResNet blocks,
EfficientNet blocks): every composite, non-`Sequential` module found by descending
through `Sequential` containers. A trunk without such blocks (the tiny test encoder)
is checkpointed as one unit. The state dict is unchanged: only the instances'
`forward` methods are replaced.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator
from typing import Literal

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from fairdf.errors import ConfigError

CheckpointMode = Literal["none", "encoders", "all"]
MODES: tuple[str, ...] = ("none", "encoders", "all")
_MARK = "_fairdf_checkpointed"


@contextlib.contextmanager
def restored_batchnorm_stats(module: nn.Module) -> Iterator[None]:
    """Run the same BatchNorm computation, then put every running statistic back.

    Unlike switching `track_running_stats` off, the recomputation then saves the same
    tensors as the original forward (which the checkpoint checks).
    """
    layers = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [
        [b.clone() for b in (m.running_mean, m.running_var, m.num_batches_tracked) if b is not None]
        for m in layers
    ]
    try:
        yield
    finally:
        with torch.no_grad():
            for layer, values in zip(layers, saved, strict=True):
                buffers = (layer.running_mean, layer.running_var, layer.num_batches_tracked)
                for buffer, value in zip(
                    [b for b in buffers if b is not None], values, strict=True
                ):
                    buffer.copy_(value)


def _recompute_contexts(module: nn.Module):
    """(forward context, recompute context): BatchNorm statistics kept on recompute."""
    return contextlib.nullcontext(), restored_batchnorm_stats(module)


def _run_checkpointed(module: nn.Module, function, *args, **kwargs):
    if not (torch.is_grad_enabled() and module.training):
        return function(*args, **kwargs)
    return checkpoint(
        function,
        *args,
        use_reentrant=False,
        preserve_rng_state=True,
        context_fn=lambda: _recompute_contexts(module),
        **kwargs,
    )


def _checkpointed_forward(self: nn.Module, *args, **kwargs):
    return _run_checkpointed(self, type(self).forward.__get__(self), *args, **kwargs)


def _checkpointed_features(self: nn.Module, images: Tensor) -> Tensor:
    return _run_checkpointed(self, type(self).forward_features.__get__(self), images)


def checkpoint_units(trunk: nn.Module) -> list[nn.Module]:
    """The residual blocks of `trunk`, in module order (empty if it has none)."""

    def descend(module: nn.Module) -> Iterator[nn.Module]:
        for child in module.children():
            if isinstance(child, (nn.Sequential, nn.ModuleList)):
                yield from descend(child)
            elif any(True for _ in child.children()) and any(
                p.requires_grad for p in child.parameters()
            ):
                yield child

    return list(descend(trunk))


def _mark(module: nn.Module, method: str, replacement) -> None:
    setattr(module, method, types.MethodType(replacement, module))
    setattr(module, _MARK, method)


def _checkpoint_trunk(trunk: nn.Module) -> int:
    units = checkpoint_units(trunk)
    if not units:
        _mark(trunk, "forward_features", _checkpointed_features)
        return 1
    for unit in units:
        _mark(unit, "forward", _checkpointed_forward)
    return len(units)


def remove_activation_checkpointing(model: nn.Module) -> None:
    """Undo `enable_activation_checkpointing` on every module of `model`."""
    for module in model.modules():
        method = module.__dict__.pop(_MARK, None)
        if method is not None:
            module.__dict__.pop(method, None)


def enable_activation_checkpointing(model: nn.Module, mode: str) -> int:
    """Checkpoint the encoder trunks (`encoders`) and also the decoder (`all`) of a FairDetector.

    Returns the number of checkpointed units; `none` removes any checkpointing.
    """
    if mode not in MODES:
        raise ConfigError(
            f"config key 'train.activation_checkpointing': {mode!r} is not one of {list(MODES)}"
        )
    remove_activation_checkpointing(model)
    if mode == "none":
        return 0
    encoders = [
        getattr(model, name)
        for name in ("forgery_encoder", "content_encoder", "demographic_encoder")
        if hasattr(model, name)
    ]
    count = sum(_checkpoint_trunk(encoder.trunk) for encoder in encoders)
    if mode == "all" and hasattr(model, "decoder"):
        _mark(model.decoder, "forward", _checkpointed_forward)
        count += 1
    return count
