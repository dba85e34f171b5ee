"""Every method of `fairdf.methods` under one protocol on one synthetic dataset.

One `fairdf synth` dataset (FF++-like group imbalance, manipulation 5 held out for the
test split), one seed, the same number of training steps for every method, the engine's
own training step (`fairdf.engine.train`), then the synthetic test split scored with
the method's scoring branch. Each method runs in a fresh process, so that its peak RSS
is its own. Prints one table: test AUC and the intersectional F_FPR, F_OAE, F_DP and
F_MEO (percent) with 95% bootstrap intervals, seconds per training step (and its ratio
to the `xception` baseline measured in the same run) and peak RSS.

The model settings are those of configs/demo.yaml (tiny encoder); each method keeps the
optimiser of its configs/ffpp_<method>.yaml (SAM for pg_fdd and its ablations, plain
SGD for the baselines). Pass `--ablations` to add the no-SAM and no-fairness variants.

    python benchmarks/methods.py --n 1200 --size 64 --epochs 6 --steps 20
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from memory import peak_rss_mib

METHODS = ("xception", "daw_fdd", "dag_fdd", "ucf", "pg_fdd_no_demographic", "pg_fdd")
ABLATIONS = {
    "pg_fdd+no_sam": ["optim.sam=false"],
    "pg_fdd+no_fairness": ["loss.fuse_objective=mean"],
}
PLAIN_SGD = {"xception", "daw_fdd", "dag_fdd", "ucf"}
FAIRNESS = ("F_FPR", "F_OAE", "F_DP", "F_MEO")
DEMO = Path(__file__).resolve().parents[1] / "src" / "fairdf" / "configs" / "demo.yaml"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1200, help="synthetic images")
    parser.add_argument("--size", type=int, default=64, help="image size in pixels")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--steps", type=int, default=20, help="training steps per epoch")
    parser.add_argument("--warmup", type=int, default=2, help="epochs without L_fuse (pg_fdd)")
    parser.add_argument("--batch", type=int, default=16, help="fakes per step (+ as many reals)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma list")
    parser.add_argument("--ablations", action="store_true", help="add pg_fdd+no_sam, +no_fairness")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data", type=Path, help="reuse this synthetic dataset folder")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def overrides(args: argparse.Namespace, name: str, data: Path) -> list[str]:
    method, _, _ = name.partition("+")
    settings = [
        f"data.root={data}",
        f"model.method={method}",
        f"model.image_size={args.size}",
        f"train.epochs={args.epochs}",
        f"train.max_steps_per_epoch={args.steps}",
        f"train.fairness_warmup_epochs={args.warmup}",
        f"train.batch_size={args.batch}",
        f"train.seed={args.seed}",
        f"train.device={args.device}",
        "train.progress=false",
    ]
    if method in PLAIN_SGD:
        settings.append("optim.sam=false")
    return settings + ABLATIONS.get(name, [])


def run_worker(args: argparse.Namespace) -> None:
    """Train one method with the engine's loop, test it, print one JSON line."""
    import torch

    from fairdf.config import load_config
    from fairdf.data.manifest import read_manifest
    from fairdf.engine.distributed import setup_process
    from fairdf.engine.evaluate import score_frame
    from fairdf.engine.train import build_trainer, train_one_epoch
    from fairdf.metrics import compute_metrics

    data = Path(args.data)
    config = load_config(DEMO, overrides(args, args.worker, data))
    context = setup_process(config.train.device)
    trainer = build_trainer(config, context)
    seconds, steps = 0.0, 0
    for epoch in range(config.train.epochs):
        started = time.perf_counter()
        train_one_epoch(trainer, epoch)
        seconds += time.perf_counter() - started
        trainer.scheduler.step()
        steps += min(args.steps, len(trainer.loader))
    test = read_manifest(data / "test.csv", role="test")
    scored = score_frame(
        trainer.model, test.frame, image_size=config.model.image_size, device=context.device,
        batch_size=config.train.eval_batch_size,
    )  # fmt: skip
    result = compute_metrics(scored, test.scheme, bootstrap=args.bootstrap, seed=0)
    result = result.to_json_dict()
    row = {
        "method": args.worker,
        "steps": steps,
        "seconds_per_step": seconds / steps,
        "peak_rss_mib": peak_rss_mib(),
        "auc": result["overall"]["auc"],
        "auc_ci": result["intervals"]["overall"]["auc"],
        "threads": torch.get_num_threads(),
    }
    fairness = result["fairness"]["intersectional"]
    intervals = result["intervals"]["fairness"]["intersectional"]
    for key in FAIRNESS:
        row[key], row[f"{key}_ci"] = fairness.get(key), intervals.get(key)
    print(json.dumps(row))


def percent(value, interval) -> str:
    if value is None:
        return "n/a"
    if not interval or None in interval:
        return f"{100 * value:.1f}"
    return f"{100 * value:.1f} [{100 * interval[0]:.1f}, {100 * interval[1]:.1f}]"


def print_table(rows: list[dict]) -> None:
    base = next((r["seconds_per_step"] for r in rows if r["method"] == "xception"), None)
    header = ["method", "AUC", *FAIRNESS, "s/step", "x xception", "peak RSS MiB"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for r in rows:
        ratio = f"{r['seconds_per_step'] / base:.2f}" if base else "n/a"
        cells = [
            r["method"],
            percent(r["auc"], r["auc_ci"]),
            *(percent(r[k], r[f"{k}_ci"]) for k in FAIRNESS),
            f"{r['seconds_per_step']:.3f}",
            ratio,
            f"{r['peak_rss_mib']:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        run_worker(args)
        return 0
    names = [m.strip() for m in args.methods.split(",") if m.strip()]
    if args.ablations:
        names += list(ABLATIONS)
    with tempfile.TemporaryDirectory(prefix="fairdf-methods-") as scratch:
        data = args.data
        if data is None:
            from fairdf.data.synth import make_synthetic_dataset

            data = Path(scratch) / "data"
            make_synthetic_dataset(data, n_images=args.n, size=args.size, seed=args.seed)
        rows = []
        for name in names:
            command = [sys.executable, __file__, *sys.argv[1:], "--worker", name]
            command += ["--data", str(data)] if args.data is None else []
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ))
            if done.returncode != 0:
                print(f"{name}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"{name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    settings = f"n={args.n} size={args.size} epochs={args.epochs} steps/epoch={args.steps} "
    settings += f"batch={args.batch}+{args.batch} seed={args.seed} bootstrap={args.bootstrap}"
    print(f"methods on one synthetic dataset ({settings}); metrics in percent, 95% intervals")
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
