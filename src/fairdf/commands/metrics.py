"""`fairdf metrics PRED.csv`: detection and fairness metrics of a predictions CSV."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("predictions", metavar="PRED.csv", help="one row per scored image")
    parser.add_argument(
        "--scheme", help="group scheme: ffpp, dfdc (8 groups), celebdf, dfd (6) (default: detect)"
    )
    parser.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="COL",
        help="also measure fairness across the values of column COL (repeatable)",
    )
    parser.add_argument("--json", metavar="OUT.json", help="write all metrics as JSON (fractions)")
    parser.add_argument(
        "--reference-convention",
        action="store_true",
        help="score rows as sigmoid(logit_fake), as the reference metric script does",
    )
    parser.add_argument(
        "--threshold", type=float, default=0.5, help="an image is predicted fake if score > this"
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=0,
        metavar="N",
        help="add percentile bootstrap intervals from N resamples",
    )
    parser.add_argument("--ci", type=float, default=0.95, help="interval level (default 0.95)")
    parser.add_argument(
        "--cluster-by",
        metavar="COL",
        help="resample whole clusters (e.g. identity or video column) instead of images",
    )
    parser.add_argument("--seed", type=int, default=0, help="bootstrap random seed")


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from fairdf.errors import DataError
    from fairdf.io import write_text_atomic
    from fairdf.metrics import compute_metrics, format_report, read_predictions

    if args.json and Path(args.json).is_dir():
        raise DataError(f"--json {args.json} is a folder; give a file name such as metrics.json")
    table = read_predictions(
        args.predictions, args.scheme, reference_convention=args.reference_convention
    )
    result = compute_metrics(
        table,
        by=args.by,
        threshold=args.threshold,
        n_bootstrap=args.bootstrap,
        ci=args.ci,
        cluster_by=args.cluster_by,
        seed=args.seed,
    )
    if args.json:
        write_text_atomic(
            args.json, json.dumps(result.to_json_dict(), indent=1, allow_nan=False) + "\n"
        )
    print(format_report(result), end="")
    if args.json:
        print(f"\nwrote {args.json}")
    return 0
