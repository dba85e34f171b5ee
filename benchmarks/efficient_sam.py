"""Plain SGD, full SAM and LookSAM trained for the same budget in seconds; test-split quality.

What it measures, in three phases, on the demo's setting (`fairdf demo`: the config
`src/fairdf/configs/demo.yaml`, 1200 synthetic 64-px images, encoder `tiny32`):

1. Cost per step. One trainer per variant (the same initial weights), one batch from
   the training loader. The variants' training steps (`optimizer_step`, the step
   `fairdf train` runs) are timed interleaved in this one process: each round times a
   block of --block steps of every variant (a multiple of every LookSAM k, so a
   LookSAM block is whole k-step cycles: one ascent step and k - 1 reuse steps), the
   order reversed every other round, after one untimed warm-up block each. Seconds per
   step = median over --rounds rounds of (block seconds / block steps). The loader's
   seconds per batch (decoding the PNGs) are measured once and added for the budget.
2. Same budget. A budget of B seconds (--budget; default: what full SAM needs for the
   demo's schedule, epochs x steps per epoch, or --schedule times that) becomes per
   variant N = B / (seconds per step + seconds per batch) steps. Every variant trains
   the same number of epochs E of round(N / E) steps each (`train.max_steps_per_epoch`;
   the pairing is reshuffled every epoch). E is a multiple of 7 (the demo's 14 epochs
   with 6 of fairness warm-up: the warm-up stays exactly 3/7 of the epochs, and
   `optim.step_size` is scaled alike), large enough that every variant's steps per
   epoch fit in one pass over the training fakes, and chosen with B (moved by at most
   5 %) so that whole steps per epoch meet every variant's budget as closely as
   possible (`choose_schedule`; the table's `budget` column shows the result). All
   variants thus validate (and may pick their best checkpoint) equally often; the
   validations are not counted in the budget. The step counts are fixed before
   training starts, so the load of the machine during training changes only the wall
   time, not the results; they depend on the load only through the measured cost
   ratios.
3. Quality. The best checkpoint (validation AUC) of each run scores the test split,
   which holds a manipulation method absent from training (`fairdf.engine.testing
   .run_test`), and AUC and the intersectional fairness gaps F_FPR, F_OAE, F_DP, F_MEO
   (lower is fairer) get percentile bootstrap intervals (--bootstrap resamples of
   whole identities, `--cluster-by identity`, the same resamples for every model).

One table: a row per variant and training seed (train.seed) and a mean row per
variant (mean over the seeds, +- half their range). Metrics in percent. Every run is
kept under --work, and a rerun with the same --work reuses the timing and the
finished runs (so an interrupted benchmark continues, and more --seeds add runs).
The 1-thread default keeps the timing meaningful on a shared machine.

    python benchmarks/efficient_sam.py --seeds 5 6 --work /tmp/efficient_sam

The table in docs/training-at-scale.md (half the demo's budget, about 50 minutes per
two seeds on a loaded 2-core machine):

    python benchmarks/efficient_sam.py --schedule 0.5 --seeds 5 6 7 8 --work /tmp/efficient_sam

A quick end-to-end check (about 4 minutes on a loaded 2-core machine):

    python benchmarks/efficient_sam.py --images 300 --schedule 0.1 --rounds 1 --block 10 \
        --seeds 5 --bootstrap 200
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

VARIANTS = {
    "plain SGD": ["optim.sam=false"],
    "full SAM": ["optim.sam=true", "optim.sam_variant=full"],
    "LookSAM k=5": ["optim.sam=true", "optim.sam_variant=looksam", "optim.looksam_interval=5"],
    "LookSAM k=10": ["optim.sam=true", "optim.sam_variant=looksam", "optim.looksam_interval=10"],
}
REFERENCE = "full SAM"
FAIRNESS = ("F_FPR", "F_OAE", "F_DP", "F_MEO")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument(
        "--budget", type=float, default=None, help="training seconds per run (default: --schedule)"
    )
    budget.add_argument(
        "--schedule",
        type=float,
        default=1.0,
        help="budget = this fraction of what full SAM needs for the demo's schedule",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[5, 6], help="train.seed values")
    parser.add_argument("--images", type=int, default=1200, help="synthetic images (demo: 1200)")
    parser.add_argument("--data-seed", type=int, default=0, help="synthetic data seed (demo: 0)")
    parser.add_argument("--encoder", default="tiny32")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per variant")
    parser.add_argument(
        "--block", type=int, default=None, help="steps per timed block (default: lcm of the k)"
    )
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--ci", type=float, default=0.95)
    parser.add_argument("--cluster-by", default="identity", help="'none': resample images")
    parser.add_argument(
        "--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS), metavar="NAME"
    )
    parser.add_argument("--work", type=Path, default=None, help="folder for data and runs")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if REFERENCE not in args.variants:
        parser.error(f"--variants must include '{REFERENCE}' (the reference of the ratios)")
    intervals = [_interval(VARIANTS[name]) for name in args.variants]
    args.block = args.block or math.lcm(*intervals)
    if any(args.block % k for k in intervals):
        parser.error(f"--block {args.block} is not a multiple of every LookSAM k {intervals}")
    return args


def _interval(overrides: list[str]) -> int:
    for item in overrides:
        if item.startswith("optim.looksam_interval="):
            return int(item.split("=", 1)[1])
    return 1


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# ---------------------------------------------------------------- configs


def demo_overrides(args: argparse.Namespace, root: Path) -> list[str]:
    return [
        f"data.root={root}",
        f"model.encoder={args.encoder}",
        "train.device=cpu",
        "train.progress=false",
    ]


def load(args: argparse.Namespace, root: Path, extra: list[str]):
    from fairdf.config import load_config
    from fairdf.demo import demo_config_path

    return load_config(demo_config_path(), [*demo_overrides(args, root), *extra])


# ---------------------------------------------------------------- phase 1: cost per step


@dataclass
class Timing:
    seconds_per_step: dict[str, float]  # median over rounds
    rounds: dict[str, list[float]]  # each round's seconds per step
    seconds_per_batch: float  # the loader (decoding), added for the budget
    steps_per_pass: int  # batches in one pass over the training fakes
    block: int
    threads: int
    uptime_before: str
    uptime_after: str


def measure_costs(args: argparse.Namespace, root: Path) -> Timing:
    from fairdf.engine.distributed import setup_process
    from fairdf.engine.optimizer import optimizer_step
    from fairdf.engine.train import build_trainer

    before = uptime()
    context = setup_process("cpu")
    trainers = {
        name: build_trainer(load(args, root, VARIANTS[name]), context) for name in args.variants
    }
    loader = trainers[REFERENCE].loader
    loader.dataset.set_epoch(0)
    started, batches = time.perf_counter(), 0
    for _ in loader:  # one pass: the decoding cost per batch
        batches += 1
    seconds_per_batch = (time.perf_counter() - started) / batches
    batch = next(iter(loader))
    for trainer in trainers.values():
        trainer.network.train()

    def block(name: str) -> float:
        started = time.perf_counter()
        for _ in range(args.block):
            optimizer_step(trainers[name], batch)
        return (time.perf_counter() - started) / args.block

    for name in args.variants:
        block(name)  # warm-up
    rounds: dict[str, list[float]] = {name: [] for name in args.variants}
    for index in range(args.rounds):
        order = args.variants if index % 2 == 0 else args.variants[::-1]
        for name in order:
            rounds[name].append(block(name))
        say(
            f"timing round {index + 1}/{args.rounds}: "
            + ", ".join(f"{name} {rounds[name][-1]:.3f} s/step" for name in args.variants)
        )
    return Timing(
        seconds_per_step={name: statistics.median(values) for name, values in rounds.items()},
        rounds=rounds,
        seconds_per_batch=seconds_per_batch,
        steps_per_pass=len(loader),
        block=args.block,
        threads=torch.get_num_threads(),
        uptime_before=before,
        uptime_after=uptime(),
    )


# ---------------------------------------------------------------- phase 2: same budget


@dataclass
class Plan:
    budget: float  # seconds
    epochs: int
    warmup_epochs: int
    step_size: int  # optim.step_size (epochs)
    steps_per_epoch: dict[str, int]
    demo_epochs: int
    demo_steps_per_epoch: int

    def steps(self, name: str) -> int:
        return self.epochs * self.steps_per_epoch[name]


def plan_runs(args: argparse.Namespace, root: Path, timing: Timing) -> Plan:
    demo = load(args, root, [])
    demo_steps = timing.steps_per_pass
    if demo.train.max_steps_per_epoch:
        demo_steps = min(demo_steps, demo.train.max_steps_per_epoch)
    cost = {
        name: timing.seconds_per_step[name] + timing.seconds_per_batch for name in args.variants
    }
    budget = args.budget
    if budget is None:  # the demo's schedule of full SAM, or --schedule times it
        budget = args.schedule * demo.train.epochs * demo_steps * cost[REFERENCE]
    epochs, budget, steps = choose_schedule(
        cost, budget, demo.train.epochs, demo.train.fairness_warmup_epochs, timing.steps_per_pass
    )
    return Plan(
        budget=budget,
        epochs=epochs,
        warmup_epochs=demo.train.fairness_warmup_epochs * epochs // demo.train.epochs,
        step_size=max(1, round(demo.optim.step_size * epochs / demo.train.epochs)),
        steps_per_epoch=steps,
        demo_epochs=demo.train.epochs,
        demo_steps_per_epoch=demo_steps,
    )


def choose_schedule(
    cost: dict[str, float], budget: float, demo_epochs: int, warmup: int, per_pass: int
) -> tuple[int, float, dict[str, int]]:
    """(epochs E shared by every variant, budget used, steps per epoch of each variant).

    E is a multiple of demo_epochs / gcd(demo_epochs, warmup), so the warm-up is exactly
    the demo's fraction of the epochs, and every variant's steps per epoch must fit in
    one pass over the training fakes. Whole steps per epoch cannot meet every variant's
    budget / cost exactly, and equal budgets matter more than the exact figure: the
    budget is moved by at most 5 % (to E x s x cost of some variant and some s), and
    among the first five such E the choice whose variants miss the budget by the
    smallest relative amount (the largest miss of any variant, in whole percent) wins;
    then the smaller E (fewer validations), then the smaller move of the budget.
    """
    unit = demo_epochs // math.gcd(demo_epochs, warmup)
    most = 0.9 * budget / min(cost.values())  # steps of the cheapest variant, at least
    smallest = unit * max(1, math.ceil(most / (unit * per_pass)))
    best = None
    for epochs in range(smallest, smallest + 5 * unit, unit):
        for anchor in cost.values():
            exact = budget / (epochs * anchor)
            for per_epoch in {max(1, math.floor(exact)), max(1, math.ceil(exact))}:
                used = epochs * per_epoch * anchor
                if abs(used / budget - 1) > 0.05:
                    continue
                steps = {name: max(1, round(used / (epochs * c))) for name, c in cost.items()}
                if max(steps.values()) > per_pass:
                    continue
                miss = max(abs(epochs * steps[n] * c - used) / used for n, c in cost.items())
                key = (round(miss, 2), epochs, round(abs(used / budget - 1), 4))
                if best is None or key < best[0]:
                    best = (key, epochs, used, steps)
    if best is None:  # a budget so small that every variant gets one step per epoch
        return unit, budget, {name: 1 for name in cost}
    return best[1], best[2], best[3]


# ---------------------------------------------------------------- phase 3: train and test


@dataclass
class RunResult:
    variant: str
    seed: int
    steps: int
    epochs: int
    train_seconds: float  # wall time of the training steps (load-dependent; not used)
    best_epoch: int
    predictions: str  # the test split's predictions.csv
    metrics: dict[str, float]  # fractions
    intervals: dict[str, list[float] | None] = field(default_factory=dict)


def train_and_test(
    args: argparse.Namespace, root: Path, plan: Plan, name: str, seed: int, folder: Path
) -> RunResult:
    from fairdf.engine.checkpoint import load_checkpoint
    from fairdf.engine.testing import read_test_manifests, run_test
    from fairdf.engine.train import train

    done = folder / "result.json"
    saved = None
    if done.is_file():
        with contextlib.suppress(TypeError, ValueError):
            saved = RunResult(**json.loads(done.read_text()))
    if saved is not None and (saved.steps, saved.epochs) == (plan.steps(name), plan.epochs):
        say(f"{name}, seed {seed}: reusing {done} (bootstrap computed again)")
        saved.metrics, saved.intervals = bootstrap(args, Path(saved.predictions))
        return saved
    if folder.exists():
        import shutil

        shutil.rmtree(folder)  # an unfinished run: start it again
    config = load(
        args,
        root,
        [
            *VARIANTS[name],
            f"train.seed={seed}",
            f"train.epochs={plan.epochs}",
            f"train.max_steps_per_epoch={plan.steps_per_epoch[name]}",
            f"train.fairness_warmup_epochs={plan.warmup_epochs}",
            f"optim.step_size={plan.step_size}",
        ],
    )
    say(f"{name}, seed {seed}: training {plan.epochs} x {plan.steps_per_epoch[name]} steps")
    run_dir = train(config, folder / "run")
    log = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    model, info = load_checkpoint(
        run_dir / "checkpoints" / "best", inference_only=True, map_location=torch.device("cpu")
    )
    manifests = read_test_manifests([root / "test.csv"])
    tested = run_test(
        model,
        manifests,
        folder / "test",
        image_size=info.detector.image_size,
        device=torch.device("cpu"),
        batch_size=config.train.eval_batch_size,
        checkpoint=info,
    )[0]
    metrics, intervals = bootstrap(args, tested.predictions_path)
    result = RunResult(
        variant=name,
        seed=seed,
        steps=plan.steps(name),
        epochs=plan.epochs,
        train_seconds=round(sum(entry["train_seconds"] for entry in log), 1),
        best_epoch=int(info.metadata.get("epoch") or 0),
        predictions=str(tested.predictions_path),
        metrics=metrics,
        intervals=intervals,
    )
    done.write_text(json.dumps(asdict(result), indent=2))
    say(
        f"{name}, seed {seed}: {result.train_seconds:.0f} s of steps, best epoch "
        f"{result.best_epoch}, test AUC {100 * metrics['auc']:.1f} %"
    )
    return result


def bootstrap(
    args: argparse.Namespace, predictions: Path
) -> tuple[dict[str, float], dict[str, list[float] | None]]:
    """Test AUC and intersectional fairness gaps, with percentile bootstrap intervals."""
    from fairdf.metrics import compute_metrics, read_predictions

    table = read_predictions(predictions, "ffpp")
    cluster = None if args.cluster_by == "none" else args.cluster_by
    result = compute_metrics(
        table, bootstrap=args.bootstrap, ci=args.ci, cluster_by=cluster, seed=0
    ).to_json_dict()
    fairness = result["fairness"]["intersectional"]
    overall = result["overall"]
    metrics = {"auc": overall["auc"], "acc": overall["acc"]}
    metrics.update({key: fairness[key] for key in FAIRNESS})
    found = result.get("intervals", {})
    intervals = {"auc": found.get("overall", {}).get("auc")}
    for key in FAIRNESS:
        intervals[key] = found.get("fairness", {}).get("intersectional", {}).get(key)
    return metrics, intervals


# ---------------------------------------------------------------- the table


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}"


def with_interval(value: float | None, interval: list[float] | None) -> str:
    if interval is None or None in interval:
        return percent(value)
    return f"{percent(value)} [{percent(interval[0])}, {percent(interval[1])}]"


def mean_spread(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "n/a"
    if len(known) == 1:
        return percent(known[0])
    mean = sum(known) / len(known)
    return f"{percent(mean)} +- {100 * (max(known) - min(known)) / 2:.1f}"


def format_table(
    args: argparse.Namespace, timing: Timing, plan: Plan, results: list[RunResult]
) -> str:
    reference = timing.seconds_per_step[REFERENCE]
    keys = ("auc", *FAIRNESS)
    labels = ("AUC %", *(f"{key} %" for key in FAIRNESS))
    header = [
        "optimizer",
        "seed",
        "s/step",
        "x SAM",
        "per round",
        "steps",
        "budget",
        "train s",
        "best ep",
        "ACC %",
        *labels,
    ]
    rows = []
    for name in args.variants:
        per_step = timing.seconds_per_step[name]
        cost = per_step + timing.seconds_per_batch
        paired = [
            mine / sam
            for mine, sam in zip(timing.rounds[name], timing.rounds[REFERENCE], strict=True)
        ]
        common = [
            f"{per_step:.3f}",
            f"{per_step / reference:.2f}",
            f"{min(paired):.2f}-{max(paired):.2f}",
            str(plan.steps(name)),
            f"{plan.steps(name) * cost / plan.budget:.2f}",
        ]
        mine = [r for r in results if r.variant == name]
        for result in mine:
            rows.append(
                [
                    name,
                    str(result.seed),
                    *common,
                    f"{result.train_seconds:.0f}",
                    str(result.best_epoch),
                    percent(result.metrics["acc"]),
                    *(with_interval(result.metrics[k], result.intervals.get(k)) for k in keys),
                ]
            )
        if len(mine) > 1:
            rows.append(
                [
                    name,
                    "mean",
                    *common,
                    f"{sum(r.train_seconds for r in mine) / len(mine):.0f}",
                    "",
                    mean_spread([r.metrics["acc"] for r in mine]).split(" ")[0],
                    *(mean_spread([r.metrics[k] for r in mine]) for k in keys),
                ]
            )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    left = {0, 1}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    cluster = "identities" if args.cluster_by == "identity" else args.cluster_by
    cluster = "images" if args.cluster_by == "none" else cluster
    lines = [
        f"encoder {args.encoder}, {args.images} synthetic images (data seed {args.data_seed}), "
        f"demo config, {timing.threads} thread(s)",
        f"cost: median of {args.rounds} interleaved rounds of {timing.block} steps per variant "
        f"on one batch; loader {timing.seconds_per_batch:.3f} s/batch added for the budget",
        f"budget {plan.budget:.0f} s per run = {plan.budget / (reference + timing.seconds_per_batch):.0f} "
        f"full SAM steps (demo schedule: {plan.demo_epochs} x {plan.demo_steps_per_epoch}); every run "
        f"{plan.epochs} epochs, fairness warm-up {plan.warmup_epochs}, step_size {plan.step_size}",
        f"test split (held-out method included), best checkpoint by validation AUC; "
        f"[{100 * args.ci:.0f} % bootstrap interval, {args.bootstrap} resamples of {cluster}]; "
        "mean: over the seeds, +- half their range",
        line(header),
        line(["-" * w for w in widths]),
        *(line(r) for r in rows),
        "s/step: the optimizer step alone; x SAM: s/step / full SAM's; per round: the lowest and "
        "highest ratio of one round's block to full SAM's block in the same round; budget: steps x "
        "(s/step + loader) / budget; train s: measured wall time of the steps (load-dependent, "
        "not used); ACC: at threshold 0.5 (about 50 with every image called real, when the gaps are 0); "
        "F_*: intersectional gaps at that threshold, lower is fairer",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    from fairdf.data.synth import make_synthetic_dataset

    args = parse_args(argv)
    started = time.perf_counter()
    command = "python " + shlex.join(["benchmarks/efficient_sam.py", *(argv or sys.argv[1:])])
    start_uptime = uptime()
    torch.set_num_threads(args.threads)
    work = args.work or Path(tempfile.mkdtemp(prefix="efficient_sam_"))
    work.mkdir(parents=True, exist_ok=True)
    say(f"working in {work}")
    root = work / "data"
    if not (root / "dataset.json").is_file():
        make_synthetic_dataset(root, n_images=args.images, seed=args.data_seed, overwrite=True)
    settings = {
        key: getattr(args, key)
        for key in ("images", "data_seed", "encoder", "threads", "rounds", "block", "variants")
    }
    timing_file = work / "timing.json"
    saved = json.loads(timing_file.read_text()) if timing_file.is_file() else None
    if saved is not None and saved["settings"] == settings:
        say(f"reusing the timing in {timing_file}")
        timing = Timing(**saved["timing"])
    else:
        timing = measure_costs(args, root)
        timing_file.write_text(
            json.dumps({"settings": settings, "timing": asdict(timing)}, indent=2)
        )
    plan = plan_runs(args, root, timing)
    say(
        f"budget {plan.budget:.0f} s: "
        + ", ".join(f"{name} {plan.steps(name)} steps" for name in args.variants)
    )
    results = []
    for seed in args.seeds:  # every variant of one seed before the next seed
        for name in args.variants:
            folder = work / f"seed{seed}-{name.replace(' ', '_').replace('=', '')}"
            results.append(train_and_test(args, root, plan, name, seed, folder))
    table = format_table(args, timing, plan, results)
    end_uptime = uptime()
    minutes = (time.perf_counter() - started) / 60
    print(f"command: {command}")
    print(f"start: {start_uptime}")
    print(f"timing phase: {timing.uptime_before}  ->  {timing.uptime_after}")
    print(table)
    print(f"end:   {end_uptime}")
    print(f"wall time of this invocation: {minutes:.1f} min")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "command": command,
                    "uptime": [start_uptime, end_uptime],
                    "timing": asdict(timing),
                    "plan": asdict(plan),
                    "results": [asdict(r) for r in results],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
