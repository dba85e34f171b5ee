"""Scoring speed per image: ONNX Runtime and TorchScript against PyTorch eager.

For each encoder at its image size, a randomly initialised detector is saved as a
checkpoint and exported as `fairdf export` does (ONNX and TorchScript, inference branches
only). Each (backend, batch) is then timed in its own fresh process, so that its peak
RSS is its own: the ONNX Runtime process does not import torch at all. Ratios are
against PyTorch eager measured in the same run, on the same images and thread count.
One thread by default: on a shared machine, OpenMP threads that wait for a busy core
make multi-threaded PyTorch timings swing by 100x; pass --threads for more.

    python benchmarks/onnx_speed.py                          # tiny@64 and xception@256
    python benchmarks/onnx_speed.py --models tiny:64 --batches 1 16 --threads 2
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

BACKENDS = ("pytorch", "torchscript", "onnxruntime")
REPEATS = {"tiny": 30, "xception": 4}  # timed runs per (backend, batch), after one warm-up


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
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: one measurement
    return parser.parse_args(argv)


def make_images(batch: int, size: int):
    """The same uniform [-1, 1] images in every process (numpy, so no torch is needed)."""
    import numpy as np

    rng = np.random.default_rng(batch * 1000 + size)
    return rng.uniform(-1, 1, size=(batch, 3, size, size)).astype(np.float32)


def load_runner(backend: str, files: dict, threads: int):
    """A function images (numpy) -> p_fake (numpy) for one backend."""
    if backend == "onnxruntime":
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            files["onnx"], options, providers=["CPUExecutionProvider"]
        )
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


def measure(job: dict) -> dict:
    """Child process: time one backend at one batch size; report ms/image and peak RSS."""
    images = make_images(job["batch"], job["size"])
    run = load_runner(job["backend"], job["files"], job["threads"])
    scores = run(images)  # warm-up
    times = []
    for _ in range(job["repeats"]):
        start = time.perf_counter()
        run(images)
        times.append(time.perf_counter() - start)
    return {
        "ms_per_image": 1000 * statistics.median(times) / job["batch"],
        "peak_rss_mib": peak_rss_mib(),
        "scores": [float(s) for s in scores],
    }


def prepare_files(encoder: str, size: int, folder: Path) -> dict:
    """Save a random detector as a checkpoint and export it both ways."""
    import torch

    from fairdf.engine.checkpoint import save_checkpoint
    from fairdf.inference.export import export_checkpoint
    from fairdf.models.config import DetectorConfig
    from fairdf.models.detector import FairDetector

    torch.manual_seed(0)
    model = FairDetector(DetectorConfig(encoder=encoder, image_size=size))
    checkpoint = save_checkpoint(folder / f"{encoder}-{size}", model, scheme="ffpp")
    del model
    files = {"checkpoint": str(checkpoint)}
    for format, suffix in (("onnx", ".onnx"), ("torchscript", ".pt")):
        result = export_checkpoint(checkpoint, folder / f"{encoder}-{size}{suffix}", format)
        files[format] = str(result.path)
    return files


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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(measure(json.loads(args.child))))
        return 0
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    header = (
        f"{'encoder':<9} {'size':>4} {'batch':>5} {'backend':<12} {'ms/image':>9} "
        f"{'x eager':>8} {'peak RSS MiB':>12} {'max |dp|':>9}"
    )
    print(f"threads={args.threads}, torch {torch.__version__}, median of timed runs")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.models:
            encoder, size = spec.split(":")
            files = prepare_files(encoder, int(size), Path(tmp))
            repeats = args.repeats or REPEATS.get(encoder, 4)
            for batch in args.batches:
                results = {}
                for backend in BACKENDS:
                    job = dict(backend=backend, files=files, batch=batch, size=int(size))
                    results[backend] = run_child(job | dict(threads=args.threads, repeats=repeats))
                eager = results["pytorch"]
                for backend, result in results.items():
                    ratio = result["ms_per_image"] / eager["ms_per_image"]
                    diff = np.abs(np.subtract(result["scores"], eager["scores"])).max()
                    print(
                        f"{encoder:<9} {size:>4} {batch:>5} {backend:<12} "
                        f"{result['ms_per_image']:>9.2f} {ratio:>8.2f} "
                        f"{result['peak_rss_mib']:>12.0f} {diff:>9.1e}"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
