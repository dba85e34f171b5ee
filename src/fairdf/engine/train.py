"""The training loop: `train_one_epoch`, `validate`, `train(config, run_dir)`.

Single process, or one process per device under torchrun (DistributedDataParallel).
Each epoch re-seeds torch from (seed, epoch) and the pairing of real and fake images
depends only on (seed, epoch), so a run resumed after any epoch ends with exactly the
weights of an uninterrupted run.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from tqdm import tqdm

from fairdf.config import RunConfig, dump_config
from fairdf.data.datasets import RealFakePairDataset, collate_pairs
from fairdf.engine import training_state
from fairdf.engine.data import TrainingData, load_training_data
from fairdf.engine.distributed import ProcessContext, barrier, setup_process, teardown
from fairdf.engine.evaluate import autocast_context, score_frame
from fairdf.engine.events import EventLog, open_event_log
from fairdf.engine.optimizer import build_optimizer, optimizer_step
from fairdf.errors import ConfigError, FairdfError
from fairdf.losses import DetectorLoss
from fairdf.metrics import compute_metrics
from fairdf.models import FairDetector
from fairdf.models.checkpointing import enable_activation_checkpointing


@dataclass
class Trainer:
    """Everything one training process holds."""

    config: RunConfig
    context: ProcessContext
    data: TrainingData
    model: FairDetector
    network: torch.nn.Module  # the model, or its DDP wrapper
    loss: DetectorLoss
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    loader: DataLoader
    events: EventLog | None = None  # optional TensorBoard logs


def train(config: RunConfig, run_dir: str | Path, *, resume: bool = False) -> Path:
    """Train per `config`, writing into `run_dir`; returns the run directory.

    A fresh run refuses an existing non-empty `run_dir`. Bad input is reported before
    the directory is created; a failure before the first checkpoint removes it again.
    """
    run_dir = Path(run_dir).resolve()
    context = setup_process(config.train.device)
    created = False
    try:
        if not resume and run_dir.exists() and any(run_dir.iterdir()):
            raise ConfigError(
                f"run directory {run_dir} exists and is not empty; use --resume or another --out"
            )
        trainer = build_trainer(config, context)
        start_epoch, best = 0, None
        if resume:
            start_epoch, best = training_state.load(run_dir, trainer)
        elif context.is_main:
            run_dir.mkdir(parents=True, exist_ok=True)
            created = True
            (run_dir / "config.yaml").write_text(dump_config(config))
        barrier(context)
        trainer.events = open_event_log(
            config.train.tensorboard, run_dir, config.train.tensorboard_every, context.is_main
        )
        for epoch in range(start_epoch, config.train.epochs):
            best = _run_epoch(trainer, run_dir, epoch, best)
            created = False  # a checkpoint exists: keep the directory from now on
        if trainer.events is not None:
            trainer.events.close()
        return run_dir
    except BaseException:
        if created and context.is_main:
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    finally:
        teardown(context)


def build_trainer(config: RunConfig, context: ProcessContext) -> Trainer:
    data = load_training_data(config)
    torch.manual_seed(config.train.seed)
    model = FairDetector(config.model).to(context.device)
    if config.train.channels_last:
        model = model.to(memory_format=torch.channels_last)
    enable_activation_checkpointing(model, config.train.activation_checkpointing)
    network = model
    if context.distributed:
        ids = [context.device.index] if context.device.type == "cuda" else None
        network = DistributedDataParallel(model, device_ids=ids)
    optimizer = build_optimizer(model, config.optim, config.train.precision)
    scheduler = torch.optim.lr_scheduler.StepLR(
        optimizer, step_size=config.optim.step_size, gamma=config.optim.gamma
    )
    loss = DetectorLoss(config.loss, data.group_counts).to(context.device)
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
        drop_last=len(dataset) >= config.train.batch_size * context.world_size,
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


def _run_epoch(trainer: Trainer, run_dir: Path, epoch: int, best: float | None) -> float | None:
    config, context = trainer.config, trainer.context
    started = time.perf_counter()
    lr = trainer.optimizer.param_groups[0]["lr"]
    train_log = train_one_epoch(trainer, epoch)
    trainer.scheduler.step()
    record = {"epoch": epoch + 1, "lr": lr, "world_size": context.world_size, "train": train_log}
    if context.is_main:
        record["val"] = validate(trainer)
        record["seconds"] = round(time.perf_counter() - started, 3)
        value = record["val"].get(config.train.best_metric)
        improved = value is not None and (
            best is None or (value > best if config.train.best_mode == "max" else value < best)
        )
        if improved:
            best = value
        training_state.save_epoch(run_dir, trainer, epoch + 1, best, is_best=improved)
        with open(run_dir / "metrics.jsonl", "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")
        if trainer.events is not None:
            trainer.events.epoch(record)
        _print_epoch(record, config)
    barrier(context)
    return best


def train_one_epoch(trainer: Trainer, epoch: int) -> dict[str, float]:
    """One pass over the fake images; returns the mean of each loss term."""
    config, context = trainer.config, trainer.context
    torch.manual_seed(config.train.seed * 100_003 + epoch)
    trainer.loader.dataset.set_epoch(epoch)
    if isinstance(trainer.loader.sampler, DistributedSampler):
        trainer.loader.sampler.set_epoch(epoch)
    trainer.loss.config = _loss_config(config, epoch)
    trainer.network.train()
    totals: dict[str, float] = {}
    steps = 0
    limit = config.train.max_steps_per_epoch
    total_steps = len(trainer.loader) if limit is None else min(limit, len(trainer.loader))
    bar = tqdm(
        total=total_steps,
        desc=f"epoch {epoch + 1}/{config.train.epochs}",
        disable=not (config.train.progress and context.is_main),
        leave=False,
        file=sys.stderr,
    )
    for batch in trainer.loader:
        if steps == total_steps:
            break
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


def compute_loss(trainer: Trainer, batch: dict[str, torch.Tensor]):
    """Forward + loss under the configured precision; returns the loss terms."""
    with autocast_context(trainer.context.device, trainer.config.train.precision):
        output = trainer.network(batch["image"])
        return trainer.loss(output, batch)


def validate(trainer: Trainer) -> dict[str, float | None]:
    """Score the validation images (all of them, fixed order) and compute metrics."""
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
    result = compute_metrics(scored, trainer.data.scheme).to_json_dict()
    flat = dict(result["overall"])
    flat.update(result["fairness"].get("intersectional", {}))
    return flat


def _print_epoch(record: dict, config: RunConfig) -> None:
    if not config.train.progress:
        return
    val = record["val"]

    def show(key: str) -> str:
        value = val.get(key)
        return "n/a" if value is None else f"{value:.4f}"

    print(
        f"epoch {record['epoch']}/{config.train.epochs}  loss {record['train']['total']:.4f}  "
        f"val AUC {show('auc')}  ACC {show('acc')}  F_FPR {show('F_FPR')}  "
        f"F_MEO {show('F_MEO')}  ({record['seconds']:.1f} s)",
        file=sys.stderr,
    )
