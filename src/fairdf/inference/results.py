"""Results of `fairdf predict`: per-face scores, video aggregates, skipped inputs, files.

CSV (one row per scored face, then one row per video with `kind` = "video"):

    source, frame, kind, left, top, right, bottom, logit_real, logit_fake, score

`frame` is the frame index for video frames; the box is the face in source pixels
(empty with `--no-align`); a video row holds only `source`, `kind` and the aggregate
`score`. JSON: {"items": [...], "videos": [...], "no_face": [...], "unreadable": [...]}.
Inputs without a face and unreadable files are listed, not fatal.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fairdf.errors import ConfigError, UnknownNameError
from fairdf.io import atomic_path

CSV_COLUMNS = (
    "source", "frame", "kind", "left", "top", "right", "bottom",
    "logit_real", "logit_fake", "score",
)  # fmt: skip
BOX_COLUMNS = ("left", "top", "right", "bottom")
AGGREGATES = {"mean": np.mean, "median": np.median, "max": np.max}
OUTPUT_SUFFIXES = (".csv", ".json")

Box = tuple[int, int, int, int]


@dataclass
class FaceScore:
    """The score of one face: in an image (`kind` "image") or a video frame ("frame")."""

    source: str
    kind: str
    frame: int | None
    box: Box | None  # left, top, right, bottom in source pixels; None without alignment
    logit_real: float
    logit_fake: float
    score: float  # p(fake) = softmax(logits)[1]

    def row(self) -> dict:
        box = dict(zip(BOX_COLUMNS, self.box or (None,) * 4, strict=True))
        return {
            "source": self.source,
            "frame": self.frame,
            "kind": self.kind,
            **box,
            "logit_real": self.logit_real,
            "logit_fake": self.logit_fake,
            "score": self.score,
        }


@dataclass
class VideoScore:
    """A video's aggregate of its frame scores."""

    source: str
    score: float
    aggregate: str
    frames: int  # frames with a scored face
    sampled: int  # frames sampled and decoded


@dataclass
class Skipped:
    """An input that gave no score, and why."""

    source: str
    kind: str  # "image", "frame" or "video"
    frame: int | None = None
    reason: str = ""


@dataclass
class PredictionReport:
    """Everything `fairdf predict` found."""

    items: list[FaceScore] = field(default_factory=list)
    videos: list[VideoScore] = field(default_factory=list)
    no_face: list[Skipped] = field(default_factory=list)
    unreadable: list[Skipped] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """The CSV layout: face rows, then video rows."""
        rows = [item.row() for item in self.items]
        rows += [{"source": v.source, "kind": "video", "score": v.score} for v in self.videos]
        frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
        for column in ("frame", *BOX_COLUMNS):
            frame[column] = frame[column].astype("Int64")
        return frame

    def to_json(self) -> dict:
        return {
            "items": [
                {**asdict(item), "box": list(item.box) if item.box else None} for item in self.items
            ],
            "videos": [asdict(video) for video in self.videos],
            "no_face": [
                {k: v for k, v in asdict(s).items() if k != "reason"} for s in self.no_face
            ],
            "unreadable": [{"source": s.source, "reason": s.reason} for s in self.unreadable],
        }

    def summary(self) -> str:
        """One line: how many faces, images and videos were scored and skipped."""
        images = len({item.source for item in self.items if item.kind == "image"})
        return (
            f"{len(self.items)} face(s) scored: {images} image(s), {len(self.videos)} video(s); "
            f"{len(self.no_face)} without a face, {len(self.unreadable)} unreadable"
        )


def check_aggregate(name: str) -> str:
    """`name` if it is a known aggregate, else UnknownNameError listing them."""
    if name not in AGGREGATES:
        raise UnknownNameError("aggregate", name, tuple(AGGREGATES))
    return name


def aggregate_scores(scores: Sequence[float], how: str = "mean") -> float:
    """The video score from its frame scores (NaN when there are none)."""
    check_aggregate(how)
    if len(scores) == 0:
        return math.nan
    return float(AGGREGATES[how](np.asarray(scores, dtype=np.float64)))


def check_output_path(path: str | Path) -> Path:
    """`path` if its suffix names an output format (.csv or .json), else ConfigError."""
    path = Path(path)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise ConfigError(
            f"--out {path}: the suffix chooses the format; use a name ending in .csv or .json"
        )
    if path.is_dir():
        raise ConfigError(f"--out {path} is a folder; give a .csv or .json file name")
    return path


def write_report(report: PredictionReport, path: str | Path) -> Path:
    """Write `report` as CSV or JSON (by suffix), atomically."""
    path = check_output_path(path)
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".json":
            text = json.dumps(report.to_json(), indent=2, allow_nan=True)
            tmp.write_text(text + "\n", encoding="utf-8")
        else:
            report.table().to_csv(tmp, index=False)
    return path


def format_table(report: PredictionReport) -> str:
    """The CSV layout as a readable text table."""
    table = report.table()
    if table.empty:
        return "(no scores)"
    shown = pd.DataFrame(
        {column: [_cell(value) for value in table[column]] for column in table.columns}
    )
    return shown.to_string(index=False)


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.4f}" if isinstance(value, float) else str(value)
