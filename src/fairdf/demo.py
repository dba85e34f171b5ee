"""The demo: synthetic data -> tiny detector trained with SAM -> test -> tables.

Everything lands in one folder:

    OUT/data/          the synthetic dataset (manifests + images)
    OUT/run/           the run directory (config, metrics log, checkpoints)
    OUT/test/          per test set: predictions.csv, metrics.json
    OUT/predictions.csv, OUT/metrics.json   the synthetic test split's results
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fairdf.errors import DataError

logger = logging.getLogger(__name__)


@dataclass
class DemoResult:
    out: Path
    auc: float
    seconds: float
    tables: str  # the detection, fairness and per-method tables of the test split


def demo_config_path() -> Path:
    return Path(str(resources.files("fairdf") / "configs" / "demo.yaml"))


MAX_THREADS = 4


def demo_threads() -> int:
    """Threads for the demo: the cores idle right now, 1 to MAX_THREADS.

    torch's CPU threads spin-wait for each other; with more threads than idle cores a
    busy machine slows every step many times over, so the demo never asks for more.
    The idle share is sampled over half a second (`/proc/stat`), not read from the
    1-minute load average, which still counts the `pip install` that ran just before.
    """
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    idle = idle_cores(cores)
    if idle is None:
        idle = cores - (os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0)
    limit = MAX_THREADS
    if os.environ.get("OMP_NUM_THREADS", "").isdigit():  # an explicit limit is kept
        limit = min(limit, max(1, int(os.environ["OMP_NUM_THREADS"])))
    return max(1, min(limit, int(idle + 0.5)))


def idle_cores(cores: int, window: float = 0.5) -> float | None:
    """Idle share of all CPU time over `window` seconds, times `cores`; None if unknown."""
    try:
        idle_before, total_before = cpu_times()
        time.sleep(window)
        idle_after, total_after = cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    total = total_after - total_before
    if total <= 0:
        return None
    return cores * (idle_after - idle_before) / total


def cpu_times() -> tuple[int, int]:
    """(idle + iowait, all) jiffies of the machine, from the first line of /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:9]]
    return values[3] + values[4], sum(values)


def run_demo(
    out: str | Path,
    *,
    n_images: int = 1200,
    epochs: int | None = None,
    seed: int = 0,
    overrides: list[str] = (),
    threads: int | None = None,
    overwrite: bool = False,
) -> DemoResult:
    """The whole demo with `threads` CPU threads (default `demo_threads()`), restored after."""
    import torch

    out = Path(out).resolve()
    prepare_folder(out, overwrite)  # before anything slow
    previous = torch.get_num_threads()
    threads = threads or demo_threads()
    torch.set_num_threads(threads)
    say(f"using {threads} CPU thread(s) (--threads to change)")
    try:
        return _run_demo(out, n_images=n_images, epochs=epochs, seed=seed, overrides=overrides)
    finally:
        torch.set_num_threads(previous)


def _run_demo(
    out: str | Path, *, n_images: int, epochs: int | None, seed: int, overrides: list[str]
) -> DemoResult:
    from fairdf.config import load_config
    from fairdf.data.synth import format_summary, make_synthetic_dataset
    from fairdf.engine.checkpoint import load_checkpoint
    from fairdf.engine.distributed import resolve_device
    from fairdf.engine.testing import read_test_manifests, run_test
    from fairdf.engine.train import train

    started = time.perf_counter()
    out = Path(out).resolve()
    say(f"[1/3] synthesizing {n_images} images into {out / 'data'}")
    dataset = make_synthetic_dataset(out / "data", n_images=n_images, seed=seed)
    say(format_summary(dataset))
    extra = [f"data.root={out / 'data'}", *overrides]
    if epochs is not None:
        extra.append(f"train.epochs={epochs}")
    config = load_config(demo_config_path(), extra)
    say(f"[2/3] training the tiny detector with SAM for {config.train.epochs} epochs")
    run_dir = train(config, out / "run")
    say("[3/3] testing the best checkpoint on the synthetic test split")
    device = resolve_device(config.train.device)
    model, info = load_checkpoint(
        run_dir / "checkpoints" / "best", inference_only=True, map_location=device
    )
    manifests = read_test_manifests([dataset.manifests["test"]])
    results = run_test(
        model,
        manifests,
        out / "test",
        image_size=info.detector.image_size,
        device=device,
        workers=config.data.workers,
        checkpoint=info,
    )
    shutil.copyfile(results[0].predictions_path, out / "predictions.csv")
    shutil.copyfile(results[0].metrics_path, out / "metrics.json")
    rows = (results[0].metrics.get("methods") or {}).get("rows", {})
    held_out = tuple(name for name, row in rows.items() if row["held_out"])
    tables = _tables(out / "predictions.csv", manifests[0].scheme.name, held_out)
    seconds = time.perf_counter() - started
    auc = results[0].metrics["overall"]["auc"]
    return DemoResult(out=out, auc=auc, seconds=seconds, tables=tables)


def say(text: str) -> None:
    logger.info(text)


def prepare_folder(out: Path, overwrite: bool = False) -> None:
    """The demo replaces its own earlier output when asked (`overwrite`), never another folder."""
    if not out.exists() or not any(out.iterdir()):
        return
    if not (out / "data" / "dataset.json").is_file():
        raise DataError(f"{out} exists and is not an earlier demo output; choose another --out")
    if not overwrite:
        raise DataError(
            f"{out} holds an earlier demo (its run and checkpoint included); pass --overwrite "
            "to replace it, or choose another --out"
        )
    shutil.rmtree(out)


def _tables(predictions: Path, scheme: str, held_out: tuple[str, ...]) -> str:
    from fairdf.metrics import compute_metrics, format_report, read_predictions

    table = read_predictions(predictions, scheme)
    return format_report(compute_metrics(table, scheme, held_out=held_out))
