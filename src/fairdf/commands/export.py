"""`fairdf export CKPT OUT [--format onnx|torchscript] [--quantize int8 --calibration MANIFEST]`.

Only the scoring branches are exported. The exported model is checked against PyTorch on
random inputs; it is written only when the largest absolute difference is at most
`--tolerance` (1e-4). With `--quantize int8` the ONNX model is quantized with calibration
images from the manifests and written only when its AUC on held-out images of those
manifests is at most `--max-auc-drop` (0.005) below the float model's
(`fairdf.inference.quantize`).
"""

from __future__ import annotations

import argparse

from fairdf.commands.argtypes import bounded
from fairdf.commands.choices import EXPORT_FORMATS, QUANTIZE_TYPES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "checkpoint", metavar="CKPT", help="checkpoint folder (e.g. RUN/checkpoints/best)"
    )
    parser.add_argument("out", metavar="OUT", help="file to write (e.g. detector.onnx, .pt)")
    parser.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        help="file format (default: from OUT's suffix, .onnx or .pt); hf: a folder in the "
        "Hugging Face layout (weights, config.json, the model card with --card)",
    )
    parser.add_argument(
        "--card",
        metavar="TEST_OUT",
        help="with --format hf: write the model card of this fairdf test folder as README.md",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=1e-4,
        help="largest allowed absolute difference from PyTorch (default 1e-4)",
    )
    parser.add_argument(
        "--quantize",
        choices=QUANTIZE_TYPES,
        help="quantize the ONNX model's convolutions to int8 (ONNX Runtime static "
        "quantization; needs --calibration)",
    )
    parser.add_argument(
        "--calibration",
        action="append",
        metavar="MANIFEST",
        help="manifest of representative images (e.g. the validation split) for --quantize; "
        "repeat for several (e.g. realval.csv and fakeval.csv)",
    )
    parser.add_argument(
        "--calibration-images",
        type=bounded("export --calibration-images"),
        default=200,
        metavar="N",
        help="calibrate on a fixed subset of at most N (and at most half) of the manifests' "
        "images; the others (up to 1000) check the int8 model's AUC (default 200)",
    )
    parser.add_argument(
        "--max-auc-drop",
        type=float,
        default=0.005,
        metavar="DROP",
        help="refuse the int8 model if its AUC on the check images is more than this "
        "below the float model's (default 0.005)",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fairdf.errors import ConfigError
    from fairdf.extras import require

    if args.format == "hf":
        return _run_hf(args)
    if args.card:
        raise ConfigError("--card is used only with --format hf")
    if args.quantize is None and args.calibration:
        raise ConfigError("--calibration is used only with --quantize int8")
    if args.quantize is not None:
        if (args.format or "onnx").lower() != "onnx":
            raise ConfigError(
                f"--quantize {args.quantize} writes ONNX only, not --format {args.format}"
            )
        if not args.calibration:
            raise ConfigError(
                f"--quantize {args.quantize} needs calibration images: pass --calibration "
                "MANIFEST (e.g. the validation split)"
            )
    suffix_onnx = args.format is None and Path(args.out).suffix.lower() == ".onnx"
    if args.quantize or suffix_onnx or (args.format or "").lower() == "onnx":
        require("fairdf export to ONNX", "onnx", "onnxruntime")
    from fairdf.paths import check_output_file

    check_output_file(args.out, "OUT")
    if args.quantize is not None:
        return _run_quantized(args)
    from fairdf.inference.export import export_checkpoint

    result = export_checkpoint(args.checkpoint, args.out, args.format, tolerance=args.tolerance)
    size_mb = result.path.stat().st_size / 2**20
    print(
        f"wrote {result.path} ({result.format}, {size_mb:.1f} MiB); "
        + _float_check(result, args.tolerance)
    )
    return 0


def _run_hf(args: argparse.Namespace) -> int:
    from fairdf.errors import ConfigError
    from fairdf.inference.hf_export import export_hf
    from fairdf.paths import check_output_folder

    if args.quantize:
        raise ConfigError("--quantize writes ONNX only, not --format hf")
    check_output_folder(args.out, "OUT", must_not_exist=True)
    out = export_hf(args.checkpoint, args.out, args.card)
    extra = " and README.md (model card)" if args.card else ""
    print(f"wrote {out}: model.safetensors, checkpoint.json, config.json{extra}")
    return 0


def _float_check(result, tolerance: float) -> str:
    batches = ", ".join(str(b) for b in result.check_batches)
    return (
        f"max abs diff vs PyTorch on random inputs (batch {batches}): "
        f"{result.max_abs_diff:.2e} (tolerance {tolerance:g})"
    )


def _run_quantized(args: argparse.Namespace) -> int:
    from fairdf.inference.quantize import export_quantized

    result = export_quantized(
        args.checkpoint,
        args.out,
        args.calibration,
        format=args.format,
        calibration_images=args.calibration_images,
        max_auc_drop=args.max_auc_drop,
        tolerance=args.tolerance,
    )
    check = result.check
    size_mb = result.path.stat().st_size / 2**20
    print(
        f"wrote {result.path} (onnx int8, {size_mb:.1f} MiB); float model: "
        + _float_check(result.float_export, args.tolerance)
    )
    where = (
        f"{check.images} images held out from the {result.calibration_images} calibration images"
        if check.held_out
        else f"the {check.images} calibration images (none left to hold out)"
    )
    if check.auc_change is None:
        auc = "AUC not measured (the images are all of one class)"
    else:
        auc = (
            f"AUC {check.auc_float:.4f} float, {check.auc_int8:.4f} int8, change "
            f"{check.auc_change:+.4f} (allowed drop {check.max_auc_drop:g})"
        )
    print(f"int8 check on {where}: {auc}; largest |p_fake difference| {check.max_abs_dp:.4f}")
    return 0
