"""Time `fairdf metrics` on 1,000,000 predictions over 8 groups (target: under 10 s).

    python benchmarks/metrics_scale.py [--rows 1000000] [--no-baseline]

Writes a predictions CSV to a temporary folder, then, each in a fresh process (so peak
memory is its own): the CLI end to end (`fairdf metrics PRED.csv --json OUT.json`), the
same steps in-process with a time per stage, and a baseline computing the same
per-group rates, AUC and AP with fairlearn's MetricFrame and scikit-learn. Prints one
table with ratios against the baseline.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_SECONDS = 10.0


def write_predictions(path: Path, rows: int, seed: int = 0) -> None:
    """Reference manifest layout + score, 8 groups of unequal size and quality."""
    import pandas as pd
    from scipy.special import expit

    rng = np.random.default_rng(seed)
    group = rng.choice(8, rows, p=np.array([2, 25, 2, 4, 8, 31, 1, 2]) / 75)
    label = rng.integers(0, 2, rows)
    race = group % 4
    frame = pd.DataFrame(
        {
            "img_path": np.char.add("frames/video_", (np.arange(rows) // 32).astype(str)),
            "label": label,
            "ismale": np.where(group < 4, 1, -1),
            "isasian": np.where(race == 0, 1, -1),
            "iswhite": np.where(race == 1, 1, -1),
            "isblack": np.where(race == 2, 1, -1),
            "intersec_label": group,
        }
    )
    logits = rng.normal(0, 1, rows) + (2 * label - 1) * (0.6 + 0.1 * group)
    frame["score"] = np.round(expit(logits), 6)
    frame.to_csv(path, index=False)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_stages(csv: Path, out: Path) -> dict:
    """The CLI's steps in-process, timed one by one."""
    start = time.perf_counter()
    from fairdf.io import write_text_atomic
    from fairdf.metrics import compute_metrics, format_report, read_predictions

    times = {"import": time.perf_counter() - start}
    start = time.perf_counter()
    table = read_predictions(csv)
    times["read + validate CSV"] = time.perf_counter() - start
    start = time.perf_counter()
    result = compute_metrics(table)
    times["compute metrics"] = time.perf_counter() - start
    start = time.perf_counter()
    write_text_atomic(out, json.dumps(result.to_json_dict(), indent=1, allow_nan=False))
    times["write JSON"] = time.perf_counter() - start
    start = time.perf_counter()
    format_report(result)
    times["format tables"] = time.perf_counter() - start
    return {"times": times, "peak_rss_mb": peak_rss_mb()}


def run_baseline(csv: Path) -> dict:
    """Per-group rates, AUC and AP of the three views with MetricFrame (no EER, no checks)."""
    start = time.perf_counter()
    import pandas as pd
    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_negative_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, average_precision_score, roc_auc_score

    frame = pd.read_csv(csv)
    label, score = frame["label"].to_numpy(), frame["score"].to_numpy()
    predicted = (score > 0.5).astype(int)
    group = frame["intersec_label"].to_numpy()
    views = {"intersectional": group, "gender": group // 4, "race": group % 4}
    rates = {
        "fpr": false_positive_rate,
        "tpr": true_positive_rate,
        "tnr": true_negative_rate,
        "fnr": false_negative_rate,
        "pr": selection_rate,
        "acc": accuracy_score,
    }
    for codes in views.values():
        by_rate = MetricFrame(
            metrics=rates, y_true=label, y_pred=predicted, sensitive_features=codes
        )
        by_score = MetricFrame(
            metrics={"auc": roc_auc_score, "ap": average_precision_score},
            y_true=label,
            y_pred=score,
            sensitive_features=codes,
        )
        by_rate.difference(), by_score.difference()
    return {"times": {"total": time.perf_counter() - start}, "peak_rss_mb": peak_rss_mb()}


def _child(mode: str, csv: Path, out: Path) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--csv", str(csv), "--out", str(out)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _end_to_end(csv: Path, out: Path) -> dict:
    command = [sys.executable, "-m", "fairdf.cli", "metrics", str(csv), "--json", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": seconds, "peak_rss_mb": max(peak, before) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-baseline", action="store_true", help="skip the slow baseline")
    parser.add_argument("--child", choices=("stages", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = run_stages(args.csv, args.out) if args.child == "stages" else run_baseline(args.csv)
        print(json.dumps(run))
        return
    with tempfile.TemporaryDirectory() as folder:
        csv, out = Path(folder) / "predictions.csv", Path(folder) / "metrics.json"
        write_predictions(csv, args.rows)
        end_to_end = _end_to_end(csv, out)
        stages = _child("stages", csv, out)
        baseline = None if args.no_baseline else _child("baseline", csv, out)
        size_mb = csv.stat().st_size / 2**20
    print_table(args.rows, size_mb, end_to_end, stages, baseline)


def print_table(
    rows: int, size_mb: float, end_to_end: dict, stages: dict, baseline: dict | None
) -> None:
    base = baseline["times"]["total"] if baseline else None

    def ratio(seconds: float) -> str:
        return f"{base / seconds:8.1f}x" if base else "     n/a"

    print(f"fairdf metrics on {rows:,} predictions, 8 groups ({size_mb:.0f} MB CSV)")
    print(f"{'run':<52}{'seconds':>9}{'speed-up':>10}{'peak RSS':>11}")
    if baseline:
        print(
            f"{'baseline: pandas + fairlearn MetricFrame (3 views)':<52}{base:9.2f}{'1.0x':>10}"
            f"{baseline['peak_rss_mb']:8.0f} MB"
        )
    seconds = end_to_end["seconds"]
    print(
        f"{'fairdf metrics --json (CLI, end to end)':<52}{seconds:9.2f}{ratio(seconds):>10}"
        f"{end_to_end['peak_rss_mb']:8.0f} MB"
    )
    for stage, stage_seconds in stages["times"].items():
        print(f"{'  in-process: ' + stage:<52}{stage_seconds:9.2f}")
    print(f"{'  in-process peak RSS':<52}{'':9}{'':10}{stages['peak_rss_mb']:8.0f} MB")
    verdict = "met" if seconds < TARGET_SECONDS else "MISSED"
    print(f"target: end to end under {TARGET_SECONDS:.0f} s -> {verdict}")


if __name__ == "__main__":
    main()
