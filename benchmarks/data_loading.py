"""Images per second of the training loader alone: decode, resize, pairing, collate.

Writes N random-texture 256 px face-sized crops as PNG and as JPEG (quality 95), builds
the training `RealFakePairDataset` + `DataLoader` exactly as `fairdf train` does, and
times full passes for 0, 1 and 2 workers (optionally with augmentation). Compare with
the images per second a training step consumes (`benchmarks/train_step.py`: 2B images
per step / seconds per step) to see whether decoding limits a step.

    python benchmarks/data_loading.py --images 256 --workers 0 1 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=256, help="crops per format")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=16, help="fakes per batch (2x images)")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--augment", action="store_true", help="also time with data.augment")
    return parser.parse_args(argv)


def write_crops(folder: Path, count: int, size: int, suffix: str) -> pd.DataFrame:
    """Smooth random textures (compress like photos, unlike white noise)."""
    rng = np.random.default_rng(0)
    rows = []
    for index in range(count):
        small = rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8)
        image = Image.fromarray(small).resize((size + 7, size + 9), Image.BICUBIC)
        path = folder / f"{index:05d}{suffix}"
        image.save(path, quality=95) if suffix == ".jpg" else image.save(path)
        rows.append({"path": str(path), "label": index % 2, "group": 0, "method": index % 2})
    return pd.DataFrame(rows)


def time_loader(frame: pd.DataFrame, size: int, batch: int, workers: int, augment: bool) -> float:
    from torch.utils.data import DataLoader

    from fairdf.data.augment import Augmenter
    from fairdf.data.datasets import RealFakePairDataset, collate_pairs

    dataset = RealFakePairDataset(
        frame[frame.label == 0],
        frame[frame.label == 1],
        size=size,
        seed=0,
        augment=Augmenter() if augment else None,
    )
    loader = DataLoader(
        dataset, batch_size=batch, num_workers=workers, collate_fn=collate_pairs, shuffle=False
    )
    started, images = time.perf_counter(), 0
    for item in loader:
        images += len(item["image"])
    return images / (time.perf_counter() - started)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(1)
    folder = Path(tempfile.mkdtemp(prefix="data_loading_"))
    print(
        f"{args.images} crops per format, resized to {args.size} px, batch {args.batch}+{args.batch}"
    )
    print(f"{'format':6} {'augment':>7} {'workers':>7} {'images/s':>9}")
    for suffix in (".png", ".jpg"):
        sub = folder / suffix[1:]
        sub.mkdir()
        frame = write_crops(sub, args.images, args.size, suffix)
        for augment in (False, True) if args.augment else (False,):
            for workers in args.workers:
                rate = time_loader(frame, args.size, args.batch, workers, augment)
                print(f"{suffix[1:]:6} {str(augment):>7} {workers:7d} {rate:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
