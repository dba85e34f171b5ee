"""`fairdf test --checkpoint CKPT --manifest test.csv [--manifest ...] --out DIR`."""

from __future__ import annotations

import argparse

from fairdf.commands.metric_options import add_video_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--checkpoint", required=True, help="checkpoint folder (e.g. RUN/checkpoints/best)"
    )
    parser.add_argument(
        "--manifest", action="append", required=True, help="test manifest CSV (repeatable)"
    )
    parser.add_argument("--out", required=True, help="output folder (must not exist)")
    parser.add_argument("--scheme", help="group scheme of the manifests (default: detect per file)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    parser.add_argument("--skip-corrupt", action="store_true", help="skip unreadable images")
    parser.add_argument(
        "--perturb",
        action="append",
        default=[],
        metavar="KIND:VALUE",
        help="also score the images perturbed, e.g. jpeg:60, blur:5, noise:10, hue:20, "
        "saturation:1.5, brightness:0.7, contrast:1.3, rotate:15, scale:0.5 (repeatable)",
    )
    add_video_options(parser)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fairdf.data.perturbations import parse_perturbations
    from fairdf.engine.checkpoint import load_checkpoint
    from fairdf.engine.distributed import resolve_device
    from fairdf.engine.testing import (
        paper_table,
        read_test_manifests,
        robustness_tables,
        run_test,
    )
    from fairdf.errors import DataError

    perturbations = parse_perturbations(args.perturb)
    out = Path(args.out)
    if out.exists():
        raise DataError(f"output folder {out} exists; choose another --out or remove it")
    device = resolve_device(args.device)
    model, info = load_checkpoint(args.checkpoint, inference_only=True, map_location=device)
    # a checkpoint trained on declared attributes reads its test manifests with them
    scheme = info.group_scheme if info.attributes is not None else args.scheme
    manifests = read_test_manifests(args.manifest, scheme)
    model.to(device)
    results = run_test(
        model,
        manifests,
        out,
        image_size=info.detector.image_size,
        device=device,
        batch_size=args.batch_size,
        workers=args.workers,
        precision=args.precision,
        skip_corrupt=args.skip_corrupt,
        perturbations=perturbations,
        video_column=args.video_column,
        video_aggregate=args.video_aggregate,
    )
    print(paper_table(results).to_string())
    for name, table in robustness_tables(results).items():
        print(f"\nRobustness of {name} (%; *_change = condition - clean)\n{table.to_string()}")
    for result in results:
        print(f"{result.name}: {result.predictions_path}, {result.metrics_path}")
    return 0
