"""`fairdf import-reference`: convert a reference-code checkpoint into a fairdf checkpoint."""

from __future__ import annotations

import argparse

from fairdf.commands.argtypes import bounded
from fairdf.commands.choices import SCHEMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reference", help="state dict saved by the reference implementation (.pth)")
    parser.add_argument(
        "out_dir", help="checkpoint folder to write (model.safetensors + checkpoint.json)"
    )
    parser.add_argument(
        "--n-groups",
        type=bounded("import-reference --n-groups"),
        default=None,
        help="demographic groups (default: from the file)",
    )
    parser.add_argument(
        "--n-methods",
        type=bounded("--n-methods"),
        default=None,
        help="forgery methods (default: from the file)",
    )
    parser.add_argument(
        "--scheme",
        default=None,
        choices=SCHEMES,
        help="group scheme (default: ffpp for 8 groups, celebdf for 6)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace OUT_DIR if it exists")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fairdf.commands.import_checkpoint import checkpoint_folder
    from fairdf.models.reference_import import import_reference

    out_dir = checkpoint_folder(Path(args.out_dir), args.overwrite)
    imported = import_reference(
        args.reference,
        out_dir,
        n_groups=args.n_groups,
        n_methods=args.n_methods,
        scheme=args.scheme,
    )
    config = imported.config
    print(
        f"wrote {out_dir}: {len(imported.state)} tensors, encoder {config.encoder}, "
        f"{config.n_groups} groups, {config.n_methods} methods"
    )
    if imported.dropped:
        print(
            f"dropped {len(imported.dropped)} unused reference keys (encoder_*.last_linear.*, block_fused.*)"
        )
    return 0
