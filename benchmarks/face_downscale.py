"""Face detection on a downscaled copy of large frames (`prepare faces --min-face PX`).

Frames: 1280 x 720 canvases holding scikit-image's astronaut photo at a random position
and scale (her face 80 to 145 px), JPEG quality 90. For each setting: CPU milliseconds
per frame for detection + landmarks (one thread), frames per second, recall (the kept
box on her face, IoU > 0.5 with the true face box), and against the full-resolution
default: the IoU of the kept boxes and the mean distance of the 68 landmarks (which set
the crop) in percent of the face side. The settings run interleaved frame by frame, so machine
load shifts them alike; the ratio column is against the default (full resolution, HOG,
upsample 1).

    python benchmarks/face_downscale.py [--frames 48]
"""

from __future__ import annotations

import argparse
import io
import os
import time

import numpy as np

FACE = (175, 76, 265, 166)  # the astronaut's face box in the 512 px photo
SETTINGS = (None, 80, 100, 120, 160)  # --min-face (None: the default, full resolution)


def frames(count: int, seed: int = 0):
    """(frame, true face box) pairs."""
    from PIL import Image
    from skimage import data

    photo = Image.fromarray(data.astronaut())
    rng = np.random.default_rng(seed)
    for _ in range(count):
        scale = float(rng.uniform(0.9, 1.6))
        side = int(512 * scale)
        canvas = Image.new("RGB", (1280, 720), (40, 40, 40))
        # the photo may leave the canvas, her face (top half) never does
        x = int(rng.integers(0, 1280 - side))
        y = int(rng.integers(-int(60 * scale), 720 - int(180 * scale)))
        canvas.paste(photo.resize((side, side), Image.BILINEAR), (x, y))
        buffer = io.BytesIO()
        canvas.save(buffer, "JPEG", quality=90)
        frame = np.asarray(Image.open(buffer).convert("RGB"))
        yield frame, tuple(v * scale + (x if i % 2 == 0 else y) for i, v in enumerate(FACE))


def iou(a, b) -> float:
    x1, y1, x2, y2 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area if area > 0 else 0.0


def main() -> None:
    from fairdf.prepare.faces import CropOptions, FaceFinder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    plans = {m: CropOptions(min_face=m).detection_plan() for m in SETTINGS}
    finders = {u: FaceFinder("hog", u) for u in {u for _, u in plans.values()}}
    cpu = dict.fromkeys(SETTINGS, 0.0)
    found = dict.fromkeys(SETTINGS, 0)
    overlap: dict = {m: [] for m in SETTINGS}
    shift: dict = {m: [] for m in SETTINGS}
    data = list(frames(args.frames))
    for frame, truth in data:
        default = None
        for setting in SETTINGS:
            scale, upsample = plans[setting]
            start = time.process_time()
            face = finders[upsample].find(frame, scale)
            cpu[setting] += time.process_time() - start
            if face is None:
                continue
            found[setting] += iou(face.box, truth) > 0.5
            if setting is None:
                default = face
            elif default is not None:
                overlap[setting].append(iou(face.box, default.box))
                side = default.box[2] - default.box[0]
                distance = np.linalg.norm(face.landmarks - default.landmarks, axis=1).mean()
                shift[setting].append(100 * distance / side)
    print(f"{len(data)} frames of 1280x720, load average {os.getloadavg()[0]:.2f}")
    print(
        f"{'--min-face':>10} {'scale':>6} {'upsample':>8} {'ms/frame':>9} {'frames/s':>9} "
        f"{'ratio':>6} {'recall':>7} {'box IoU (median, min)':>22} {'landmarks (% side)':>19}"
    )
    base = cpu[None]
    for setting in SETTINGS:
        scale, upsample = plans[setting]
        ms = 1000 * cpu[setting] / len(data)
        ious = overlap[setting]
        shown = f"{np.median(ious):.3f}, {min(ious):.3f}" if ious else "-"
        moved = f"{np.mean(shift[setting]):.2f}" if shift[setting] else "-"
        print(
            f"{str(setting or 'default'):>10} {scale:>6.2f} {upsample:>8} {ms:>9.1f} "
            f"{1000 / ms:>9.2f} {cpu[setting] / base:>6.2f} {found[setting]:>4}/{len(data)} "
            f"{shown:>22} {moved:>19}"
        )


if __name__ == "__main__":
    main()
