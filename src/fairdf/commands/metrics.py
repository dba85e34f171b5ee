"""`fairdf metrics PRED.csv`: detection and fairness metrics of a predictions CSV."""

from __future__ import annotations

import argparse

from fairdf.commands.metric_options import (
    add_metric_options,
    chosen_scheme,
    reference_groups,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("predictions", metavar="PRED.csv", help="one row per scored image")
    parser.add_argument("--json", metavar="OUT.json", help="write all metrics as JSON (fractions)")
    add_metric_options(parser, bootstrap_default=0)


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from fairdf.errors import DataError
    from fairdf.io import write_text_atomic
    from fairdf.metrics import compute_metrics, format_report, read_predictions
    from fairdf.metrics.videos import default_video_column

    if args.json and Path(args.json).is_dir():
        raise DataError(f"--json {args.json} is a folder; give a file name such as metrics.json")
    table = read_predictions(
        args.predictions, chosen_scheme(args), reference_convention=args.reference_convention
    )
    result = compute_metrics(
        table,
        by=args.by,
        threshold=args.threshold,
        n_bootstrap=args.bootstrap,
        ci=args.ci,
        cluster_by=args.cluster_by,
        seed=args.seed,
        video_column=default_video_column(table.frame, args.video_column),
        video_aggregate=args.video_aggregate,
        reference_groups=reference_groups(args.reference_group),
    )
    if args.json:
        write_text_atomic(
            args.json, json.dumps(result.to_json_dict(), indent=1, allow_nan=False) + "\n"
        )
    print(format_report(result), end="")
    if args.json:
        print(f"\nwrote {args.json}")
    return 0
