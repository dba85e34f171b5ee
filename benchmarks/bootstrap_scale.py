"""Time bootstrap intervals: 1,000 resamples of 100,000 predictions (target: under 30 s).

    python benchmarks/bootstrap_scale.py [--rows 100000] [--resamples 1000] [--baseline-resamples 10]

Each run is a fresh process (peak memory is its own) computing AUC, rates and every
fairness metric of the overall set and the intersectional, gender and race views per
resample: fairdf's vectorised bootstrap resampling images, and resampling clusters
(videos of 32 frames), against a baseline that loops over resamples, indexes the rows
and calls scikit-learn per group (timed on a few resamples, scaled to the same count).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

TARGET_SECONDS = 30.0


def make_predictions(rows: int, seed: int = 0):
    """In-memory predictions: 8 groups, videos of 32 frames with a shared score offset."""
    import pandas as pd
    from scipy.special import expit

    rng = np.random.default_rng(seed)
    video = np.arange(rows) // 32
    group = rng.choice(8, video[-1] + 1)[video]
    label = rng.integers(0, 2, video[-1] + 1)[video]
    offset = rng.normal(0, 0.5, video[-1] + 1)[video]
    logits = rng.normal(0, 1, rows) + offset + (2 * label - 1) * (0.6 + 0.1 * group)
    return pd.DataFrame(
        {"label": label, "score": expit(logits), "intersec_label": group, "video": video}
    )


def run_fairdf(rows: int, resamples: int, cluster: bool) -> dict:
    from fairdf.metrics import compute_metrics, prepare_predictions
    from fairdf.metrics.bootstrap import bootstrap_statistics
    from fairdf.metrics.views import build_views, column_view, overall_view

    table = prepare_predictions(make_predictions(rows), "ffpp")
    views = [overall_view(rows), *build_views(table)]
    clusters = column_view(table, "video").codes if cluster else None
    start = time.perf_counter()
    bootstrap_statistics(
        table.label, table.score, table.score > 0.5, views, resamples, clusters=clusters
    )
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    compute_metrics(table, bootstrap=resamples, cluster_by="video" if cluster else None)
    total = time.perf_counter() - start
    return {"seconds": seconds, "with_point_estimates": total, "resamples": resamples}


def run_baseline(rows: int, resamples: int) -> dict:
    """The obvious loop: index a resample, then scikit-learn per group and view."""
    from sklearn.metrics import confusion_matrix, roc_auc_score

    from fairdf.metrics.fairness import fairness_metrics

    frame = make_predictions(rows)
    label, score = frame["label"].to_numpy(), frame["score"].to_numpy()
    group = frame["intersec_label"].to_numpy()
    views = [np.zeros(rows, dtype=int), group, group // 4, group % 4]
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(resamples):
        rows_drawn = rng.integers(0, rows, rows)
        y, s = label[rows_drawn], score[rows_drawn]
        per_view = []
        for codes in views:
            c = codes[rows_drawn]
            rates = {k: [] for k in ("acc", "fpr", "tpr", "tnr", "fnr", "pr", "auc")}
            for g in np.unique(c):
                mask = c == g
                (tn, fp), (fn, tp) = confusion_matrix(y[mask], s[mask] > 0.5, labels=[0, 1])
                for key, value in zip(
                    rates,
                    [
                        (tn + tp) / mask.sum(),
                        fp / (tn + fp),
                        tp / (fn + tp),
                        tn / (tn + fp),
                        fn / (fn + tp),
                        (fp + tp) / mask.sum(),
                        roc_auc_score(y[mask], s[mask]),
                    ],
                    strict=True,
                ):
                    rates[key].append(value)
            per_view.append({k: np.asarray(v) for k, v in rates.items()})
        overall = {k: v[0] for k, v in per_view[0].items()}
        for rates in per_view[1:]:
            fairness_metrics(rates, overall)
    return {"seconds": time.perf_counter() - start, "resamples": resamples}


def _child(*options: str) -> dict:
    command = [sys.executable, __file__, "--child", *options]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--baseline-resamples", type=int, default=10)
    parser.add_argument(
        "--child", choices=("images", "clusters", "baseline"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        if args.child == "baseline":
            run = run_baseline(args.rows, args.baseline_resamples)
        else:
            run = run_fairdf(args.rows, args.resamples, cluster=args.child == "clusters")
        run["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(run))
        return
    common = ["--rows", str(args.rows), "--resamples", str(args.resamples)]
    common += ["--baseline-resamples", str(args.baseline_resamples)]
    runs = {
        "baseline: loop + scikit-learn per group": _child("baseline", *common),
        "fairdf vectorised, resampling images": _child("images", *common),
        "fairdf vectorised, resampling videos (clusters)": _child("clusters", *common),
    }
    print_table(args.rows, args.resamples, runs)


def print_table(rows: int, resamples: int, runs: dict) -> None:
    per_resample = {name: run["seconds"] / run["resamples"] for name, run in runs.items()}
    base = next(iter(per_resample.values()))
    print(f"bootstrap: {resamples:,} resamples of {rows:,} predictions, 8 groups, 4 views")
    header = f"{'run':<50}{'timed':>7}{f's/{resamples}':>10}{'speed-up':>10}{'peak RSS':>11}"
    print(header)
    for name, run in runs.items():
        scaled = per_resample[name] * resamples
        print(
            f"{name:<50}{run['resamples']:>7}{scaled:10.2f}{base / per_resample[name]:9.1f}x"
            f"{run['peak_rss_mb']:8.0f} MB"
        )
        if "with_point_estimates" in run:
            print(
                f"{'  compute_metrics(bootstrap=...) in total':<50}{'':>7}{run['with_point_estimates']:10.2f}"
            )
    worst = max(per_resample[name] * resamples for name in list(runs)[1:])
    verdict = "met" if worst < TARGET_SECONDS else "MISSED"
    print(f"target: {resamples:,} resamples under {TARGET_SECONDS:.0f} s -> {verdict}")


if __name__ == "__main__":
    main()
