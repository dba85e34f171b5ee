"""Seconds per training step of `fairdf train` end to end: loader, transfer and step.

Draws a small synthetic dataset, re-saves its crops as --size px PNGs (so the loader
decodes full-size crops, as with real face crops), then trains each configuration for
two epochs of --steps steps with `fairdf.engine.train.train` and reads the second
epoch's `train_seconds` from metrics.jsonl (the first epoch carries the warm-up: worker
start, cuDNN autotuning). Prints seconds per step, images per second and the time of
one FF++ epoch at the paper's batch.

    python benchmarks/epoch_time.py --device cuda --precision fp32 bf16 --workers 8
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from pathlib import Path

import torch
from PIL import Image

# FF++ training images of the reference split (its hard-coded group counts): 76,139 in
# all; with five methods per real video about 5/6 of them are fakes, and an epoch is
# one pass over the fakes at 16 per step.
FFPP_TRAIN_IMAGES = 76_139
FFPP_STEPS_PER_EPOCH = round(FFPP_TRAIN_IMAGES * 5 / 6 / 16)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--encoder", default="xception")
    parser.add_argument("--size", type=int, default=256, help="crop and model size in px")
    parser.add_argument("--batch", type=int, default=16, help="fakes per step (2x images)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps (second epoch)")
    parser.add_argument("--images", type=int, default=600, help="synthetic images drawn")
    parser.add_argument("--precision", nargs="+", default=["fp32"], choices=["fp32", "bf16"])
    parser.add_argument("--workers", type=int, nargs="+", default=[4])
    parser.add_argument(
        "--checkpointing", nargs="+", default=["none"], choices=["none", "encoders", "all"]
    )
    parser.add_argument("--sam", nargs="+", default=["full"], choices=["off", "full", "looksam"])
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    return parser.parse_args(argv)


def draw_dataset(folder: Path, images: int, size: int) -> Path:
    """Synthetic manifests whose crops are re-saved at `size` px; returns the root."""
    from fairdf.data.synth import make_synthetic_dataset

    dataset = make_synthetic_dataset(folder, n_images=images, size=64, seed=1)
    for path in sorted(dataset.root.rglob("*.png")):
        with Image.open(path) as image:
            image.convert("RGB").resize((size, size), Image.BICUBIC).save(path)
    return dataset.root


def time_config(root: Path, args, precision, workers, checkpointing, sam, out: Path) -> float:
    """Seconds per step of the second epoch."""
    from fairdf.config import load_config
    from fairdf.engine.train import train

    overrides = [
        f"data.root={root}",
        f"data.workers={workers}",
        f"model.encoder={args.encoder}",
        f"model.image_size={args.size}",
        f"train.device={args.device}",
        f"train.precision={precision}",
        f"train.channels_last={str(args.device.startswith('cuda')).lower()}",
        f"train.activation_checkpointing={checkpointing}",
        f"train.batch_size={args.batch}",
        f"train.max_steps_per_epoch={args.steps}",
        "train.epochs=2",
        "train.progress=false",
        f"optim.sam={str(sam != 'off').lower()}",
        f"optim.sam_variant={'looksam' if sam == 'looksam' else 'full'}",
    ]
    config = load_config(None, overrides)
    train(config, out)
    fakes = sum(1 for _ in open(root / config.data.train_fake)) - 1  # noqa: SIM115
    steps = min(args.steps, fakes // args.batch)
    last = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])
    return last["train_seconds"] / steps


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="epoch_time_"))
    root = draw_dataset(work / "data", args.images, args.size)
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"
    print(
        f"{args.encoder}, {args.batch} real + {args.batch} fake per step, {args.size} px PNG crops, "
        f"device {args.device} ({name}); FF++ epoch = {FFPP_STEPS_PER_EPOCH} steps (estimate)"
    )
    header = (
        f"{'precision':9} {'ckpt':8} {'SAM':7} {'workers':>7} {'s/step':>7} "
        f"{'images/s':>8} {'FF++ epoch min':>14}"
    )
    print(header)
    print("-" * len(header))
    configs = itertools.product(args.precision, args.checkpointing, args.sam, args.workers)
    for index, (precision, checkpointing, sam, workers) in enumerate(configs):
        per_step = time_config(
            root, args, precision, workers, checkpointing, sam, work / f"run{index}"
        )
        print(
            f"{precision:9} {checkpointing:8} {sam:7} {workers:7d} {per_step:7.3f} "
            f"{2 * args.batch / per_step:8.1f} {per_step * FFPP_STEPS_PER_EPOCH / 60:14.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
