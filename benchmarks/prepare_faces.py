"""Speed of `fairdf prepare faces`: detection + 68 landmarks + aligned crop per image.

Images: the 512 x 512 astronaut photo (scikit-image), rotated and shifted a little per
image so that no two are alike. Two tables:
1. Per stage, each detector setting in a fresh process (models loaded before timing):
   CPU milliseconds per image and images per second for one worker (= one core), the
   ratio to the baseline (HOG, upsample 1 = the default) and peak resident memory. CPU
   time keeps these figures stable when other work shares the machine.
2. The whole `prepare_faces` step (decode PNG, crop, write PNG + sidecar, index) over
   files on disk with 1 and 2 worker processes, by the wall clock: scaling over cores
   (other load on the machine distorts it; the header prints the load average).

    python benchmarks/prepare_faces.py [--images 40] [--cnn-images 6] [--size 256]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def test_images(count: int) -> list[np.ndarray]:
    import cv2
    from skimage import data

    photo = data.astronaut()
    rng = np.random.default_rng(0)
    images = []
    for _ in range(count):
        matrix = cv2.getRotationMatrix2D((220, 125), float(rng.uniform(-10, 10)), 1.0)
        matrix[:, 2] += rng.uniform(-20, 20, size=2)
        images.append(cv2.warpAffine(photo, matrix, (512, 512), borderMode=cv2.BORDER_REFLECT))
    return images


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def time_in_process(detector: str, upsample: int, count: int, size: int, queue) -> None:
    """Per-stage seconds per image for one configuration (runs in a child process)."""
    from fairdf.prepare.faces import FaceFinder, align_face

    images = test_images(count)
    finder = FaceFinder(detector, upsample)
    finder.find(images[0])  # warm-up
    stages = {"detect": 0.0, "landmarks": 0.0, "crop": 0.0}
    found = 0
    for image in images:
        start = time.process_time()
        detections = finder.detect(image)
        detected = time.process_time()
        if not detections:
            stages["detect"] += detected - start
            continue
        rect, score = max(detections, key=lambda d: d[0].width() * d[0].height())
        face = finder.locate(image, rect, score)
        located = time.process_time()
        align_face(image, face, size)
        cropped = time.process_time()
        found += 1
        stages["detect"] += detected - start
        stages["landmarks"] += located - detected
        stages["crop"] += cropped - located
    queue.put(({k: v / count for k, v in stages.items()}, found, peak_memory_mib()))


def time_whole_step(count: int, size: int, workers: int, queue) -> None:
    """Seconds per image of prepare_faces over PNG files, with `workers` processes."""
    import cv2

    from fairdf.prepare.crops import prepare_faces
    from fairdf.prepare.faces import CropOptions

    with tempfile.TemporaryDirectory() as folder:
        images = Path(folder) / "images"
        images.mkdir()
        for index, image in enumerate(test_images(count)):
            cv2.imwrite(str(images / f"{index:04d}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        start = time.perf_counter()
        summary = prepare_faces(images, Path(folder) / "faces", CropOptions(size=size), workers)
        elapsed = time.perf_counter() - start
    queue.put(({"all": elapsed / count}, summary.crops, peak_memory_mib()))


def in_child(target, *args):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def stage_table(args) -> None:
    configs = [("hog", 1, args.images), ("hog", 0, args.images)]
    if args.cnn_images:
        configs.append(("cnn", 0, args.cnn_images))
    header = ("detector", "images", "faces", "detect ms", "landmarks ms", "crop ms",
              "total ms/img", "img/s per worker", "vs hog upsample 1", "peak RSS MiB")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    baseline = None
    for detector, upsample, count in configs:
        stages, found, memory = in_child(time_in_process, detector, upsample, count, args.size)
        total = sum(stages.values())
        baseline = baseline or total
        parts = " | ".join(f"{stages[k] * 1000:.1f}" for k in ("detect", "landmarks", "crop"))
        print(
            f"| {detector} upsample {upsample} | {count} | {found} | {parts} | "
            f"{total * 1000:.1f} | {1 / total:.1f} | {baseline / total:.2f}x | {memory:.0f} |"
        )


def step_table(args) -> None:
    header = ("workers", "images", "crops", "wall ms/img", "img/s", "img/s per worker",
              "speed-up vs 1 worker", "peak RSS MiB (main)")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    baseline = None
    for workers in (1, 2):
        stages, found, memory = in_child(time_whole_step, args.images, args.size, workers)
        seconds = stages["all"]
        baseline = baseline or seconds
        print(
            f"| {workers} | {args.images} | {found} | {seconds * 1000:.1f} | {1 / seconds:.1f} | "
            f"{1 / (seconds * workers):.1f} | {baseline / seconds:.2f}x | {memory:.0f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--cnn-images", type=int, default=6, help="0 skips the CNN detector")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"# 512x512 images, crop {args.size}px, {multiprocessing.cpu_count()} CPU cores, "
        f"load average {load}, python {sys.version.split()[0]}\n"
    )
    print("## Per stage, CPU time (one worker = one core)\n")
    stage_table(args)
    print("\n## Whole step (decode PNG, crop, write PNG + sidecar, index), wall clock\n")
    step_table(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
