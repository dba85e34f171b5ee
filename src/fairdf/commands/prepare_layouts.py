"""`fairdf prepare`: the options and reports of dataset layouts and official test lists."""

from __future__ import annotations

import argparse
import sys

from fairdf.commands.choices import COMPRESSIONS, LAYOUTS
from fairdf.commands.listing import show_list


def layout_options(parser: argparse.ArgumentParser) -> None:
    """--layout, --compression and --methods of `prepare frames`."""
    parser.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="auto",
        help="the dataset's folder layout as downloaded (default auto: the one layout that "
        "fits; any: every video file)",
    )
    parser.add_argument(
        "--compression",
        choices=COMPRESSIONS,
        help="FF++/DFD: take only this compression's videos (needed when several are there)",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        metavar="NAME",
        default=(),
        help="take only these manipulation methods' fakes (the real videos are always taken)",
    )


def report_test_list(outcome) -> None:
    """What `prepare split --test-list` did: listed, shared-identity and missing videos."""
    print(
        f"test list {outcome.path}: {outcome.listed} listed, {outcome.tested} video(s) with "
        f"crops -> test"
    )
    if outcome.shared:
        action = "dropped" if outcome.policy == "drop" else "moved to test"
        show_list(
            f"note: {len(outcome.shared)} other video(s) share an identity with a listed test "
            f"video, {action}",
            outcome.shared,
        )
    if outcome.unlisted_dropped:
        print(
            f"note: {outcome.unlisted_dropped} unlisted video(s) left out (--ratios gives "
            f"train and val 0)",
            file=sys.stderr,
        )
    if outcome.missing:
        show_list(f"warning: {len(outcome.missing)} listed video(s) have no crops", outcome.missing)
