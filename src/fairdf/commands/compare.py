"""`fairdf compare PRED.csv PRED.csv...`: metrics of several models and paired differences."""

from __future__ import annotations

import argparse

from fairdf.commands.metric_options import add_metric_options, add_wide_option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "predictions",
        nargs="+",
        metavar="PRED",
        help="predictions CSVs of the same images, or one fairdf test --out folder per model",
    )
    parser.add_argument(
        "--names", nargs="+", metavar="NAME", help="model names (default: file names)"
    )
    parser.add_argument(
        "--baseline", metavar="NAME", help="model the others are compared with (default: the first)"
    )
    parser.add_argument(
        "--json", metavar="OUT.json", help="write models, differences and meta as JSON"
    )
    parser.add_argument(
        "--report", metavar="OUT.html", help="also write the comparison report page"
    )
    add_metric_options(parser, bootstrap_default=2000)
    add_wide_option(parser)


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from fairdf.compare import compare_models, format_comparisons
    from fairdf.errors import ConfigError
    from fairdf.io import write_text_atomic
    from fairdf.metrics.tables import TABLE_WIDTH

    if args.json and Path(args.json).is_dir():
        raise ConfigError(f"--json {args.json} is a folder; give a file name such as compare.json")
    report_paths = None
    if args.report:
        from fairdf.report import report_paths as paths_of

        report_paths = paths_of(args.report)
    options = compare_options(args)
    comparisons = compare_models(args.predictions, args.names, args.baseline, options)
    text = format_comparisons(comparisons, width=None if args.wide else TABLE_WIDTH)
    if report_paths is not None:
        from fairdf.report import save_report
        from fairdf.report.compare import comparison_document

        save_report(comparison_document(comparisons, options), report_paths)
    if args.json:
        payload = json.dumps(comparisons.to_json_dict(), indent=1, allow_nan=False)
        write_text_atomic(args.json, payload + "\n")
    print(text, end="")
    for warning in comparisons.warnings():
        print(warning, file=sys.stderr)
    for written in (args.json, args.report):
        if written:
            print(f"\nwrote {written}")
    return 0


def compare_options(args: argparse.Namespace):
    """The `CompareOptions` of parsed `compare` (or multi-file `report`) arguments."""
    from fairdf.commands.metric_options import metric_options
    from fairdf.compare import CompareOptions

    return CompareOptions(**metric_options(args).as_dict())
