"""The training loop: `train_one_epoch`, `validate`, `train(config, run_dir)`.

Single process, or one process per device under torchrun (DistributedDataParallel).
Each epoch re-seeds torch from (seed, epoch) and the pairing of real and fake images
depends only on (seed, epoch), so a run resumed after any epoch ends with exactly the
weights of an uninterrupted run. The run directory is locked, written crash-consistently
and repaired on resume (`fairdf.engine.run_session`, `fairdf.engine.run_dir`).

With `data.skip_corrupt` each epoch record names the unreadable images that were left
out (`skipped_images`: training images of every rank, validation images), and a warning
line says how many; this is reporting only and changes nothing in the training.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from tqdm import tqdm

from fairdf.config import RunConfig
from fairdf.data.datasets import RealFakePairDataset, collate_pairs
from fairdf.engine import run_dir as layout
from fairdf.engine import training_state
from fairdf.engine.data import TrainingData, load_training_data
from fairdf.engine.distributed import (
    ProcessContext,
    barrier,
    broadcast_object,
    gather_objects,
    setup_process,
    teardown,
    together,
)
from fairdf.engine.evaluate import score_frame, skipped_images
from fairdf.engine.events import open_event_log
from fairdf.engine.optimizer import build_optimizer, optimizer_step
from fairdf.engine.run_session import RunSession, TrainingInterrupted, restarted_run
from fairdf.engine.trainer import ForwardLoss, Trainer, compute_loss
from fairdf.engine.training_state import SavedState
from fairdf.errors import FairdfError
from fairdf.methods import get_method
from fairdf.metrics import compute_metrics
from fairdf.metrics.detection import score_metrics
from fairdf.models.checkpointing import enable_activation_checkpointing

__all__ = ["Trainer", "TrainingInterrupted", "build_trainer", "compute_loss", "train"]

logger = logging.getLogger(__name__)

SKIPPED_LISTED = 100  # img_paths listed per split in a metrics.jsonl record; the count is exact


def train(
    config: RunConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    notify: Callable[[str], None] | None = None,
) -> Path:
    """Train per `config`, writing into `run_dir`; returns the run directory.

    A fresh run needs a missing or empty `run_dir`; a resume continues `run_dir` after
    repairing what a kill left. `notify` receives one line per thing worth telling
    (repairs, resume plan). Ctrl-C raises `TrainingInterrupted` (a KeyboardInterrupt)
    whose message names the last complete epoch and the resume command.
    """
    run_dir = Path(run_dir).expanduser().resolve()
    context = setup_process(config.train.device)
    notify = (notify or logger.info) if context.is_main else _silent  # rank 0 speaks
    restarted = not resume and broadcast_object(context, restarted_run(run_dir, config))
    session = RunSession(run_dir, resume=resume or restarted, writer=context.is_main, notify=notify)
    session.restarted = restarted
    try:
        trainer = together(context, lambda: _checked_trainer(session, config, context))
        session.open(config)
        barrier(context)
        state = SavedState()
        if session.resume:
            state = training_state.load(run_dir, trainer)
            repairs = []
            if context.is_main:
                with session.writing(run_dir):
                    repairs = layout.sync_log(run_dir, state.history)
                    repairs += training_state.repair_best(run_dir, trainer, state)
            if not session.start_resume(config, state.epoch, repairs):
                return run_dir
        trainer.events = open_event_log(
            config.train.tensorboard, run_dir, config.train.tensorboard_every, context.is_main
        )
        for epoch in range(state.epoch, config.train.epochs):
            state = _run_epoch(trainer, session, epoch, state)
        if trainer.events is not None:
            trainer.events.close()
        return run_dir
    except KeyboardInterrupt:
        session.abandon()
        raise session.interrupted() from None
    except BaseException:
        session.abandon()
        raise
    finally:
        session.close()
        teardown(context)


def _silent(line: str) -> None:
    pass


def _checked_trainer(session: RunSession, config: RunConfig, context: ProcessContext):
    session.check(config)  # refuse a wrong target before the (slow) model is built
    return build_trainer(config, context)


def build_trainer(config: RunConfig, context: ProcessContext) -> Trainer:
    data = load_training_data(config)
    method = get_method(config.model.method)
    torch.manual_seed(config.train.seed)
    model = method.build_model(config.model).to(context.device)
    if config.train.channels_last:
        model = model.to(memory_format=torch.channels_last)
    enable_activation_checkpointing(model, config.train.activation_checkpointing)
    optimizer = build_optimizer(model, config.optim, config.train.precision)
    scheduler = torch.optim.lr_scheduler.StepLR(
        optimizer, step_size=config.optim.step_size, gamma=config.optim.gamma
    )
    loss = method.build_loss(config.loss, data.group_counts).to(context.device)
    network = None if context.distributed else ForwardLoss(model, loss)  # see enter_phase
    return Trainer(
        config,
        context,
        data,
        model,
        network,
        loss,
        optimizer,
        scheduler,
        _loader(config, data, context),
    )


def _loader(config: RunConfig, data: TrainingData, context: ProcessContext) -> DataLoader:
    dataset = RealFakePairDataset(
        data.train_real.frame,
        data.train_fake.frame,
        size=config.model.image_size,
        seed=config.train.seed,
        skip_corrupt=config.data.skip_corrupt,
        augment=_augmenter(config),
    )
    sampler = None
    if context.distributed:  # the dataset already shuffles; each rank takes its share
        sampler = DistributedSampler(dataset, context.world_size, context.rank, shuffle=False)
    return DataLoader(
        dataset,
        batch_size=config.train.batch_size,
        sampler=sampler,
        shuffle=False,
        drop_last=not config.train.keep_last_batch
        and len(dataset) >= config.train.batch_size * context.world_size,
        num_workers=config.data.workers,
        collate_fn=collate_pairs,
        pin_memory=context.device.type == "cuda",
        persistent_workers=False,
    )


def _augmenter(config: RunConfig):
    if not config.data.augment:
        return None
    from fairdf.data.augment import Augmenter

    return Augmenter()


def _run_epoch(trainer: Trainer, session: RunSession, epoch: int, state: SavedState) -> SavedState:
    config, context = trainer.config, trainer.context
    started = time.perf_counter()
    lr = trainer.optimizer.param_groups[0]["lr"]
    skipped_train: set[str] = set()
    train_log = train_one_epoch(trainer, epoch, skipped_train)
    train_seconds = time.perf_counter() - started  # the steps and their data loading
    trainer.scheduler.step()
    if config.data.skip_corrupt:  # every rank took part; all ranks' images go on record
        skipped_train = set().union(*gather_objects(context, skipped_train))
    record = {"epoch": epoch + 1, "lr": lr, "world_size": context.world_size, "train": train_log}
    best, best_epoch = state.best, state.best_epoch
    if context.is_main:
        skipped_val: set[str] = set()
        record["val"] = validate(trainer, skipped_val)
        if config.data.skip_corrupt:
            record["skipped_images"] = {
                "train": skipped_record(skipped_train),
                "val": skipped_record(skipped_val),
            }
        record["seconds"] = round(time.perf_counter() - started, 3)
        record["train_seconds"] = round(train_seconds, 3)
        value = record["val"].get(config.train.best_metric)
        improved = value is not None and (
            best is None or (value > best if config.train.best_mode == "max" else value < best)
        )
        if improved:
            best, best_epoch = value, epoch + 1
        history = [*state.history, json.dumps(record)]
        state = SavedState(epoch + 1, best, best_epoch, history)
        with layout.deferred_interrupts(), session.writing(session.run_dir):
            training_state.save_epoch(session.run_dir, trainer, state, is_best=improved)
            session.completed = epoch + 1
        if trainer.events is not None:
            trainer.events.epoch(record)
        _log_epoch(record, config)
        _log_skipped(record, config)
    else:
        state = SavedState(epoch + 1, best, best_epoch, state.history)
    barrier(context)
    return state


def train_one_epoch(
    trainer: Trainer, epoch: int, skipped: set[str] | None = None
) -> dict[str, float]:
    """One pass over the fake images; returns the mean of each loss term.

    The img_path of each unreadable image of the batches used (`data.skip_corrupt`) is
    added to `skipped`.
    """
    config, context = trainer.config, trainer.context
    torch.manual_seed(config.train.seed * 100_003 + epoch)
    trainer.loader.dataset.set_epoch(epoch)
    if isinstance(trainer.loader.sampler, DistributedSampler):
        trainer.loader.sampler.set_epoch(epoch)
    trainer.enter_phase(_loss_config(config, epoch))
    trainer.model.train()
    totals: dict[str, float] = {}
    steps = 0
    limit = config.train.max_steps_per_epoch
    total_steps = len(trainer.loader) if limit is None else min(limit, len(trainer.loader))
    bar = tqdm(
        total=total_steps,
        desc=f"epoch {epoch + 1}/{config.train.epochs}",
        # None: shown only on a terminal (a log file would get every redraw)
        disable=None if config.train.progress and context.is_main else True,
        leave=False,
        file=sys.stderr,
    )
    for batch in trainer.loader:
        if steps == total_steps:
            break
        unreadable = batch.pop("unreadable", [])
        if skipped is not None:
            skipped.update(unreadable)
        if "image" not in batch:
            continue
        batch = {k: v.to(context.device, non_blocking=True) for k, v in batch.items()}
        if config.train.channels_last:
            batch["image"] = batch["image"].contiguous(memory_format=torch.channels_last)
        terms = optimizer_step(trainer, batch)
        if trainer.events is not None:
            trainer.events.step(epoch * total_steps + steps, terms)
        for name, value in terms.items():
            totals[name] = totals.get(name, 0.0) + value
        steps += 1
        bar.update(1)
        bar.set_postfix(loss=f"{terms['total']:.3f}")
    bar.close()
    if steps == 0:
        raise FairdfError("no training step ran: every batch was skipped or the data is empty")
    return {name: value / steps for name, value in totals.items()}


def _loss_config(config: RunConfig, epoch: int):
    """The configured loss, without the fairness term during the warm-up epochs."""
    if epoch < config.train.fairness_warmup_epochs:
        return dataclasses.replace(config.loss, fuse_weight=0.0)
    return config.loss


def validate(trainer: Trainer, skipped: set[str] | None = None) -> dict[str, float | None]:
    """Score the validation images (all of them, fixed order) and compute metrics.

    The img_path of each image skipped as unreadable (`data.skip_corrupt`) is added to
    `skipped`.
    """
    config = trainer.config
    scored = score_frame(
        trainer.model,
        trainer.data.validation_frame,
        image_size=config.model.image_size,
        device=trainer.context.device,
        batch_size=config.train.eval_batch_size,
        workers=config.data.workers,
        precision=config.train.precision,
        channels_last=config.train.channels_last,
        skip_corrupt=config.data.skip_corrupt,
    )
    if skipped is not None and len(scored) < len(trainer.data.validation_frame):
        skipped.update(skipped_images(trainer.data.validation_frame, scored))
    if not trainer.data.validation_has_groups:  # a group-free method on group-free data
        values = score_metrics(scored["label"].to_numpy(), scored["score"].to_numpy())
        return {key: None if value != value else value for key, value in values.items()}
    result = compute_metrics(scored, trainer.data.scheme).to_json_dict()
    flat = dict(result["overall"])
    flat.update(result["fairness"].get("intersectional", {}))
    return flat


def _log_epoch(record: dict, config: RunConfig) -> None:
    if not config.train.progress:
        return
    val = record["val"]

    def show(key: str) -> str:
        value = val.get(key)
        return "n/a" if value is None else f"{value:.4f}"

    logger.info(
        f"epoch {record['epoch']}/{config.train.epochs}  loss {record['train']['total']:.4f}  "
        f"val (fractions) AUC {show('auc')}  ACC {show('acc')}  F_FPR {show('F_FPR')}  "
        f"F_MEO {show('F_MEO')}  ({record['seconds']:.1f} s)"
    )


def skipped_record(paths: set[str]) -> dict:
    """The `skipped_images` entry of one split: exact count, the first img_paths sorted."""
    listed = sorted(paths)[:SKIPPED_LISTED]
    return {"count": len(paths), "images": listed, "truncated": len(paths) > len(listed)}


def _log_skipped(record: dict, config: RunConfig) -> None:
    """One warning line for an epoch that left out unreadable images."""
    skipped = record.get("skipped_images")
    if skipped is None or not (skipped["train"]["count"] or skipped["val"]["count"]):
        return
    parts = []
    for split, name in (("train", "training"), ("val", "validation")):
        entry = skipped[split]
        if entry["count"]:
            more = f" and {entry['count'] - 1} more" if entry["count"] > 1 else ""
            parts.append(f"{entry['count']} {name} ({entry['images'][0]}{more})")
    logger.warning(
        f"warning: epoch {record['epoch']}/{config.train.epochs}: skipped unreadable images "
        f"(data.skip_corrupt): {', '.join(parts)}; listed under skipped_images in metrics.jsonl"
    )
