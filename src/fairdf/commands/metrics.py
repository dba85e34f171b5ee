"""`fairdf metrics PRED.csv`: detection and fairness metrics of a predictions CSV."""

from __future__ import annotations

import argparse

from fairdf.commands.metric_options import add_metric_options, add_wide_option, metric_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("predictions", metavar="PRED.csv", help="one row per scored image")
    parser.add_argument("--json", metavar="OUT.json", help="write all metrics as JSON (fractions)")
    add_metric_options(parser, bootstrap_default=0)
    add_wide_option(parser)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from fairdf.io import write_text_atomic
    from fairdf.metrics import format_report, measure_predictions
    from fairdf.metrics.decisions import constant_decisions_warning
    from fairdf.metrics.reference import removal_warning
    from fairdf.metrics.tables import TABLE_WIDTH
    from fairdf.paths import check_output_file

    if args.json:
        check_output_file(args.json, "--json")
    _, result = measure_predictions(args.predictions, metric_options(args))
    document = result.to_json_dict()
    if args.json:
        write_text_atomic(args.json, json.dumps(document, indent=1, allow_nan=False) + "\n")
    for warning in (removal_warning(result.meta), constant_decisions_warning(document)):
        if warning:
            print(warning, file=sys.stderr)
    print(format_report(result, width=None if args.wide else TABLE_WIDTH), end="")
    if args.json:
        print(f"\nwrote {args.json}")
    return 0
