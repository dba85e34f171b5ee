"""Time one training step of FairDetector, with and without SAM, and inference.

Every number is compared with a yardstick measured in the same run on the same batch:
one bare encoder forward + backward. With several precisions (`--precision fp32,bf16`)
the timed repetitions of each phase alternate between them, so a change in machine
load affects both alike. Prints one table: medians over --steps timed repetitions
after one warm-up per precision, the peak RSS of the warm-up (and peak CUDA memory on a
GPU).

    python benchmarks/train_step.py --encoder xception --batch 8 --size 256 --precision fp32,bf16 --steps 2
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import torch
from memory import peak_rss_mib

FFPP_COUNTS = [2475, 25443, 1468, 4163, 8013, 31281, 1111, 2185]
PRECISIONS = ("fp32", "bf16")
PHASES = ("yardstick", "plain", "sam", "looksam", "inference")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="xception")
    parser.add_argument(
        "--batch", type=int, default=8, help="fakes per step (each paired with a real)"
    )
    parser.add_argument("--size", type=int, default=256, help="image size in pixels")
    parser.add_argument("--precision", default="fp32", help="fp32, bf16 or both: fp32,bf16")
    parser.add_argument("--steps", type=int, default=3, help="timed repetitions per phase")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument(
        "--checkpointing",
        default="none",
        choices=("none", "encoders", "all"),
        help="activation checkpointing of the detector (train.activation_checkpointing)",
    )
    parser.add_argument(
        "--looksam",
        type=int,
        default=0,
        metavar="K",
        help="also time LookSAM with interval K (mean seconds per step over K steps)",
    )
    parser.add_argument(
        "--phases", default="all", help="comma list of: yardstick, plain, sam, looksam, inference"
    )
    parser.add_argument(
        "--encoder-channels", type=int, default=512, help="detector width (features half of it)"
    )
    args = parser.parse_args(argv)
    args.precisions = tuple(p.strip() for p in args.precision.split(","))
    args.phase_set = set(args.phases.split(",")) if args.phases != "all" else set(PHASES)
    if not args.precisions or any(p not in PRECISIONS for p in args.precisions):
        parser.error(f"--precision: expected a comma list of {', '.join(PRECISIONS)}")
    return args


def reset_peak_rss() -> None:
    """Return freed heap to the system and reset the kernel's peak-RSS counter (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


@dataclass
class Measurement:
    """Timed repetitions of one phase at one precision, and the warm-up's peak memory."""

    rss_mib: float
    cuda_mib: float | None
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def measure(
    device: torch.device, steps: int, works: dict[str, Callable[[], object]], per_call: int = 1
) -> dict[str, Measurement]:
    """Warm each work up once (recording its peak memory), then time `steps` alternating rounds."""
    results = {}
    for name, work in works.items():
        reset_peak_rss()
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        work()
        _synchronise(device)
        cuda = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
        results[name] = Measurement(peak_rss_mib(), cuda)
    for _ in range(steps):
        for name, work in works.items():
            started = time.perf_counter()
            work()
            _synchronise(device)
            results[name].seconds.append((time.perf_counter() - started) / per_call)
    return results


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _autocast(precision: str, device: torch.device):
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def make_batch(
    batch: int, size: int, device: torch.device, channels_last: bool
) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(2 * batch, 3, size, size, generator=generator) * 2 - 1
    if channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    methods = torch.randint(1, 6, (batch,), generator=generator)
    return {
        "image": images.to(device),
        "label": torch.tensor([0] * batch + [1] * batch, device=device),
        "method": torch.cat([torch.zeros(batch, dtype=torch.long), methods]).to(device),
        "group": torch.randint(0, 8, (2 * batch,), generator=generator).to(device),
    }


def time_yardstick(
    args: argparse.Namespace, batch: dict[str, torch.Tensor]
) -> dict[str, Measurement]:
    """One bare encoder forward + backward on the batch."""
    from fairdf.models import create_encoder

    device = batch["image"].device
    encoder = create_encoder(args.encoder, out_channels=args.encoder_channels).to(device).train()

    def work(precision: str) -> None:
        encoder.zero_grad(set_to_none=True)
        with _autocast(precision, device):
            output = encoder(batch["image"])
        output.float().mean().backward()

    return measure(device, args.steps, {p: partial(work, p) for p in args.precisions})


