"""The metric options shared by `fairdf metrics` and `fairdf report`, and their object."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from fairdf.commands.argtypes import bounded
from fairdf.commands.choices import SCHEMES

if TYPE_CHECKING:
    from fairdf.metrics.options import MetricOptions


def add_metric_options(parser: argparse.ArgumentParser, *, bootstrap_default: int) -> None:
    """--scheme, --by, --reference-convention, --threshold, --bootstrap, --ci, --cluster-by,
    --seed, the video options and --reference-group."""
    parser.add_argument(
        "--scheme",
        choices=SCHEMES,
        help="group scheme: ffpp, dfdc (8 groups), celebdf, dfd (6) (default: detect)",
    )
    add_attributes_option(parser)
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
        type=bounded("--bootstrap"),
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
    parser.add_argument("--seed", type=bounded("--seed"), default=0, help="bootstrap random seed")
    add_video_options(parser)
    parser.add_argument(
        "--reference-group",
        action="append",
        default=[],
        metavar="VIEW=GROUP",
        help="disparity reference group of a view, e.g. race=white (default: its largest group)",
    )
    parser.add_argument(
        "--held-out",
        action="append",
        default=[],
        metavar="METHOD",
        help="a manipulation method unseen in training, marked in the per-method AUC table "
        "(repeatable; the table needs a method_name or spe_label column)",
    )


def add_wide_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wide",
        action="store_true",
        help="print each table whole, however wide (default: split at 120 columns)",
    )


def add_attributes_option(parser: argparse.ArgumentParser) -> None:
    """--attributes (read with `chosen_scheme`; also used by `fairdf validate`)."""
    parser.add_argument(
        "--attributes",
        nargs="+",
        metavar="COL=V1,V2",
        help="declare the groups by their attributes instead of --scheme, e.g. "
        "gender=male,female skin_tone=light,dark age=young,old, or a YAML/JSON file",
    )


def metric_options(args: argparse.Namespace) -> MetricOptions:
    """The `MetricOptions` of parsed arguments that `add_metric_options` defined."""
    from fairdf.metrics.options import MetricOptions

    return MetricOptions(
        scheme=chosen_scheme(args),
        by=tuple(args.by),
        reference_convention=args.reference_convention,
        threshold=args.threshold,
        bootstrap=args.bootstrap,
        ci=args.ci,
        cluster_by=args.cluster_by,
        seed=args.seed,
        video_column=args.video_column,
        video_aggregate=args.video_aggregate,
        reference_groups=tuple(reference_groups(args.reference_group).items()),
        held_out=tuple(getattr(args, "held_out", ())),
    )


def add_video_options(parser: argparse.ArgumentParser) -> None:
    """--video-column and --video-aggregate (also used by `fairdf test`)."""
    parser.add_argument(
        "--video-column",
        metavar="COL",
        help="also report per video, frames grouped by COL (default: 'video' when the "
        "table has it; 'none' = frame level only)",
    )
    parser.add_argument(
        "--video-aggregate",
        choices=("mean", "median", "max"),
        default="mean",
        help="a video's score from its frame scores (default mean)",
    )


def chosen_scheme(args: argparse.Namespace):
    """--attributes as a scheme object, else the --scheme name (or None: detect)."""
    from fairdf.errors import ConfigError

    if not args.attributes:
        return args.scheme
    if args.scheme:
        raise ConfigError("--scheme and --attributes: give only one")
    from fairdf.data.attributes import parse_attributes

    return parse_attributes(args.attributes)


def reference_groups(pairs: list[str]) -> dict[str, str]:
    """`VIEW=GROUP` strings -> {view: group}; a malformed pair is a one-line ConfigError."""
    from fairdf.errors import ConfigError

    chosen = {}
    for pair in pairs:
        view, sep, group = pair.partition("=")
        if not sep or not view.strip() or not group.strip():
            raise ConfigError(f"--reference-group '{pair}': expected VIEW=GROUP, e.g. race=white")
        chosen[view.strip()] = group.strip()
    return chosen
