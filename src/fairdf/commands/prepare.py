"""`fairdf prepare sample|frames|faces|annotations|split|manifest`: from videos to manifests.

fairdf prepare sample RAW                      # a small FF++-style video set to try it on
fairdf prepare frames VIDEOS FRAMES            # FRAMES/<video>/<0000>.png, frames.csv
fairdf prepare faces FRAMES FACES              # aligned crops + sidecars, faces.csv
fairdf prepare annotations TABLE... --faces FACES/faces.csv --out annotations.csv
fairdf prepare split FACES/faces.csv split.csv --dataset ffpp --annotations annotations.csv
fairdf prepare manifest split.csv annotations.csv MANIFESTS
"""

from __future__ import annotations

import argparse
import sys

from fairdf.commands.argtypes import add_pixel_limit, bounded, positive_float
from fairdf.commands.choices import DATASET_ADAPTERS, FACE_DETECTORS
from fairdf.commands.listing import show_list
from fairdf.commands.prepare_layouts import layout_options, report_test_list
from fairdf.errors import FairdfError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    steps = parser.add_subparsers(dest="prepare_step", metavar="STEP")
    for name, (adder, help_text) in STEPS.items():
        step = steps.add_parser(name, help=help_text, description=help_text)
        adder(step)


def run(args: argparse.Namespace) -> int:
    step = getattr(args, "prepare_step", None)
    if step is None:
        raise FairdfError("name a step: " + ", ".join(STEPS) + " (see fairdf prepare --help)")
    _require_extras(step, args)
    _check_output(step, args.out)
    return RUNNERS[step](args)


def _check_output(step: str, out: str) -> None:
    """Refuse an output of the wrong kind, or in a missing or read-only folder, up front."""
    from fairdf.paths import check_output_file, check_output_folder

    if step in ("annotations", "split"):
        check_output_file(out, "output")
    else:
        check_output_folder(out, "output folder")


def _require_extras(step: str, args: argparse.Namespace) -> None:
    """Check the optional modules of this step before any work starts."""
    from fairdf.extras import require

    needs = {
        "sample": ("skimage", "cv2"),
        "frames": ("cv2",),
        "faces": ("dlib", "face_recognition_models", "cv2"),
    }
    if step == "split" and getattr(args, "identity", None) == "embed":
        needs["split"] = ("dlib", "face_recognition_models")
    if step in needs:
        require(f"fairdf prepare {step}", *needs[step])


def _workers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=bounded("prepare --workers"),
        default=1,
        help="worker processes (default 1)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="redo outputs that exist (default: keep them)"
    )


