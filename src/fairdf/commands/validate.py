"""`fairdf validate MANIFEST... [--scheme S | --attributes COL=V1,V2 ...] [--check-images]`."""

from __future__ import annotations

import argparse
import sys

from fairdf.commands.argtypes import add_pixel_limit, bounded
from fairdf.commands.choices import SCHEMES
from fairdf.commands.metric_options import add_attributes_option, chosen_scheme


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifests", nargs="+", metavar="MANIFEST", help="CSV manifest(s)")
    parser.add_argument("--scheme", choices=SCHEMES, help="group scheme (default: detect)")
    add_attributes_option(parser)
    parser.add_argument(
        "--check-images", action="store_true", help="also decode every image, list corrupt ones"
    )
    add_pixel_limit(parser)
    parser.add_argument(
        "--n-methods",
        type=bounded("--n-methods"),
        default=5,
        help="number of manipulation methods (default 5)",
    )
    parser.add_argument(
        "--role",
        choices=("train", "real", "test"),
        help="train: fake rows need spe_label; real: only label-0 rows (default: train for "
        "faketrain/fakeval, real for realtrain/realval, test otherwise)",
    )


def run(args: argparse.Namespace) -> int:
    from fairdf.data.manifest import read_manifest
    from fairdf.data.pixels import set_max_image_pixels
    from fairdf.data.summary import group_label_counts, group_warnings, method_counts
    from fairdf.errors import ManifestError

    set_max_image_pixels(args.max_image_pixels)
    scheme = chosen_scheme(args)  # --scheme name, declared attributes, or None (detect)
    failed = 0
    for path in args.manifests:
        try:
            manifest = read_manifest(
                path,
                scheme,
                role=args.role,
                n_methods=args.n_methods,
                check_images=args.check_images,
            )
        except ManifestError as exc:
            failed += 1
            print(f"INVALID {path}: {len(exc.problems) or 1} problem(s)")
            for problem in exc.problems or [str(exc)]:
                print(f"  {problem}")
            continue
        print(f"OK {manifest.source} ({len(manifest)} images, scheme {manifest.scheme.name})")
        print(group_label_counts(manifest).to_string())
        methods = method_counts(manifest)
        if (manifest.frame["method"] > 0).any():
            print(methods.rename_axis("method").to_string())
        for warning in group_warnings(manifest):
            print(f"warning: {warning}", file=sys.stderr)
        print()
    if failed:
        print(
            f"fairdf validate: {failed} of {len(args.manifests)} manifest(s) invalid",
            file=sys.stderr,
        )
        return 2
    return 0
