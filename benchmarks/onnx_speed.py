"""Scoring speed per image: ONNX Runtime (fp32 and int8) and TorchScript against PyTorch eager.

For each encoder at its image size, a randomly initialised detector is saved as a
checkpoint and exported as `fairdf export` does (ONNX, int8 ONNX and TorchScript,
inference branches only). Each (backend, batch) is then timed in its own fresh process,
so that its peak RSS is its own: the ONNX Runtime processes do not import torch at all.
Ratios are against PyTorch eager measured in the same run, on the same images and thread
count. One thread by default: on a shared machine, OpenMP threads that wait for a busy
core make multi-threaded PyTorch timings swing by 100x; pass --threads for more. Both
wall time and the process's CPU time are reported: on a busy machine the wall time also
counts the waits for a core, the CPU time does not.

`--demo DIR` (a `fairdf demo` output folder) adds its trained checkpoint
(DIR/run/checkpoints/best) to the timed models and prints the AUC of PyTorch fp32, ONNX
fp32 and ONNX int8 on its test split (DIR/data/test.csv). The int8 models are calibrated
as `fairdf export --quantize int8 --calibration` does, on the demo's validation manifests
(DIR/data/realval.csv and fakeval.csv) when --demo is given and on random images
otherwise; the random-weight models are timed only (their accuracy check is not applied).

    python benchmarks/onnx_speed.py                          # tiny@64 and xception@256
    python benchmarks/onnx_speed.py --models tiny:64 --batches 1 16 --threads 2
    python benchmarks/onnx_speed.py --models xception:256 --demo /tmp/demo
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from memory import peak_rss_mib

BACKENDS = ("pytorch", "torchscript", "onnxruntime", "onnxruntime-int8")
REPEATS = {"tiny": 30, "tiny32": 30, "demo": 30, "xception": 4}  # timed runs, after a warm-up
RANDOM_CALIBRATION_IMAGES = 32  # random images calibrate the random-weight models


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models",
        nargs="+",
        default=["tiny:64", "xception:256"],
        metavar="ENCODER:SIZE",
        help="encoders and their image sizes (default tiny:64 xception:256)",
    )
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16])
    parser.add_argument(
        "--threads", type=int, default=1, help="CPU threads for every backend (default 1)"
    )
    parser.add_argument("--repeats", type=int, help="timed runs (default: 30 tiny, 4 others)")
    parser.add_argument(
        "--demo",
        type=Path,
        metavar="DIR",
        help="a `fairdf demo` output folder: time its checkpoint too, and print the AUC of "
        "fp32 and int8 scoring on its test split",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: one measurement
    return parser.parse_args(argv)


def make_images(batch: int, size: int):
    """The same uniform [-1, 1] images in every process (numpy, so no torch is needed)."""
    import numpy as np

    rng = np.random.default_rng(batch * 1000 + size)
    return rng.uniform(-1, 1, size=(batch, 3, size, size)).astype(np.float32)


def load_runner(backend: str, files: dict, threads: int):
    """A function images (numpy) -> p_fake (numpy) for one backend."""
    if backend.startswith("onnxruntime"):
        session = onnx_session(files["int8" if backend.endswith("int8") else "onnx"], threads)
        return lambda images: session.run(["p_fake"], {"images": images})[0]
    import warnings

    import torch

    torch.set_num_threads(threads)
    if backend == "torchscript":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            model = torch.jit.load(files["torchscript"]).eval()
    else:
        from fairdf.engine.checkpoint import load_checkpoint

        model = load_checkpoint(files["checkpoint"], inference_only=True)[0].eval()

    def run(images):
        with torch.inference_mode():
            return model(torch.from_numpy(images))[1].numpy()

    return run


def onnx_session(path: str, threads: int):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def measure(job: dict) -> dict:
    """Child process: time one backend at one batch size; report ms/image and peak RSS."""
    images = make_images(job["batch"], job["size"])
    run = load_runner(job["backend"], job["files"], job["threads"])
    scores = run(images)  # warm-up
    times, cpu_times = [], []
    for _ in range(job["repeats"]):
        start, cpu_start = time.perf_counter(), time.process_time()
        run(images)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    return {
        "ms_per_image": 1000 * statistics.median(times) / job["batch"],
        "cpu_ms_per_image": 1000 * statistics.median(cpu_times) / job["batch"],
        "peak_rss_mib": peak_rss_mib(),
        "scores": [float(s) for s in scores],
    }


def random_calibration(folder: Path, size: int) -> list[Path]:
    """A manifest of random RGB images, half labelled fake, for the random-weight models."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(size)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    rows = ["img_path,label"]
    for index in range(RANDOM_CALIBRATION_IMAGES):
        pixels = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / "images" / f"{index}.png")
        rows.append(f"images/{index}.png,{index % 2}")
    manifest = folder / "random.csv"
    manifest.write_text("\n".join(rows) + "\n")
    return [manifest]


