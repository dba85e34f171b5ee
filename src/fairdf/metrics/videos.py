"""Video-level predictions: one row per video, its frame scores aggregated.

A video's label, group and every column named in `constant` (e.g. `--by` columns) must
be the same on all its frames; its score is the mean (default), median or max of its
frame scores. The result is an ordinary `PredictionTable` with one row per video (in
order of first appearance) and an `n_frames` column, so every frame-level metric and
the bootstrap (which then resamples videos) apply unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from fairdf.errors import DataError, UnknownNameError
from fairdf.metrics.predictions import PredictionTable

AGGREGATES = ("mean", "median", "max")
DEFAULT_VIDEO_COLUMN = "video"
# columns whose frame values do not describe the video (dropped from the video table)
FRAME_COLUMNS = ("logit_real", "logit_fake", "img_path", "path")


def default_video_column(frame: pd.DataFrame, requested: str | None) -> str | None:
    """`requested` ('none' turns video level off), else 'video' when the table has it."""
    if requested is not None:
        return None if requested.lower() == "none" else requested
    return DEFAULT_VIDEO_COLUMN if DEFAULT_VIDEO_COLUMN in frame.columns else None


def video_predictions(
    table: PredictionTable,
    column: str,
    aggregate: str = "mean",
    constant: Iterable[str] = (),
) -> PredictionTable:
    """One row per video of `table`; raises DataError naming a video whose label varies."""
    if aggregate not in AGGREGATES:
        raise UnknownNameError("video aggregate", aggregate, AGGREGATES)
    frame = table.frame
    if column not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise DataError(
            f"{table.source}: no video column '{column}'; columns are {columns} "
            "(pass --video-column COL, or --video-column none for frame level only)"
        )
    problems = table.problems()
    problems.add_rows(
        column,
        frame[column].isna().to_numpy(),
        lambda i: "video name is missing",
        "give every frame its video, or pass --video-column none",
    )
    problems.raise_if_any()
    codes, names = pd.factorize(frame[column])
    for name, label in (("label", "label"), ("group", "group"), *((c, c) for c in constant)):
        _require_constant(table, codes, names, column, name, label)
    first = np.unique(codes, return_index=True)[1]
    videos = frame.iloc[first].drop(columns=[c for c in FRAME_COLUMNS if c in frame.columns])
    scores = pd.Series(table.score).groupby(codes).agg(aggregate).to_numpy()
    videos = videos.assign(score=scores, n_frames=np.bincount(codes)).reset_index(drop=True)
    source = f"{table.source} (videos of '{column}', {aggregate} of frame scores)"
    return PredictionTable(videos, table.scheme, source, table.convention, first_line=None)


def _require_constant(
    table: PredictionTable,
    codes: np.ndarray,
    names: pd.Index,
    column: str,
    checked: str,
    label: str,
) -> None:
    """Raise DataError naming the first video whose `checked` column varies."""
    if checked not in table.frame.columns:
        raise DataError(f"{table.source}: no column '{checked}' to check per video")
    values = pd.Series(pd.factorize(table.frame[checked])[0])
    per_video = values.groupby(codes)
    varies = (per_video.min() != per_video.max()).to_numpy()
    if not varies.any():
        return
    video = int(np.flatnonzero(varies)[0])
    rows = np.flatnonzero(codes == video)
    other = rows[np.flatnonzero(values.to_numpy()[rows] != values.to_numpy()[rows[0]])[0]]
    where = table.problems().where
    shown = table.frame[checked].iloc
    first, second = shown[rows[0]], shown[other]
    if checked == "group":  # show group names, not ids
        first, second = (table.scheme.group_names[int(g)] for g in (first, second))
    raise DataError(
        f"{table.source}: video '{names[video]}' (column '{column}') has {label} "
        f"{first!s} at {where(int(rows[0]))} but {second!s} at {where(int(other))}; "
        f"a video's {label} must be the same on all its frames (fix the rows, or pass "
        "--video-column none)"
    )
