"""`fairdf predict PATH... --checkpoint CKPT [--out preds.csv|preds.json]`.

Scores images, folders (searched recursively) and videos. Faces are found and aligned as
in `fairdf prepare faces`, at the checkpoint's image size; `--no-align` takes the inputs
as ready face crops. Without `--out` a table is printed. `--model M.onnx --output KIND`
scores with any ONNX detector instead (`fairdf.commands.scorer_options`).
"""

from __future__ import annotations

import argparse

from fairdf.commands.argtypes import add_pixel_limit, bounded, positive_float
from fairdf.commands.choices import AGGREGATES, FACE_DETECTORS
from fairdf.commands.listing import show_list
from fairdf.commands.scorer_options import add_scorer_options, check_scorer_options, onnx_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image, video or folder")
    add_scorer_options(parser)
    parser.add_argument("--out", help="write the scores to a .csv or .json file (atomically)")
    parser.add_argument(
        "--frames",
        type=bounded("predict --frames"),
        default=32,
        help="evenly spaced frames per video (default 32)",
    )
    parser.add_argument(
        "--aggregate",
        choices=AGGREGATES,
        default="mean",
        help="video score from frame scores (default mean)",
    )
    parser.add_argument(
        "--no-align",
        dest="align",
        action="store_false",
        help="inputs are ready face crops: skip face detection and alignment",
    )
    parser.add_argument(
        "--detector", choices=FACE_DETECTORS, default="hog", help="dlib face detector"
    )
    parser.add_argument(
        "--upsample",
        type=bounded("--upsample"),
        help="detector upsampling (default 1 for hog, 0 for cnn)",
    )
    parser.add_argument(
        "--margin", type=positive_float, default=1.3, help="crop side / face-box side (default 1.3)"
    )
    parser.add_argument(
        "--batch-size",
        type=bounded("--batch-size"),
        default=32,
        help="faces per batch (default 32)",
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    add_pixel_limit(parser)


def run(args: argparse.Namespace) -> int:
    from fairdf.data.pixels import set_max_image_pixels
    from fairdf.errors import DataError
    from fairdf.inference.results import (
        check_aggregate,
        check_output_path,
        format_table,
        write_report,
    )
    from fairdf.paths import check_output_file

    check_scorer_options(args)
    if args.out is not None:
        check_output_path(args.out)
        check_output_file(args.out, "--out")
    set_max_image_pixels(args.max_image_pixels)
    check_aggregate(args.aggregate)
    _require_extras(args)
    detector = _load_detector(args)
    report = detector.predict_paths(
        args.paths, frames=args.frames, aggregate=args.aggregate, align=args.align
    )
    no_face = [
        f"{s.source} (frame {s.frame})" if s.frame is not None else s.source for s in report.no_face
    ]
    unreadable = [
        s.reason if s.source in s.reason else f"{s.source}: {s.reason}" for s in report.unreadable
    ]
    if not report.items:
        first = (unreadable or no_face or ["no image or video files found"])[0]
        raise DataError(
            f"nothing could be scored: {len(no_face)} input(s) without a face, "
            f"{len(unreadable)} unreadable (first: {first}); check the paths"
            + (", or pass --no-align for ready face crops" if args.align else "")
        )
    if args.out is not None:
        path = write_report(report, args.out)
        print(f"{report.summary()} -> {path}")
    else:
        print(format_table(report))
        print(report.summary())
    if no_face:
        show_list("no face found", no_face)
    if unreadable:
        show_list("unreadable", unreadable)
    return 0


def _load_detector(args: argparse.Namespace):
    """The Detector of --checkpoint or --model (an ONNX model's shapes are checked here)."""
    settings = dict(
        face_detector=args.detector,
        upsample=args.upsample,
        margin=args.margin,
        batch_size=args.batch_size,
    )
    if args.model is not None:
        from fairdf.inference.onnx_scorer import load_onnx_detector

        return load_onnx_detector(args.model, onnx_options(args), **settings)
    from fairdf.inference.detector import load_detector

    return load_detector(args.checkpoint, args.device, **settings)


def _require_extras(args: argparse.Namespace) -> None:
    """Check the optional modules this call needs before the model is loaded."""
    from pathlib import Path

    from fairdf.extras import require
    from fairdf.prepare.files import VIDEO_SUFFIXES

    if args.model is not None:
        require("scoring an ONNX model (--model)", "onnxruntime")
    if args.align:
        purpose = "fairdf predict with face alignment (--no-align skips it)"
        require(purpose, "dlib", "face_recognition_models", "cv2")
    videos = [p for p in args.paths if Path(p).suffix.lower() in VIDEO_SUFFIXES]
    if videos:
        require(f"fairdf predict on videos ({videos[0]})", "cv2")