def _add_sample(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", help="new folder: OUT/videos (FF++ layout) and OUT/annotations.csv")
    parser.add_argument(
        "--identities",
        type=bounded("prepare sample --identities"),
        default=10,
        help="people, an even number (default 10)",
    )
    parser.add_argument(
        "--frames",
        type=bounded("prepare sample --frames"),
        default=8,
        help="frames per video (default 8)",
    )


def _run_sample(args: argparse.Namespace) -> int:
    from fairdf.io import atomic_path
    from fairdf.paths import check_output_folder
    from fairdf.prepare.sample import write_sample_dataset

    out = check_output_folder(args.out, "output folder", must_not_exist=True)
    with atomic_path(out) as tmp:
        sample = write_sample_dataset(tmp, identities=args.identities, n_frames=args.frames)
        count = len(sample.originals) + len(sample.fakes)
    print(
        f"wrote {count} videos ({len(sample.originals)} originals) to {out / 'videos'} "
        f"and their attributes to {out / 'annotations.csv'}"
    )
    return 0


def _add_frames(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("videos", help="a video file or a folder searched recursively")
    parser.add_argument("out", help="output folder: OUT/<video path without suffix>/<0000>.png")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--count",
        type=bounded("prepare frames --count"),
        default=32,
        help="evenly spaced frames (default 32)",
    )
    which.add_argument(
        "--every",
        type=bounded("prepare frames --every"),
        metavar="K",
        help="every K-th frame instead",
    )
    parser.add_argument("--format", choices=("png", "jpg"), default="png", help="image format")
    layout_options(parser)
    _workers(parser)


def _add_faces(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", help="an image or a folder (e.g. the output of prepare frames)")
    parser.add_argument("out", help="output folder for crops, sidecar CSVs and faces.csv")
    parser.add_argument("--detector", choices=FACE_DETECTORS, default="hog", help="dlib detector")
    parser.add_argument(
        "--size",
        type=bounded("prepare faces --size"),
        default=256,
        help="crop side in pixels (default 256)",
    )
    parser.add_argument(
        "--margin", type=positive_float, default=1.3, help="crop side / face-box side (default 1.3)"
    )
    parser.add_argument(
        "--upsample",
        type=bounded("--upsample"),
        help="detector upsampling (default 1 for hog, 0 for cnn)",
    )
    parser.add_argument(
        "--min-face",
        type=bounded("--min-face"),
        metavar="PX",
        help="the smallest face side to find, in pixels: detection then runs on the smallest "
        "copy of each frame that still finds it (faster on large frames; landmarks and crop "
        "on the full frame). Default: full resolution (faces from about 40 px with hog)",
    )
    add_pixel_limit(parser)
    parser.add_argument(
        "--video-of",
        choices=("auto", "image", "folder"),
        default="auto",
        help="what names an image's video: frames.csv of prepare frames (auto), the image "
        "itself, or its folder",
    )
    _workers(parser)


def _add_annotations(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tables", nargs="+", metavar="TABLE", help="attribute table(s), CSV")
    parser.add_argument("--faces", required=True, help="faces.csv written by prepare faces")
    parser.add_argument("--out", required=True, help="annotations.csv to write")
    parser.add_argument(
        "--key",
        choices=("path", "video"),
        help="match rows by image path or by video (default: the table's column)",
    )
    parser.add_argument(
        "--undefined",
        choices=("keep", "drop"),
        default="drop",
        help="rows whose gender or race is 0 (undefined): drop (default) or keep them "
        "marked in an 'undefined' column",
    )


def _add_split(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("faces", help="faces.csv written by prepare faces")
    parser.add_argument("out", help="split.csv to write")
    parser.add_argument(
        "--dataset", required=True, choices=DATASET_ADAPTERS, help="file naming adapter"
    )
    parser.add_argument(
        "--identity",
        choices=("naming", "embed"),
        default="naming",
        help="naming: identities from file names; embed: also join videos whose dlib "
        "face embeddings are closer than --threshold",
    )
    parser.add_argument("--threshold", type=float, default=0.6, help="embedding distance (0.6)")
    parser.add_argument("--videos", help="dataset root with metadata.json files (dfdc)")
    parser.add_argument("--annotations", help="annotations.csv, to stratify by group")
    parser.add_argument(
        "--ratios",
        type=float,
        nargs=3,
        default=(0.6, 0.2, 0.2),
        metavar=("TRAIN", "VAL", "TEST"),
        help="target shares of images (default 0.6 0.2 0.2; 0 0 1: everything to test)",
    )
    parser.add_argument(
        "--test-list",
        metavar="FILE",
        help="official test set: 'label path' lines (Celeb-DF's List_of_testing_videos.txt) "
        "or a metadata.json (DFDC's test set); the listed videos go to test, the others to "
        "train/val by TRAIN:VAL",
    )
    parser.add_argument(
        "--shared",
        choices=("drop", "test"),
        default="drop",
        help="with --test-list: unlisted videos that share an identity with a listed one are "
        "dropped (default; the test set stays as published) or moved to test",
    )
    parser.add_argument(
        "--seed", type=bounded("--seed"), default=0, help="seed for ties (default 0)"
    )


def _add_manifest(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("split", help="split.csv written by prepare split")
    parser.add_argument("annotations", help="annotations.csv written by prepare annotations")
    parser.add_argument("out", help="folder for the five manifests and methods.json")
    parser.add_argument(
        "--methods",
        nargs="+",
        metavar="NAME",
        help="method names in spe_label order (default: sorted names)",
    )


def _run_frames(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fairdf.prepare.frames import FrameSampling, prepare_frames
    from fairdf.prepare.layouts import LayoutChoice

    sampling = FrameSampling(count=args.count, every=args.every, image_format=args.format)
    choice = LayoutChoice(args.layout, args.compression, tuple(args.methods))
    summary = prepare_frames(
        Path(args.videos), Path(args.out), sampling, args.workers, args.overwrite, choice
    )
    compression = f", compression {summary.compression}" if summary.compression else ""
    print(f"layout {summary.layout}{compression}")
    if summary.unmatched:
        print(
            f"warning: {len(summary.unmatched)} file(s) under {args.videos} not taken "
            f"(outside the layout or left out by an option); listed in {summary.unmatched_list}",
            file=sys.stderr,
        )
    print(
        f"{summary.frames} frames from {summary.videos - len(summary.unreadable)} of "
        f"{summary.videos} videos ({summary.kept} kept from an earlier run) -> {summary.index}"
    )
    if summary.unreadable:
        show_list(
            f"warning: {len(summary.unreadable)} unreadable video(s), skipped",
            [f"{video}: {reason}" for video, reason in summary.unreadable],
        )
    return 0


def _run_faces(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fairdf.data.pixels import set_max_image_pixels
    from fairdf.prepare.crops import prepare_faces
    from fairdf.prepare.faces import CropOptions

    set_max_image_pixels(args.max_image_pixels)
    options = CropOptions(args.detector, args.size, args.margin, args.upsample, args.min_face)
    summary = prepare_faces(
        Path(args.images), Path(args.out), options, args.workers, args.video_of, args.overwrite
    )
    print(
        f"{summary.crops} face crops from {summary.images} images "
        f"({summary.reused} kept from an earlier run) -> {summary.index}"
    )
    if summary.skipped:
        no_face = sum(reason == "no face found" for _, reason in summary.skipped)
        show_list(
            f"warning: {len(summary.skipped)} image(s) without a crop ({no_face} without a "
            f"face, {len(summary.skipped) - no_face} unreadable; all in skipped.csv)",
            [f"{image}: {reason}" for image, reason in summary.skipped],
        )
    return 0


def _run_annotations(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fairdf.prepare.annotations import import_annotations

    summary = import_annotations(
        [Path(t) for t in args.tables],
        Path(args.faces),
        Path(args.out),
        key=args.key,
        undefined=args.undefined,
    )
    action = "dropped" if args.undefined == "drop" else "kept (see column 'undefined')"
    print(
        f"{summary.rows} annotation rows; {summary.undefined} with undefined gender or race "
        f"({summary.conflicting} marking several races) {action}"
    )
    print(
        f"{summary.annotated} of {summary.crops} crops annotated -> {summary.path}"
        + (
            f"; {summary.ambiguous} crops matched rows that disagree (first kept)"
            if summary.ambiguous
            else ""
        )
    )
    if summary.unmatched_rows:
        show_list(
            f"warning: {len(summary.unmatched_rows)} annotation row(s) match no crop",
            summary.unmatched_rows,
        )
    return 0


def _run_split(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fairdf.prepare.split import split_dataset

    summary = split_dataset(
        Path(args.faces),
        Path(args.out),
        args.dataset,
        videos_root=Path(args.videos) if args.videos else None,
        identity=args.identity,
        annotations=Path(args.annotations) if args.annotations else None,
        ratios=args.ratios,
        seed=args.seed,
        threshold=args.threshold,
        test_list=Path(args.test_list) if args.test_list else None,
        shared=args.shared,
    )
    if summary.test_list is not None:
        report_test_list(summary.test_list)
    frame = summary.frame
    target = " / ".join(f"{r:.2f}" for r in summary.ratios)
    print(
        f"{len(frame)} crops, {frame['component'].nunique()} identity components -> "
        f"{summary.path}\nshare of images per split (target {target}):"
    )
    print(summary.table.to_string())
    return 0


def _run_manifest(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fairdf.prepare.manifests import build_manifests

    summary = build_manifests(
        Path(args.split), Path(args.annotations), Path(args.out), args.methods
    )
    print(f"scheme {summary.scheme.name} ({summary.scheme.n_groups} groups) -> {summary.folder}")
    for name, count in summary.counts.items():
        print(f"  {name}.csv: {count} images")
        if count == 0:
            print(f"warning: {name}.csv is empty", file=sys.stderr)
    mapping = ", ".join(f"{name}={number}" for name, number in summary.methods.items())
    print(f"spe_label: {mapping} (methods.json)")
    if summary.unannotated:
        show_list(
            f"warning: {len(summary.unannotated)} crop(s) have no attributes, left out",
            summary.unannotated,
        )
    return 0


STEPS = {
    "sample": (_add_sample, "write a small FF++-style video set made from one photo, to try it on"),
    "frames": (_add_frames, "sample frames from videos (OpenCV)"),
    "faces": (_add_faces, "detect, align and crop the largest face per image (dlib)"),
    "annotations": (_add_annotations, "match demographic attribute tables to the crops"),
    "split": (_add_split, "identity-disjoint train/val/test split, stratified by group"),
    "manifest": (_add_manifest, "write faketrain/realtrain/fakeval/realval/test.csv"),
}
RUNNERS = {
    "sample": _run_sample,
    "frames": _run_frames,
    "faces": _run_faces,
    "annotations": _run_annotations,
    "split": _run_split,
    "manifest": _run_manifest,
}
