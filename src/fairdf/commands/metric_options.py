"""The metric options shared by `fairdf metrics` and `fairdf report`, and their object."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from fairdf.commands.choices import SCHEMES

if TYPE_CHECKING:
    from fairdf.metrics.options import MetricOptions


def add_metric_options(parser: argparse.ArgumentParser, *, bootstrap_default: int) -> None:
    """--scheme, --by, --reference-convention, --threshold, --bootstrap, --ci, --cluster-by, --seed."""
    parser.add_argument(
        "--scheme",
        choices=SCHEMES,
        help="group scheme: ffpp, dfdc (8 groups), celebdf, dfd (6) (default: detect)",
    )
    parser.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="COL",
        help="also measure fairness across the values of column COL (repeatable)",
    )
    parser.add_argument(
        "--reference-convention",
        action="store_true",
        help="reproduce the reference metric script: score = sigmoid(logit_fake), fake if "
        ">= threshold, EER at the nearest ROC point, groups lacking reals or fakes removed "
        "from the fairness numbers (with a warning)",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="an image is predicted fake if score > this (>= with --reference-convention)",
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=bootstrap_default,
        metavar="N",
        help=f"bootstrap resamples for percentile intervals (default {bootstrap_default}; 0 = none)",
    )
    parser.add_argument("--ci", type=float, default=0.95, help="interval level (default 0.95)")
    parser.add_argument(
        "--cluster-by",
        metavar="COL",
        help="resample whole clusters (e.g. identity or video column) instead of images",
    )
    parser.add_argument("--seed", type=int, default=0, help="bootstrap random seed")


def metric_options(args: argparse.Namespace) -> MetricOptions:
    """The `MetricOptions` of parsed arguments that `add_metric_options` defined."""
    from fairdf.metrics.options import MetricOptions

    return MetricOptions(
        scheme=args.scheme,
        by=tuple(args.by),
        reference_convention=args.reference_convention,
        threshold=args.threshold,
        bootstrap=args.bootstrap,
        ci=args.ci,
        cluster_by=args.cluster_by,
        seed=args.seed,
    )
