"""`fairdf report SOURCE`: an HTML page (and Markdown twin) of a run and/or its predictions."""

from __future__ import annotations

import argparse

from fairdf.commands.metric_options import (
    add_metric_options,
    chosen_scheme,
    reference_groups,
)


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
    add_metric_options(parser, bootstrap_default=1000)


def run(args: argparse.Namespace) -> int:
    from fairdf.report import write_report

    paths = write_report(
        args.source,
        args.out,
        predictions=args.predictions,
        scheme=chosen_scheme(args),
        bootstrap=args.bootstrap,
        ci=args.ci,
        cluster_by=args.cluster_by,
        by=args.by,
        threshold=args.threshold,
        seed=args.seed,
        reference_convention=args.reference_convention,
        video_column=args.video_column,
        video_aggregate=args.video_aggregate,
        reference_groups=reference_groups(args.reference_group),
    )
    print(f"wrote {paths.html}\n  and {paths.markdown} with figures in {paths.figures}")
    return 0