def demo_paths(demo: Path) -> dict:
    """The checkpoint, test split and validation manifests of a `fairdf demo` folder."""
    paths = {
        "checkpoint": demo / "run" / "checkpoints" / "best",
        "test": demo / "data" / "test.csv",
        "calibration": [demo / "data" / "realval.csv", demo / "data" / "fakeval.csv"],
    }
    missing = [
        p for p in (paths["checkpoint"], paths["test"], *paths["calibration"]) if not p.exists()
    ]
    if missing:
        sys.exit(f"--demo {demo}: not a fairdf demo output folder ({missing[0]} is missing)")
    return paths


def export_files(checkpoint: Path, stem: Path, calibration: list[Path], trained: bool) -> dict:
    """Export a checkpoint as ONNX, int8 ONNX and TorchScript; return the paths."""
    from fairdf.inference.export import export_checkpoint
    from fairdf.inference.quantize import MAX_AUC_DROP, export_quantized

    files = {"checkpoint": str(checkpoint)}
    for format, suffix in (("onnx", ".onnx"), ("torchscript", ".pt")):
        result = export_checkpoint(checkpoint, stem.with_suffix(suffix), format)
        files[format] = str(result.path)
    # Random weights score every image about 0.5: their AUC means nothing, so the check
    # that would refuse an AUC drop is not applied to them (max_auc_drop=1).
    quantized = export_quantized(
        checkpoint, stem.with_name(stem.name + "-int8.onnx"), calibration,
        max_auc_drop=MAX_AUC_DROP if trained else 1.0,
    )  # fmt: skip
    files["int8"] = str(quantized.path)
    files["int8_check"] = quantized.check.as_dict() | {
        "calibration_images": quantized.calibration_images
    }
    return files


def prepare_files(encoder: str, size: int, folder: Path, calibration: list[Path] | None) -> dict:
    """Save a random detector as a checkpoint and export it three ways."""
    import torch

    from fairdf.engine.checkpoint import save_checkpoint
    from fairdf.models.config import DetectorConfig
    from fairdf.models.detector import FairDetector

    torch.manual_seed(0)
    model = FairDetector(DetectorConfig(encoder=encoder, image_size=size))
    checkpoint = save_checkpoint(folder / f"{encoder}-{size}", model, scheme="ffpp")
    del model
    calibration = calibration or random_calibration(folder / f"calibration-{size}", size)
    return export_files(checkpoint, folder / f"{encoder}-{size}", calibration, trained=False)


