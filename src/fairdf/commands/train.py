"""`fairdf train --config C [--set key=value ...] [--no-sam] [--out RUN_DIR | --resume RUN_DIR]`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

RESUME_HELP = (
    "continue the run in RUN_DIR after repairing what an interruption left; only "
    "train.epochs, train.progress, train.eval_batch_size, train.device and data.workers "
    "may be changed with --set"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", help="YAML run config, or a packaged config's name (e.g. ffpp, demo)"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set train.epochs=3 (repeatable); paths given "
        "here are relative to the working directory, paths inside the config file to that file",
    )
    parser.add_argument("--no-sam", action="store_true", help="plain SGD, no loss flattening")
    parser.add_argument(
        "--out", help="run directory to create, missing or empty (default runs/<config>-<time>)"
    )
    parser.add_argument("--resume", metavar="RUN_DIR", help=RESUME_HELP)


def _check_pretrained(config, source, speaks: bool) -> None:
    """A config marked `model.pretrained: imagenet` names its weights before anything runs
    (said once, by rank 0, under torchrun)."""
    from fairdf.errors import ConfigError, ReportedElsewhere
    from fairdf.models.weights import IMAGENET, missing_pretrained_message

    if config.model.pretrained == IMAGENET:
        message = missing_pretrained_message(config.model.encoder, f"config {source}")
        raise ConfigError(message) if speaks else ReportedElsewhere(message)


def run(args: argparse.Namespace) -> int:
    from fairdf.config import load_config
    from fairdf.data.pixels import set_max_image_pixels
    from fairdf.engine.distributed import launch_rank
    from fairdf.engine.train import TrainingInterrupted, train
    from fairdf.errors import ConfigError

    overrides = list(args.overrides) + (["optim.sam=false"] if args.no_sam else [])
    if args.resume:
        if args.out:
            raise ConfigError("--resume continues RUN_DIR in place; do not pass --out with it")
        run_dir = Path(args.resume)
        saved = run_dir / "config.yaml"
        if not saved.is_file():
            raise ConfigError(
                f"cannot resume: {saved} not found; is {run_dir} a fairdf run directory? "
                "(a run stopped before it wrote config.yaml is started again with --out)"
            )
        config = load_config(args.config or saved, overrides)
    else:
        if not args.config:
            raise ConfigError("--config is required for a new run (or --resume RUN_DIR)")
        config = load_config(args.config, overrides)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        run_dir = Path(args.out or f"runs/{Path(args.config).stem}-{stamp}")
    set_max_image_pixels(config.data.max_image_pixels)
    speaks = launch_rank() == 0  # under torchrun only rank 0 speaks
    _check_pretrained(config, args.config or run_dir / "config.yaml", speaks)
    try:
        run_dir = train(config, run_dir, resume=bool(args.resume), notify=_say)
    except TrainingInterrupted as stop:
        if speaks:
            print(f"fairdf train: {stop.message}", file=sys.stderr)
        return 130
    if speaks:
        print(f"run directory: {run_dir}")
    return 0


def _say(line: str) -> None:
    print(f"fairdf train: {line}", file=sys.stderr)
