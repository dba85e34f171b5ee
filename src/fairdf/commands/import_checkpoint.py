"""`fairdf import-checkpoint SRC OUT --from SOURCE --detector NAME`: a released detector's
weights as a fairdf checkpoint folder (scored by test, predict and load_detector)."""

from __future__ import annotations

import argparse

from fairdf.commands.choices import PEER_DETECTORS, SCHEMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    detectors = "; ".join(f"{source}: {', '.join(n)}" for source, n in PEER_DETECTORS.items())
    parser.add_argument("source_file", metavar="SRC", help="the released weights (.pth, .pt)")
    parser.add_argument("out_dir", metavar="OUT", help="checkpoint folder to write")
    parser.add_argument(
        "--from",
        dest="origin",
        required=True,
        choices=tuple(PEER_DETECTORS),
        help="the code base it comes from",
    )
    parser.add_argument(
        "--detector", default=None, help=f"the source's detector name ({detectors})"
    )
    parser.add_argument(
        "--scheme",
        default=None,
        choices=SCHEMES,
        help="group scheme of the test data (default: ffpp for 8 groups, celebdf for 6)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fairdf.errors import ConfigError
    from fairdf.models.peer_import import import_peer_checkpoint

    out_dir = checkpoint_folder(Path(args.out_dir), args.overwrite)
    name = args.detector or ("pg_fdd" if args.origin == "official" else None)
    if name is None:
        raise ConfigError(f"--detector: name the {args.origin} detector (see --help)")
    result = import_peer_checkpoint(
        args.source_file, out_dir, args.origin, name, scheme=args.scheme
    )
    peer, config = result.peer, result.imported.config
    print(
        f"wrote {out_dir}: {peer.source} {peer.name} as fairdf method {config.method} "
        f"({len(result.imported.state)} tensors); input {peer.image_size} px, mean "
        f"{list(peer.mean)}, std {list(peer.std)}; p(fake) = {peer.fake}"
    )
    if result.imported.dropped:
        print(
            f"info: dropped {len(result.imported.dropped)} keys the source never uses at "
            f"inference: {', '.join(_prefixes(result.imported.dropped))}"
        )
    return 0


def checkpoint_folder(out_dir, overwrite: bool):
    """`out_dir` once it can be written: not a file, and replaced only with --overwrite."""
    from fairdf.errors import CheckpointError
    from fairdf.paths import check_output_folder

    check_output_folder(out_dir, "output folder")
    if out_dir.exists() and not overwrite:
        raise CheckpointError(
            f"{out_dir} exists; pass --overwrite to replace it or choose another folder"
        )
    return out_dir


def _prefixes(keys: list[str]) -> list[str]:
    """`a.b.*` for each module the dropped keys belong to (`a.b.0.weight` -> `a.b.*`)."""
    modules = set()
    for key in keys:
        parts = key.split(".")[:-1]
        while len(parts) > 1 and parts[-1].isdigit():
            parts.pop()
        modules.add(".".join(parts) + ".*")
    return sorted(modules)
