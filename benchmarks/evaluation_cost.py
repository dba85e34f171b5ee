"""What the evaluation extras cost in `compute_metrics`, on one in-memory table.

    python benchmarks/evaluation_cost.py [--rows 1000000] [--frames-per-video 32]

Times, in one process and the same run (so the ratios are comparable even on a busy
machine): the detection metrics alone (baseline: `group_table` overall and per view), the full
frame-level `compute_metrics` (with PPV/NPV, ECE, ratios, disparity, F_COV ...), and the
same with the video-level section. Each is the best of `--repeats` runs. Prints one table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy.special import expit


def predictions(rows: int, frames_per_video: int, seed: int = 0) -> pd.DataFrame:
    """8 groups, label and group constant per video, frame scores noisy around a video score."""
    rng = np.random.default_rng(seed)
    videos = rows // frames_per_video
    label = rng.integers(0, 2, videos)
    group = rng.integers(0, 8, videos)
    video = np.repeat(np.arange(videos), frames_per_video)
    logit = (2 * label[video] - 1) * (0.5 + 0.1 * group[video]) + rng.normal(0, 1.0, len(video))
    frame = pd.DataFrame({"video": video, "label": label[video], "intersec_label": group[video]})
    frame["ismale"] = np.where(frame["intersec_label"] < 4, 1, -1)
    for index, name in enumerate(("isasian", "iswhite", "isblack")):
        frame[name] = np.where(frame["intersec_label"] % 4 == index, 1, -1)
    frame["score"] = expit(logit)
    return frame


def best_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--frames-per-video", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from fairdf.metrics import compute_metrics, prepare_predictions
    from fairdf.metrics.detection import group_table, predicted_fake
    from fairdf.metrics.views import build_views, overall_view

    table = prepare_predictions(predictions(args.rows, args.frames_per_video), "ffpp")
    predicted = predicted_fake(table.score, 0.5)

    def detection_only():
        for view in [overall_view(len(table)), *build_views(table)]:
            group_table(view, table.label, table.score, predicted)

    runs = {
        "detection metrics per view (baseline)": detection_only,
        "compute_metrics, frame level": lambda: compute_metrics(table),
        "compute_metrics, frame + video level": lambda: compute_metrics(
            table, video_column="video"
        ),
    }
    results = {name: best_time(run, args.repeats) for name, run in runs.items()}
    baseline = next(iter(results.values()))
    width = max(map(len, results))
    print(f"{args.rows} rows, {args.rows // args.frames_per_video} videos, best of {args.repeats}")
    print(f"{'run'.ljust(width)}  seconds  x baseline")
    for name, seconds in results.items():
        print(f"{name.ljust(width)}  {seconds:7.3f}  {seconds / baseline:10.2f}")


if __name__ == "__main__":
    main()
