"""Scoring manifests with the inference branches and turning scores into predictions tables."""

from __future__ import annotations

import contextlib

import pandas as pd
import torch
from torch.utils.data import DataLoader

from fairdf.data.datasets import ImageDataset, collate_images

PREDICTION_COLUMNS = ("logit_real", "logit_fake", "score")


def autocast_context(device: torch.device, precision: str):
    """Autocast for bf16/fp16, nothing for fp32."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


@torch.no_grad()
def score_frame(
    model: torch.nn.Module,
    frame: pd.DataFrame,
    *,
    image_size: int,
    device: torch.device,
    batch_size: int = 64,
    workers: int = 0,
    precision: str = "fp32",
    channels_last: bool = False,
    skip_corrupt: bool = False,
    progress=None,
    perturbation=None,
) -> pd.DataFrame:
    """Score every row of a manifest frame; returns the frame with logits and `score`.

    `model` must have `score(images (N, 3, S, S)) -> ScoreOutput(logits (N, 2), p_fake (N,))`.
    Rows whose image was skipped as corrupt are dropped from the result. `perturbation`
    (`fairdf.data.perturbations.Perturbation`) alters each decoded image first.
    """
    dataset = ImageDataset(frame, image_size, skip_corrupt=skip_corrupt, perturbation=perturbation)
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        num_workers=workers,
        collate_fn=collate_images,
        pin_memory=device.type == "cuda",
    )
    was_training = model.training
    model.eval()
    indices, logits = [], []
    for batch in loader:
        if "image" not in batch:
            continue
        images = batch["image"].to(device, non_blocking=True)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with autocast_context(device, precision):
            output = model.score(images)
        logits.append(output.logits.float().cpu())
        indices.append(batch["index"])
        if progress is not None:
            progress.update(len(images))
    model.train(was_training)
    return _predictions(frame, indices, logits)


def _predictions(frame: pd.DataFrame, indices: list, logits: list) -> pd.DataFrame:
    if not logits:
        result = frame.iloc[:0].copy()
        for column in PREDICTION_COLUMNS:
            result[column] = pd.Series(dtype=float)
        return result
    index = torch.cat(indices).numpy()
    values = torch.cat(logits)
    result = frame.iloc[index].copy()
    result["logit_real"] = values[:, 0].numpy()
    result["logit_fake"] = values[:, 1].numpy()
    result["score"] = torch.softmax(values.double(), dim=1)[:, 1].numpy()
    return result.reset_index(drop=True)


def predictions_table(scored: pd.DataFrame) -> pd.DataFrame:
    """The columns written to a predictions CSV: manifest columns + logits + score."""
    hidden = {"path", "group", "method"}
    return scored[[c for c in scored.columns if c not in hidden]]


def skipped_images(frame: pd.DataFrame, scored: pd.DataFrame) -> list[str]:
    """`img_path` of the manifest rows that have no score (skipped as unreadable)."""
    missing = ~frame["path"].isin(set(scored["path"])) if len(scored) else frame["path"].notna()
    return [str(p) for p in frame.loc[missing, "img_path"]]
