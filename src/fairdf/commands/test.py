"""`fairdf test --checkpoint CKPT --manifest test.csv [--manifest ...] --out DIR`.

`--model M.onnx --output KIND` scores with any ONNX detector instead of a checkpoint
(`fairdf.commands.scorer_options`).
"""

from __future__ import annotations

import argparse

from fairdf.commands.argtypes import add_pixel_limit, bounded
from fairdf.commands.choices import SCHEMES
from fairdf.commands.listing import show_list
from fairdf.commands.metric_options import add_video_options
from fairdf.commands.scorer_options import add_scorer_options, check_scorer_options, onnx_scorer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_scorer_options(parser)
    parser.add_argument(
        "--manifest", action="append", required=True, help="test manifest CSV (repeatable)"
    )
    parser.add_argument("--out", required=True, help="output folder (must not exist)")
    parser.add_argument(
        "--scheme", choices=SCHEMES, help="group scheme of the manifests (default: detect per file)"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    parser.add_argument(
        "--batch-size", type=bounded("--batch-size"), default=64, help="images per forward pass"
    )
    parser.add_argument(
        "--workers",
        type=bounded("test --workers"),
        default=2,
        help="image-loading worker processes",
    )
    parser.add_argument(
        "--precision",
        choices=("fp32", "bf16"),
        default="fp32",
        help="inference precision (--checkpoint only)",
    )
    parser.add_argument("--skip-corrupt", action="store_true", help="skip unreadable images")
    add_pixel_limit(parser)
    parser.add_argument(
        "--perturb",
        action="append",
        default=[],
        metavar="KIND[:VALUE]",
        help="also score the images perturbed, e.g. jpeg:60, blur:5, noise:10, hue:20, "
        "saturation:1.5, brightness:0.7, contrast:1.3, rotate:15, scale:0.5; a kind alone "
        "takes its default strength; comma lists (jpeg,blur:7) and repeats are accepted",
    )
    add_video_options(parser)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from fairdf.data.perturbations import parse_perturbations
    from fairdf.data.pixels import set_max_image_pixels
    from fairdf.engine.testing import (
        method_lines,
        paper_table,
        read_test_manifests,
        robustness_tables,
        run_test,
        undefined_notes,
    )
    from fairdf.metrics.decisions import constant_decisions_warning
    from fairdf.paths import check_output_folder

    check_scorer_options(args)
    out = Path(args.out)
    perturbations = parse_perturbations(args.perturb)
    check_output_folder(out, "--out", must_not_exist=True)
    set_max_image_pixels(args.max_image_pixels)
    model, scheme, options = _load_scorer(args)  # shapes checked before any image is read
    manifests = read_test_manifests(args.manifest, scheme)
    results = run_test(
        model,
        manifests,
        out,
        batch_size=args.batch_size,
        workers=args.workers,
        skip_corrupt=args.skip_corrupt,
        perturbations=perturbations,
        video_column=args.video_column,
        video_aggregate=args.video_aggregate,
        **options,
    )
    print(
        "Test sets (AUC and intersectional fairness, %; F_FPR is a sum over groups; no "
        "intervals: fairdf metrics PRED.csv --bootstrap 1000 adds them)"
    )
    print(paper_table(results).to_string(na_rep="n/a"))
    for note in undefined_notes(results):
        print(note)
    for result in results:
        for line in method_lines(result):
            print(line)
    for result in results:
        if warning := constant_decisions_warning(result.metrics, result.name):
            print(warning, file=sys.stderr)
    for name, table in robustness_tables(results).items():
        print(f"\nRobustness of {name} (%; *_change = condition - clean)\n{table.to_string()}")
    for result in results:
        print(f"{result.name}: {result.predictions_path}, {result.metrics_path}")
    for result in results:
        if result.skipped:
            show_list(
                f"warning: {result.name}: {len(result.skipped)} unreadable image(s) skipped "
                "(--skip-corrupt; listed under skipped_images in metrics.json)",
                result.skipped,
            )
    return 0


def _warn_if_stale(checkpoint) -> None:
    """A `best/` of a run whose last save a kill interrupted may be an epoch old."""
    import sys

    from fairdf.engine.run_dir import CHECKPOINTS, unfinished_save

    if checkpoint.resolve().parent.name == CHECKPOINTS and checkpoint.resolve().name == "best":
        message = unfinished_save(checkpoint.resolve().parent.parent)
        if message:
            print(f"warning: {message}", file=sys.stderr)


def _load_scorer(args: argparse.Namespace):
    """(model, scheme, run_test options) of --checkpoint or --model."""
    import torch

    if args.model is not None:
        scorer = onnx_scorer(args)
        options = dict(image_size=scorer.input_size, device=torch.device("cpu"))
        return scorer, args.scheme, {**options, "model_provenance": scorer.provenance()}
    from fairdf.engine.checkpoint import load_checkpoint
    from fairdf.engine.distributed import resolve_device

    device = resolve_device(args.device)
    model, info = load_checkpoint(args.checkpoint, inference_only=True, map_location=device)
    _warn_if_stale(info.path)
    # a checkpoint trained on declared attributes reads its test manifests with them
    scheme = info.group_scheme if info.attributes is not None else args.scheme
    options = dict(image_size=info.detector.image_size, device=device, checkpoint=info)
    return model.to(device), scheme, {**options, "precision": args.precision}