def run_child(job: dict) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(job)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{job['backend']} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def demo_auc_table(paths: dict, files: dict, threads: int) -> None:
    """AUC of PyTorch fp32, ONNX fp32 and ONNX int8 scores on the demo's test split."""
    import numpy as np
    import torch
    from sklearn.metrics import roc_auc_score

    from fairdf.data.manifest import read_manifest
    from fairdf.engine.checkpoint import load_checkpoint
    from fairdf.engine.evaluate import score_frame
    from fairdf.inference.quantize import image_batches

    model, info = load_checkpoint(paths["checkpoint"], inference_only=True, map_location="cpu")
    size = info.detector.image_size
    frame = read_manifest(paths["test"], role="test", groups=False).frame
    labels = frame["label"].to_numpy()
    scored = score_frame(model, frame, image_size=size, device=torch.device("cpu"))
    scores = {"pytorch fp32": scored["score"].to_numpy()}
    for name, key in (("onnx fp32", "onnx"), ("onnx int8", "int8")):
        session = onnx_session(files[key], threads)
        batches = image_batches(frame, size, 16)
        scores[name] = np.concatenate(
            [session.run(["p_fake"], {"images": images})[0] for images in batches]
        )
    reference = scores["pytorch fp32"]
    base = roc_auc_score(labels, reference)
    print(
        f"\nAUC on {paths['test']} ({len(frame)} images, {int(labels.sum())} fake), "
        f"checkpoint {paths['checkpoint']}"
    )
    header = f"{'scores':<13} {'AUC':>7} {'change':>8} {'max |dp| vs PyTorch':>20}"
    print(header)
    print("-" * len(header))
    for name, values in scores.items():
        value = roc_auc_score(labels, values)
        diff = np.abs(np.asarray(values, np.float64) - reference).max()
        print(f"{name:<13} {value:>7.4f} {value - base:>+8.4f} {diff:>20.1e}")


def print_check(label: str, check: dict) -> None:
    where = "held-out" if check["held_out"] else "calibration"
    if check["auc_change"] is None:
        auc = "AUC not measured"
    else:
        auc = (
            f"AUC {check['auc_float']:.4f} fp32, {check['auc_int8']:.4f} int8 "
            f"({check['auc_change']:+.4f})"
        )
    print(
        f"  int8 export check for {label}: {check['calibration_images']} calibration images, "
        f"{check['images']} {where} check images: {auc}, max |dp| {check['max_abs_dp']:.4f}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(measure(json.loads(args.child))))
        return 0
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    demo = demo_paths(args.demo) if args.demo else None
    header = (
        f"{'model':<9} {'size':>4} {'batch':>5} {'backend':<16} {'ms/image':>9} "
        f"{'x eager':>8} {'cpu ms/img':>10} {'cpu x eager':>11} {'peak RSS MiB':>12} "
        f"{'max |dp|':>9}"
    )
    print(f"threads={args.threads}, torch {torch.__version__}, median of timed runs")
    print(header)
    print("-" * len(header))
    checks, demo_files = [], None
    with tempfile.TemporaryDirectory() as tmp:
        models = [spec.split(":") for spec in args.models]
        if demo:
            models.append(["demo", None])
        for encoder, size in models:
            if encoder == "demo":
                from fairdf.engine.checkpoint import load_checkpoint

                info = load_checkpoint(demo["checkpoint"], inference_only=True)[1]
                size = info.detector.image_size
                files = demo_files = export_files(
                    demo["checkpoint"], Path(tmp) / "demo", demo["calibration"], trained=True
                )
                label = f"demo ({info.detector.encoder}, trained)"
            else:
                calibration = demo["calibration"] if demo else None
                files = prepare_files(encoder, int(size), Path(tmp), calibration)
                label = f"{encoder}:{size} (random weights)"
            checks.append((label, files["int8_check"]))
            repeats = args.repeats or REPEATS.get(encoder, 4)
            for batch in args.batches:
                results = {}
                for backend in BACKENDS:
                    job = dict(backend=backend, files=files, batch=batch, size=int(size))
                    results[backend] = run_child(job | dict(threads=args.threads, repeats=repeats))
                eager = results["pytorch"]
                for backend, result in results.items():
                    ratio = result["ms_per_image"] / eager["ms_per_image"]
                    cpu_ratio = result["cpu_ms_per_image"] / eager["cpu_ms_per_image"]
                    diff = np.abs(np.subtract(result["scores"], eager["scores"])).max()
                    print(
                        f"{encoder:<9} {size:>4} {batch:>5} {backend:<16} "
                        f"{result['ms_per_image']:>9.2f} {ratio:>8.2f} "
                        f"{result['cpu_ms_per_image']:>10.2f} {cpu_ratio:>11.2f} "
                        f"{result['peak_rss_mib']:>12.0f} {diff:>9.1e}"
                    )
        for label, check in checks:
            print_check(label, check)
        if demo:
            demo_auc_table(demo, demo_files, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
