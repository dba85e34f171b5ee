"""Time the paired bootstrap of `fairdf compare` (target: 5 models x 100,000 x 2,000 under 60 s).

    python benchmarks/compare_speed.py [--rows 100000] [--resamples 2000] [--models 1 2 5]

Each configuration runs in a fresh process (its peak memory is its own): the
single-model bootstrap of `fairdf metrics` (`bootstrap_statistics`), then the paired
bootstrap of M models (`paired_statistics`, the same resamples for every model, all
statistics of the overall set and the intersectional, gender and race views). The
ratio is against the single-model bootstrap of the same size measured in the same run;
CPU seconds are given too, since wall time on a shared machine depends on its load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

TARGET_SECONDS = 60.0


def make_scores(rows: int, models: int, seed: int = 0):
    """Labels, groups and `models` correlated score vectors (shared per-image difficulty)."""
    from scipy.special import expit

    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, rows)
    group = rng.integers(0, 8, rows)
    difficulty = rng.normal(0, 1, rows)
    scores = [
        expit((2 * label - 1) * (0.8 + 0.1 * m) + difficulty + rng.normal(0, 0.5, rows))
        for m in range(models)
    ]
    return label, group, scores


def measure(rows: int, resamples: int, models: int, paired: bool) -> dict:
    import pandas as pd

    from fairdf.metrics import prepare_predictions
    from fairdf.metrics.bootstrap import bootstrap_statistics
    from fairdf.metrics.paired import paired_statistics
    from fairdf.metrics.views import build_views, overall_view

    label, group, scores = make_scores(rows, models)
    table = prepare_predictions(
        pd.DataFrame({"label": label, "score": scores[0], "intersec_label": group}), "ffpp"
    )
    views = [overall_view(rows), *build_views(table)]
    predicted = [score > 0.5 for score in scores]
    wall, cpu = time.perf_counter(), time.process_time()
    if paired:
        paired_statistics(table.label, scores, predicted, views, resamples)
    else:
        bootstrap_statistics(table.label, scores[0], predicted[0], views, resamples)
    return {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def in_subprocess(rows: int, resamples: int, models: int, paired: bool) -> dict:
    code = (
        "import json, sys; sys.path.insert(0, 'benchmarks'); import compare_speed as c; "
        f"print(json.dumps(c.measure({rows}, {resamples}, {models}, {paired})))"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--models", type=int, nargs="+", default=[2, 5])
    args = parser.parse_args()
    print(f"uptime: {os.popen('uptime').read().strip()}")
    configs = [("single-model bootstrap", 1, False)]
    configs += [(f"paired, {m} models", m, True) for m in args.models]
    results = [(name, in_subprocess(args.rows, args.resamples, m, p)) for name, m, p in configs]
    base = results[0][1]
    print(
        f"{args.rows:,} predictions x {args.resamples} resamples; 4 views (overall + 3 groupings)"
    )
    print(f"{'configuration':24s} {'wall s':>8s} {'cpu s':>8s} {'ratio':>7s} {'peak MB':>8s}")
    for name, r in results:
        ratio = r["cpu"] / base["cpu"]
        print(f"{name:24s} {r['wall']:8.1f} {r['cpu']:8.1f} {ratio:7.2f} {r['rss_mb']:8.0f}")
    last = results[-1][1]
    verdict = "met" if last["cpu"] < TARGET_SECONDS else "missed"
    print(f"target: {results[-1][0]} under {TARGET_SECONDS:.0f} s ({verdict} in CPU time)")


if __name__ == "__main__":
    main()
