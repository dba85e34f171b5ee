"""Export the scoring branches of a checkpoint to ONNX or TorchScript (`fairdf export`).

The exported graph maps `images (N, 3, S, S)` (RGB in [-1, 1], S the checkpoint's image
size, N free) to `logits (N, 2)` and `p_fake (N,)` = softmax(logits)[:, 1]. Only the
scoring branch of the checkpoint's method is exported (for pg_fdd: E_f, E_d, P_sha,
P_dem, AdaIN and H_fuse; see `fairdf.methods`).

ONNX uses PyTorch's TorchScript-based exporter (`dynamo=False`, which needs no
onnxscript) with a dynamic batch axis; TorchScript uses `torch.jit.trace`. Each file is
written to a temporary path, run on random inputs at batch sizes other than the traced
one and compared with the PyTorch model; it replaces OUT only when the largest absolute
difference is within the tolerance (1e-4).
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from fairdf.errors import ConfigError, FairdfError, UnknownNameError
from fairdf.io import atomic_path

FORMATS = ("onnx", "torchscript")
SUFFIX_FORMATS = {
    ".onnx": "onnx",
    ".pt": "torchscript",
    ".ts": "torchscript",
    ".jit": "torchscript",
}
TOLERANCE = 1e-4
TRACE_BATCH = 2
CHECK_BATCHES = (1, 3)
OPSET = 17
INPUT_NAME = "images"
OUTPUT_NAMES = ("logits", "p_fake")
METADATA_FILE = "fairdf.json"  # TorchScript extra file holding the metadata


@dataclass
class ExportResult:
    path: Path
    format: str
    max_abs_diff: float
    check_batches: tuple[int, ...]


class ScoreGraph(nn.Module):
    """A method's inference module with plain tuple outputs: images -> (logits, p_fake)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        logits, p_fake = self.model(images)
        return logits, p_fake


def format_for(path: str | Path, format: str | None) -> str:
    """`format`, or the one `path`'s suffix names; UnknownNameError otherwise."""
    if format is None:
        suffix = Path(path).suffix.lower()
        if suffix not in SUFFIX_FORMATS:
            raise FairdfError(
                f"{path}: cannot tell the format from the suffix; pass --format onnx or "
                "--format torchscript (or name the file .onnx / .pt)"
            )
        return SUFFIX_FORMATS[suffix]
    if format not in FORMATS:
        raise UnknownNameError("export format", format, FORMATS)
    return format


@contextlib.contextmanager
def _quiet_export() -> Iterator[None]:
    """Silence the exporters' deprecation and tracer notices (they do not concern users)."""
    with warnings.catch_warnings():
        for category in (FutureWarning, DeprecationWarning, torch.jit.TracerWarning):
            warnings.simplefilter("ignore", category)
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")
        yield


def _export_onnx(graph: ScoreGraph, example: Tensor, path: Path, metadata: dict) -> None:
    import onnx

    batch = {0: "batch"}
    with _quiet_export():
        torch.onnx.export(
            graph,
            (example,),
            str(path),
            input_names=[INPUT_NAME],
            output_names=list(OUTPUT_NAMES),
            dynamic_axes={name: batch for name in (INPUT_NAME, *OUTPUT_NAMES)},
            opset_version=OPSET,
            dynamo=False,
        )
    model = onnx.load(str(path))
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = f"fairdf.{key}", str(value)
    onnx.save(model, str(path))


def _export_torchscript(graph: ScoreGraph, example: Tensor, path: Path, metadata: dict) -> None:
    with _quiet_export():
        traced = torch.jit.trace(graph, example, check_trace=False)  # checked below
        extra = {METADATA_FILE: json.dumps(metadata, indent=2)}
        torch.jit.save(traced, str(path), _extra_files=extra)


def _onnx_runner(path: Path) -> Callable[[Tensor], list[np.ndarray]]:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return lambda images: session.run(None, {INPUT_NAME: images.numpy()})


