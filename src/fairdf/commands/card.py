"""`fairdf card TEST_OUT --out MODEL_CARD.md`: a model card of a tested detector."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("test_out", metavar="TEST_OUT", help="a fairdf test --out folder")
    parser.add_argument(
        "--out", required=True, metavar="MODEL_CARD.md", help="the card to write (Markdown)"
    )
    parser.add_argument(
        "--name", help="the model's name in the card (default: from the checkpoint)"
    )


def run(args: argparse.Namespace) -> int:
    from fairdf.paths import check_output_file
    from fairdf.report.card import write_card

    check_output_file(args.out, "--out")
    write_card(args.test_out, args.out, args.name)
    print(f"wrote {args.out}")
    return 0
