"""`fairdf synth OUT [--n 1000] [--size 64] [--seed 0] [--held-out 5] [--overwrite]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from fairdf.commands.argtypes import bounded


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT", help="output folder (new or empty)")
    parser.add_argument(
        "--n", type=bounded("synth --n"), default=1000, help="number of images (default 1000)"
    )
    parser.add_argument(
        "--size", type=bounded("synth --size"), default=64, help="image side in pixels (default 64)"
    )
    parser.add_argument("--seed", type=bounded("--seed"), default=0, help="random seed (default 0)")
    parser.add_argument(
        "--held-out",
        type=bounded("synth --held-out"),
        nargs="*",
        default=[5],
        metavar="METHOD",
        help="methods (1..5) that appear only in test.csv (default 5; none: --held-out)",
    )
    parser.add_argument(
        "--frames-per-identity",
        type=bounded("synth --frames-per-identity"),
        default=5,
        help="real images per identity (default 5)",
    )
    parser.add_argument(
        "--fake-ratio", type=float, default=0.5, help="share of fake images (default 0.5)"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace OUT if it holds an earlier synthetic dataset",
    )


def run(args: argparse.Namespace) -> int:
    from fairdf.data.synth import format_summary, make_synthetic_dataset
    from fairdf.paths import check_output_folder

    check_output_folder(args.out, "OUT")
    dataset = make_synthetic_dataset(
        args.out,
        overwrite=args.overwrite,
        n_images=args.n,
        size=args.size,
        seed=args.seed,
        held_out_methods=tuple(args.held_out),
        frames_per_identity=args.frames_per_identity,
        fake_ratio=args.fake_ratio,
    )
    print(format_summary(dataset))
    return 0