def _torchscript_runner(path: Path) -> Callable[[Tensor], list[np.ndarray]]:
    with _quiet_export():
        loaded = torch.jit.load(str(path), map_location="cpu").eval()

    def run(images: Tensor) -> list[np.ndarray]:
        with torch.no_grad():
            return [output.numpy() for output in loaded(images)]

    return run


EXPORTERS = {"onnx": _export_onnx, "torchscript": _export_torchscript}
RUNNERS = {"onnx": _onnx_runner, "torchscript": _torchscript_runner}


def random_images(batch: int, size: int, seed: int) -> Tensor:
    """Uniform random `(batch, 3, size, size)` images in [-1, 1]."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(batch, 3, size, size, generator=generator) * 2 - 1


def max_difference(
    graph: ScoreGraph,
    runner: Callable[[Tensor], list[np.ndarray]],
    size: int,
    batches: tuple[int, ...] = CHECK_BATCHES,
    seed: int = 0,
) -> float:
    """Largest absolute difference between `runner` and `graph` over both outputs."""
    worst = 0.0
    for offset, batch in enumerate(batches):
        images = random_images(batch, size, seed + 1 + offset)
        with torch.no_grad():
            expected = [output.numpy() for output in graph(images)]
        produced = runner(images)
        for want, got in zip(expected, produced, strict=True):
            if np.shape(got) != want.shape:
                return float("inf")
            worst = max(worst, float(np.abs(np.asarray(got, np.float64) - want).max()))
    return worst


def export_model(
    model: nn.Module,
    out: str | Path,
    format: str,
    *,
    image_size: int,
    metadata: dict | None = None,
    tolerance: float = TOLERANCE,
    seed: int = 0,
) -> ExportResult:
    """Export a method's inference module (moved to the CPU, float32) to `out`, checked against
    PyTorch (module docstring).

    Raises FairdfError, leaving `out` as it was, when the exported model differs from
    PyTorch by more than `tolerance` on random inputs.
    """
    format = format_for(out, format)
    if not tolerance >= 0:
        raise ConfigError(f"--tolerance must be 0 or more, got {tolerance}")
    graph = ScoreGraph(model.to("cpu").float().eval()).eval()
    example = random_images(TRACE_BATCH, image_size, seed)
    metadata = {"image_size": image_size, **(metadata or {})}
    out = Path(out)
    with atomic_path(out) as tmp:
        EXPORTERS[format](graph, example, tmp, metadata)
        difference = max_difference(graph, RUNNERS[format](tmp), image_size, seed=seed)
        if not difference <= tolerance:
            raise FairdfError(
                f"{out}: the {format} export differs from PyTorch by {difference:.3g} "
                f"(> {tolerance:g}) on random inputs; nothing was written"
            )
    return ExportResult(out, format, difference, CHECK_BATCHES)


def export_checkpoint(
    checkpoint: str | Path,
    out: str | Path,
    format: str | None = None,
    *,
    tolerance: float = TOLERANCE,
    seed: int = 0,
) -> ExportResult:
    """Export the scoring branches of a checkpoint folder to ONNX or TorchScript."""
    from fairdf.engine.checkpoint import load_checkpoint

    format = format_for(out, format)
    model, info = load_checkpoint(checkpoint, inference_only=True, map_location="cpu")
    from fairdf.methods import get_method

    config = info.detector
    scoring = get_method(config.method).scoring
    metadata = {
        "method": config.method,
        "encoder": config.encoder,
        "scheme": info.scheme,
        "input": f"{INPUT_NAME}: RGB (N, 3, {config.image_size}, {config.image_size}) in [-1, 1] "
        "(mean 0.5, std 0.5 per channel)",
        "outputs": f"logits (N, 2) [real, fake] of {scoring}; p_fake (N,) = softmax(logits)[:, 1]",
    }
    return export_model(
        model,
        out,
        format,
        image_size=config.image_size,
        metadata=metadata,
        tolerance=tolerance,
        seed=seed,
    )
