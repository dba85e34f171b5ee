"""Speed and memory of `fairdf synth`.

    python benchmarks/synth_speed.py [--n 1000] [--size 64] [--seed 0]

Prints one table: wall time of each stage, its ratio to the baseline measured in the same
run (PNG-encoding and writing the same number of ready-made images with PIL: the floor
that any generator writing PNG files pays), images per second and peak traced memory
(Python allocations, numpy included, measured in a second, untimed call).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from PIL import Image

from fairdf.data.synth import (
    make_settings,
    make_synthetic_arrays,
    make_synthetic_dataset,
    plan_dataset,
)


def measure(function) -> tuple[float, float]:
    """(seconds, peak MiB traced) of `function`: timed untraced, then traced once more
    (tracing slows numpy down, so it must not be in the timing)."""
    start = time.perf_counter()
    function()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def write_pngs(images: np.ndarray, folder: Path) -> None:
    for index, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{index:05d}.png", format="PNG")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = {"n_images": args.n, "size": args.size, "seed": args.seed}
    images, _ = make_synthetic_arrays(**settings)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "png").mkdir()
        stages = {
            "baseline: write PNGs only": lambda: write_pngs(images, folder / "png"),
            "plan (identities, splits)": lambda: plan_dataset(make_settings(**settings)),
            "render in memory": lambda: make_synthetic_arrays(**settings),
            "make_synthetic_dataset": lambda: make_synthetic_dataset(
                folder / "out", overwrite=True, **settings
            ),
        }
        results = {name: measure(stage) for name, stage in stages.items()}
    baseline = results["baseline: write PNGs only"][0]
    print(f"fairdf synth: {args.n} images of {args.size} px, seed {args.seed}")
    print(f"{'stage':<28} {'seconds':>8} {'x baseline':>10} {'images/s':>9} {'peak MiB':>9}")
    for name, (seconds, peak) in results.items():
        print(
            f"{name:<28} {seconds:>8.2f} {seconds / baseline:>10.1f} "
            f"{args.n / seconds:>9.0f} {peak:>9.1f}"
        )


if __name__ == "__main__":
    main()
