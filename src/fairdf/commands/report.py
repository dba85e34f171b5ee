"""`fairdf report SOURCE`: an HTML page (and Markdown twin) of a run and/or its predictions."""

from __future__ import annotations

import argparse

from fairdf.commands.metric_options import add_metric_options, metric_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source",
        metavar="SOURCE",
        nargs="+",
        help="a predictions CSV, a run directory (metrics.jsonl) or a demo output folder; "
        "several predictions CSVs (or fairdf test folders) give a comparison report",
    )
    parser.add_argument("--names", nargs="+", metavar="NAME", help="model names (comparison)")
    parser.add_argument("--baseline", metavar="NAME", help="baseline model (comparison)")
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
    import sys

    from fairdf.report import write_report

    if len(args.source) > 1 or args.names or args.baseline:
        return _run_comparison(args)
    _warn_if_stale(args.source[0])
    options = metric_options(args)
    paths = write_report(
        args.source[0], args.out, predictions=args.predictions, **options.as_dict()
    )
    for warning in paths.warnings:
        print(warning, file=sys.stderr)
    print(f"wrote {paths.html}\n  and {paths.markdown} with figures in {paths.figures}")
    return 0


def _warn_if_stale(source: str) -> None:
    """A run directory whose last save a kill interrupted: its log may miss an epoch."""
    import sys
    from pathlib import Path

    from fairdf.engine.run_dir import unfinished_save

    message = unfinished_save(Path(source)) if Path(source).is_dir() else None
    if message:
        print(f"warning: {message}", file=sys.stderr)


def _run_comparison(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from fairdf.commands.compare import compare_options
    from fairdf.compare import compare_models
    from fairdf.report import report_paths, save_report
    from fairdf.report.compare import comparison_document

    first = Path(args.source[0])
    folder = first.parent if first.is_file() else first
    paths = report_paths(args.out or folder / "comparison.html")
    options = compare_options(args)
    comparisons = compare_models(args.source, args.names, args.baseline, options)
    document = comparison_document(comparisons, options)
    save_report(document, paths)
    for warning in document.warnings:
        print(warning, file=sys.stderr)
    print(f"wrote {paths.html}\n  and {paths.markdown} with figures in {paths.figures}")
    return 0
