"""Full SAM, LookSAM and plain SGD on the synthetic data with the same budget in seconds.

Each optimizer first times a few steps of the tiny detector; then it trains for as many
steps as fit in --budget seconds (the same wall-clock budget for all three, measured in
this run), and the last epoch's validation AUC and intersectional fairness gaps
(F_FPR, F_MEO: lower is fairer) are read from metrics.jsonl. One table.

    python benchmarks/efficient_sam.py --budget 120 --images 400
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

VARIANTS = {
    "plain SGD": ["optim.sam=false"],
    "full SAM": ["optim.sam=true"],
    "LookSAM k=5": ["optim.sam=true", "optim.sam_variant=looksam", "optim.looksam_interval=5"],
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--budget", type=float, default=120.0, help="training seconds per optimizer"
    )
    parser.add_argument("--images", type=int, default=400, help="synthetic images")
    parser.add_argument("--size", type=int, default=48)
    parser.add_argument("--threads", type=int, default=1)
    return parser.parse_args(argv)


def base_overrides(root: Path, size: int) -> list[str]:
    return [
        f"data.root={root}",
        "model.encoder=tiny",
        f"model.image_size={size}",
        "data.workers=0",
        "train.batch_size=8",
        "train.progress=false",
        "train.device=cpu",
        "optim.lr=0.01",
    ]


def train_for(overrides: list[str], epochs: int, steps: int, out: Path) -> tuple[float, dict]:
    from fairdf.config import load_config
    from fairdf.engine.train import train

    config = load_config(
        None, [*overrides, f"train.epochs={epochs}", f"train.max_steps_per_epoch={steps}"]
    )
    started = time.perf_counter()
    train(config, out)
    seconds = time.perf_counter() - started
    last = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])
    return seconds, last["val"]


def main(argv=None) -> int:
    from fairdf.data.synth import make_synthetic_dataset

    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="efficient_sam_"))
    data = make_synthetic_dataset(work / "data", n_images=args.images, size=args.size, seed=1)
    base = base_overrides(data.root, args.size)
    rows = []
    for name, extra in VARIANTS.items():
        probe, _ = train_for([*base, *extra], 1, 10, work / f"probe-{len(rows)}")
        per_step = probe / 10  # includes one validation: an upper bound per step
        steps_per_epoch = 10
        epochs = max(1, int(args.budget / (per_step * steps_per_epoch)))
        seconds, val = train_for(
            [*base, *extra], epochs, steps_per_epoch, work / f"run-{len(rows)}"
        )
        rows.append((name, per_step, epochs * steps_per_epoch, seconds, val))
    full_sam = rows[1][1]
    print(
        f"tiny encoder, {args.size} px, {args.images} synthetic images, budget {args.budget:.0f} s"
    )
    print(
        f"{'optimizer':12} {'s/step':>7} {'x SAM':>6} {'steps':>6} {'train s':>8} "
        f"{'val AUC':>8} {'F_FPR':>7} {'F_MEO':>7}"
    )
    for name, per_step, steps, seconds, val in rows:

        def show(key, val=val):
            value = val.get(key)
            return f"{value:.4f}" if value is not None else "n/a"

        print(
            f"{name:12} {per_step:7.3f} {per_step / full_sam:6.2f} {steps:6d} {seconds:8.1f} "
            f"{show('auc'):>8} {show('F_FPR'):>7} {show('F_MEO'):>7}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
