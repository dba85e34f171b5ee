"""`fairdf report SOURCE`: an HTML page (and Markdown twin) of a run and/or its predictions."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source",
        metavar="SOURCE",
        help="a predictions CSV, a run directory (metrics.jsonl) or a demo output folder",
    )
    parser.add_argument(
        "--out",
        metavar="REPORT.html",
        help="the page; REPORT.md and REPORT_files/ go beside it "
        "(default: report.html in the SOURCE folder, or beside a SOURCE CSV)",
    )
    parser.add_argument(
        "--predictions",
        metavar="CSV",
        help="test predictions to report with a run directory (e.g. from fairdf test)",
    )
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
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=1000,
        metavar="N",
        help="bootstrap resamples for the intervals (default 1000; 0 = no intervals)",
    )
    parser.add_argument("--ci", type=float, default=0.95, help="interval level (default 0.95)")
    parser.add_argument(
        "--cluster-by",
        metavar="COL",
        help="resample whole clusters (e.g. identity or video column) instead of images",
    )
    parser.add_argument("--seed", type=int, default=0, help="bootstrap random seed")
    parser.add_argument(
        "--threshold", type=float, default=0.5, help="an image is predicted fake if score > this"
    )
    parser.add_argument(
        "--reference-convention",
        action="store_true",
        help="score rows as sigmoid(logit_fake), as the reference metric script does",
    )


def run(args: argparse.Namespace) -> int:
    from fairdf.report import write_report

    paths = write_report(
        args.source,
        args.out,
        predictions=args.predictions,
        scheme=args.scheme,
        bootstrap=args.bootstrap,
        ci=args.ci,
        cluster_by=args.cluster_by,
        by=args.by,
        threshold=args.threshold,
        seed=args.seed,
        reference_convention=args.reference_convention,
    )
    print(f"wrote {paths.html}\n  and {paths.markdown} with figures in {paths.figures}")
    return 0
