"""Time `fairdf report` on a large predictions CSV (target: 1,000,000 rows under 60 s).

    python benchmarks/report_scale.py [--rows 1000000] [--bootstrap 1000] [--before SRC]

Writes a synthetic predictions CSV (8 groups, videos of 32 frames), then runs
`fairdf report` on it in a fresh process with the default bootstrap and prints wall
time, CPU time (user + system: what the run costs when the machine is shared) and peak
memory. With `--before SRC` (the `src` folder of another checkout, e.g. the main
branch), the same command runs on that code too, and the two reports' tables are
compared line by line: the intervals must be identical.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_SECONDS = 60.0
HERE_SRC = Path(__file__).resolve().parent.parent / "src"


def write_predictions(path: Path, rows: int, seed: int = 0) -> None:
    import pandas as pd
    from scipy.special import expit

    rng = np.random.default_rng(seed)
    video = np.arange(rows) // 32
    group = rng.choice(8, video[-1] + 1)[video]
    label = rng.integers(0, 2, video[-1] + 1)[video]
    logits = rng.normal(0, 1, rows) + (2 * label - 1) * (0.6 + 0.1 * group)
    frame = pd.DataFrame(
        {
            "img_path": [f"frames/{i:08d}.png" for i in range(rows)],
            "label": label,
            "score": expit(logits).round(6),
            "intersec_label": group,
            "video": video,
        }
    )
    frame.to_csv(path, index=False)


def run_report(src: Path, csv: Path, out: Path, bootstrap: int) -> dict:
    """Wall, CPU seconds and peak RSS of one `fairdf report` process."""
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    command = [sys.executable, "-m", "fairdf.cli", "report", str(csv), "--out", str(out)]
    command += ["--bootstrap", str(bootstrap)]
    subprocess.run(command, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "rss_mb": after.ru_maxrss / 1024}


def table_lines(markdown: Path) -> list[str]:
    """The report's table rows (numbers and intervals), without the generation time."""
    return [line for line in markdown.read_text().splitlines() if line.startswith("|")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--before", type=Path, help="src folder of the code to compare with")
    args = parser.parse_args()
    print(f"uptime: {os.popen('uptime').read().strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv = folder / "predictions.csv"
        write_predictions(csv, args.rows)
        runs = {"this checkout": (HERE_SRC, folder / "after" / "report.html")}
        if args.before:
            runs["before"] = (args.before.resolve(), folder / "before" / "report.html")
        results = {
            name: run_report(src, csv, out, args.bootstrap) for name, (src, out) in runs.items()
        }
        same = None
        if args.before:
            same = table_lines(runs["before"][1].with_suffix(".md")) == table_lines(
                runs["this checkout"][1].with_suffix(".md")
            )
    print(f"fairdf report: {args.rows:,} predictions, {args.bootstrap} bootstrap resamples")
    print(f"{'code':16s} {'wall s':>8s} {'cpu s':>8s} {'peak MB':>8s} {'cpu ratio':>10s}")
    base = results.get("before", results["this checkout"])["cpu"]
    for name, r in results.items():
        print(
            f"{name:16s} {r['wall']:8.1f} {r['cpu']:8.1f} {r['rss_mb']:8.0f} {r['cpu'] / base:10.3f}"
        )
    if same is not None:
        print(f"tables and intervals identical: {same}")
    cpu = results["this checkout"]["cpu"]
    print(
        f"target: under {TARGET_SECONDS:.0f} s ({'met' if cpu < TARGET_SECONDS else 'missed'} in CPU time)"
    )


if __name__ == "__main__":
    main()
