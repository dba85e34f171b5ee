"""`fairdf import aiface CSV --out manifest.csv` / `fairdf import deepfakebench JSON --out DIR`."""

from __future__ import annotations

import argparse

FORMATS = ("aiface", "deepfakebench")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("format", choices=FORMATS, help="the benchmark whose file this is")
    parser.add_argument("source", help="AI-Face-FairnessBench CSV or DeepfakeBench JSON")
    parser.add_argument(
        "--out",
        required=True,
        help="aiface: the manifest CSV (its attributes.yaml goes beside it); "
        "deepfakebench: a folder for one CSV per split",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import yaml

    from fairdf.errors import DataError
    from fairdf.io import atomic_path, write_text_atomic
    from fairdf.prepare.importers import read_aiface, read_deepfakebench

    source, out = Path(args.source), Path(args.out)
    if not source.is_file():
        raise DataError(f"{source}: file not found; check the path")
    if out.exists() and (args.format == "deepfakebench" or out.is_dir()):
        raise DataError(f"--out {out} exists; choose another name or remove it")
    if args.format == "aiface":
        frame, scheme = read_aiface(source)
        attributes = out.with_name(f"{out.stem}.attributes.yaml")
        with atomic_path(out) as tmp:
            frame.to_csv(tmp, index=False)
        write_text_atomic(
            attributes, yaml.safe_dump({"attributes": scheme.to_dict()}, sort_keys=False)
        )
        print(f"wrote {out} ({len(frame)} images) and {attributes} ({scheme.name})")
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