def time_detector(
    args: argparse.Namespace, batch: dict[str, torch.Tensor]
) -> dict[str, dict[str, Measurement]]:
    """Training steps without and with SAM, then inference, on one detector."""
    from fairdf.engine.optimizer import optimizer_step
    from fairdf.losses import DetectorLoss, LossConfig
    from fairdf.models import DetectorConfig, FairDetector
    from fairdf.models.checkpointing import enable_activation_checkpointing
    from fairdf.optim import SAM, LookSAM, sam_step

    device = batch["image"].device
    width = args.encoder_channels
    config = DetectorConfig(
        encoder=args.encoder,
        image_size=args.size,
        encoder_channels=width,
        feature_channels=width // 2,
        hidden_dim=width,
    )
    model = FairDetector(config).to(device).train()
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    enable_activation_checkpointing(model, args.checkpointing)
    loss = DetectorLoss(LossConfig(), FFPP_COUNTS).to(device)
    sgd = {"lr": 5e-4, "momentum": 0.9, "weight_decay": 5e-3}
    plain = torch.optim.SGD(model.parameters(), **sgd)
    sam = SAM(model.parameters(), torch.optim.SGD, rho=0.05, **sgd)

    def closure(precision: str) -> torch.Tensor:
        with _autocast(precision, device):
            total = loss(model(batch["image"]), batch).total
        total.backward()
        return total.detach()

    def step_without_sam(precision: str) -> None:
        plain.zero_grad(set_to_none=True)
        closure(precision)
        plain.step()

    def step_with_sam(precision: str) -> None:
        sam_step(model, sam, partial(closure, precision))

    def step_with_looksam(precision: str) -> None:
        if not hasattr(step_with_looksam, "optimizer"):
            step_with_looksam.optimizer = LookSAM(
                model.parameters(), torch.optim.SGD, rho=0.05, interval=args.looksam, **sgd
            )
        trainer = _bench_trainer(model, loss, step_with_looksam.optimizer, device, precision)
        for _ in range(args.looksam):  # one ascent step and K - 1 reuse steps
            optimizer_step(trainer, batch)

    def inference(precision: str) -> None:
        with _autocast(precision, device):
            model.score(batch["image"])

    def phase(work: Callable[[str], None], per_call: int = 1) -> dict[str, Measurement]:
        works = {p: partial(work, p) for p in args.precisions}
        return measure(device, args.steps, works, per_call)

    wanted, results = args.phase_set, {}
    if "plain" in wanted:
        results["train step, no SAM"] = phase(step_without_sam)
    if "sam" in wanted:
        results["train step, SAM"] = phase(step_with_sam)
    if "looksam" in wanted and args.looksam:
        results[f"train step, LookSAM k={args.looksam}"] = phase(step_with_looksam, args.looksam)
    model.zero_grad(set_to_none=True)
    model.eval()
    if "inference" in wanted:
        results["inference (score)"] = phase(inference)
    return results


def _bench_trainer(model, loss, optimizer, device, precision) -> SimpleNamespace:
    """The attributes `optimizer_step` reads from a Trainer (default optimiser settings)."""
    from fairdf.config import OptimConfig

    return SimpleNamespace(
        network=model,
        loss=loss,
        optimizer=optimizer,
        context=SimpleNamespace(device=device),
        config=SimpleNamespace(train=SimpleNamespace(precision=precision), optim=OptimConfig()),
    )


def run(args: argparse.Namespace) -> dict[str, dict[str, Measurement]]:
    """phase -> precision -> Measurement, the yardstick first."""
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    batch = make_batch(args.batch, args.size, torch.device(args.device), args.channels_last)
    results = {}
    if "yardstick" in args.phase_set:
        results["yardstick: encoder fwd+bwd"] = time_yardstick(args, batch)
    return {**results, **time_detector(args, batch)}


def format_table(args: argparse.Namespace, results: dict[str, dict[str, Measurement]]) -> str:
    images = 2 * args.batch
    yardstick = results.get("yardstick: encoder fwd+bwd")
    first = next(iter(results.values()))
    cuda = next(iter(first.values())).cuda_mib is not None
    columns = f"{'phase':28} {'prec':>4} {'median s':>9} {'ms/image':>9} {'x yardstick':>11} {'x fp32':>6} {'peak RSS MiB':>12}"
    columns += f" {'peak CUDA MiB':>13}" if cuda else ""
    lines = [
        f"encoder {args.encoder} ({args.encoder_channels} ch), {args.batch} real + {args.batch} fake, "
        f"{args.size} px, device {args.device}, {torch.get_num_threads()} threads, "
        f"checkpointing {args.checkpointing}, "
        f"median of {args.steps} (alternating precisions) after 1 warm-up each",
        columns,
        "-" * len(columns),
    ]
    for name, by_precision in results.items():
        for precision, result in by_precision.items():
            versus_fp32 = (
                by_precision["fp32"].median / result.median
                if "fp32" in by_precision
                else float("nan")
            )
            row = (
                f"{name:28} {precision:>4} {result.median:9.3f} {1000 * result.median / images:9.1f} "
                f"{result.median / yardstick[precision].median if yardstick else float('nan'):11.2f} "
                f"{versus_fp32:6.2f} {result.rss_mib:12.0f}"
            )
            lines.append(row + (f" {result.cuda_mib:13.0f}" if cuda else ""))
    lines.append(
        "x yardstick: time / the yardstick at the same precision; x fp32: fp32 time / this time"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(format_table(args, run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
