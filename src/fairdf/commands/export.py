"""`fairdf export CKPT OUT [--format onnx|torchscript]`: the scoring branches only.

The exported model is checked against PyTorch on random inputs; it is written only when
the largest absolute difference is at most `--tolerance` (1e-4).
"""

from __future__ import annotations

import argparse

from fairdf.commands.choices import EXPORT_FORMATS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "checkpoint", metavar="CKPT", help="checkpoint folder (e.g. RUN/checkpoints/best)"
    )
    parser.add_argument("out", metavar="OUT", help="file to write (e.g. detector.onnx, .pt)")
    parser.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        help="file format (default: from OUT's suffix, .onnx or .pt)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=1e-4,
        help="largest allowed absolute difference from PyTorch (default 1e-4)",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fairdf.extras import require

    suffix_onnx = args.format is None and Path(args.out).suffix.lower() == ".onnx"
    if suffix_onnx or (args.format or "").lower() == "onnx":
        require("fairdf export to ONNX", "onnx", "onnxruntime")
    from fairdf.inference.export import export_checkpoint
    from fairdf.paths import check_output_file

    check_output_file(args.out, "OUT")
    result = export_checkpoint(args.checkpoint, args.out, args.format, tolerance=args.tolerance)
    size_mb = result.path.stat().st_size / 2**20
    batches = ", ".join(str(b) for b in result.check_batches)
    print(
        f"wrote {result.path} ({result.format}, {size_mb:.1f} MiB); max abs diff vs PyTorch "
        f"on random inputs (batch {batches}): {result.max_abs_diff:.2e} "
        f"(tolerance {args.tolerance:g})"
    )
    return 0
