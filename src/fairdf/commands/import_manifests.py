"""`fairdf import aiface CSV --out manifest.csv` / `fairdf import deepfakebench JSON --out DIR`."""

from __future__ import annotations

import argparse

FORMATS = {
    "aiface": (
        "AI-Face-FairnessBench CSV -> one manifest with its declared attributes",
        "AI-Face-FairnessBench CSV (e.g. test.csv)",
        "the manifest CSV to write; its attributes.yaml goes beside it",
    ),
    "deepfakebench": (
        "DeepfakeBench dataset JSON -> one manifest CSV per split",
        "DeepfakeBench JSON (e.g. Celeb-DF-v2.json)",
        "a new folder for one CSV per split (train.csv, test.csv, ...)",
    ),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    formats = parser.add_subparsers(dest="format", metavar="FORMAT")
    for name, (summary, source_help, out_help) in FORMATS.items():
        step = formats.add_parser(name, help=summary, description=summary)
        step.add_argument("source", help=source_help)
        step.add_argument("--out", required=True, help=out_help)
        if name == "aiface":
            step.add_argument(
                "--root",
                metavar="DIR",
                help="the folder the CSV's image paths are relative to (written absolute; "
                "default: paths kept, so relative to the manifest's folder)",
            )
            step.add_argument(
                "--codes",
                action="store_true",
                help="keep the numeric attribute codes (default: named, as the "
                "benchmark's README defines them)",
            )


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    import yaml

    from fairdf.errors import DataError
    from fairdf.io import atomic_path, write_text_atomic
    from fairdf.prepare.importers import read_aiface, read_deepfakebench

    if getattr(args, "format", None) is None:
        raise DataError(f"name a format: {', '.join(FORMATS)} (see fairdf import --help)")
    source, out = Path(args.source), Path(args.out)
    if not source.is_file():
        raise DataError(f"{source}: file not found; check the path")
    if out.exists() and (args.format == "deepfakebench" or out.is_dir()):
        raise DataError(f"--out {out} exists; choose another name or remove it")
    if args.format == "aiface":
        root = Path(args.root).expanduser().resolve() if args.root else None
        frame, scheme, unnamed = read_aiface(source, root=root, codes=not args.codes)
        attributes = out.with_name(f"{out.stem}.attributes.yaml")
        with atomic_path(out) as tmp:
            frame.to_csv(tmp, index=False)
        write_text_atomic(
            attributes, yaml.safe_dump({"attributes": scheme.to_dict()}, sort_keys=False)
        )
        print(f"wrote {out} ({len(frame)} images) and {attributes} ({scheme.name})")
        if unnamed:
            print(
                f"warning: codes the benchmark's README does not name, kept as written: "
                f"{', '.join(unnamed)}",
                file=sys.stderr,
            )
        return 0
    splits = read_deepfakebench(source)
    with atomic_path(out) as tmp:
        tmp.mkdir()
        for split, frame in splits.items():
            frame.to_csv(tmp / f"{split}.csv", index=False)
    for split, frame in splits.items():
        print(
            f"wrote {out / f'{split}.csv'}: {len(frame)} frames of {frame['video'].nunique()} videos"
        )
    return 0
