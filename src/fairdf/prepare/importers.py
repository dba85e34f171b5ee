"""Manifests from the files of two public benchmarks, their attribute names kept.

AI-Face-FairnessBench annotation CSV (one row per image):
    Image Path, Target (0 real / 1 fake), Ground Truth Gender / Age / Race (or Skin
    Tone), optionally Intersection, Uncertainty Score ..., Predicted Age
-> img_path, label, one column per attribute named without its "Ground Truth " prefix,
   snake_case (`gender`, `age`, `race`, `skin_tone`), numeric codes named as the
   benchmark's README defines them (`AIFACE_CODES`; a code it does not define is kept
   as written and reported); the other columns carried along in snake_case. The
   attribute scheme found (every value seen, in sorted order) is returned, to declare as
   `data.attributes` / `--attributes`.

DeepfakeBench dataset JSON:
    {dataset: {label_name: {split: [{compression:}] {video: {"label": name, "frames": [...]}}}}}
-> one manifest per split: img_path (each frame), label (0 when the label name contains
   'real', else 1), video, dataset, label_name, compression (when given), split.
   It has no demographic columns: join them with `fairdf prepare annotations`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from fairdf.data.attributes import AttributeScheme, scheme_from_mapping
from fairdf.documents import read_json
from fairdf.errors import DataError

AIFACE_PATH, AIFACE_TARGET, AIFACE_PREFIX = "Image Path", "Target", "Ground Truth "
AIFACE_EXPECTED = "Image Path, Target, Ground Truth Gender/Age/Race (or Skin Tone)"
DEEPFAKEBENCH_EXPECTED = (
    '{dataset: {label_name: {split: {[compression: ]{video: {"label": ..., "frames": [...]}}}}}}'
)


# The codes of AI-Face-FairnessBench's README. Version 2 (with "Skin Tone", on the Monk
# scale, kept as its number): its age list reads 0, 1, 3, 4, 5 (no 2). Version 1 (with
# "Race") has its own age codes. A file is version 1 when it has a race column.
AIFACE_GENDER = {"0": "female", "1": "male"}
AIFACE_CODES = {
    2: {
        "gender": AIFACE_GENDER,
        "age": {"0": "child", "1": "youth", "3": "adult", "4": "middle-aged", "5": "senior"},
    },
    1: {
        "gender": AIFACE_GENDER,
        "age": {"0": "young", "1": "middle-aged", "2": "senior", "3": "others"},
        "race": {"0": "asian", "1": "white", "2": "black", "3": "others"},
    },
}


def aiface_version(attributes: list[str]) -> int:
    """1 for the first annotation release (race), 2 for the second (skin tone)."""
    return 1 if "race" in attributes else 2


def name_codes(frame: pd.DataFrame, attributes: list[str]) -> list[str]:
    """Replace numeric codes by their names in place; the codes no table names, listed."""
    codes = AIFACE_CODES[aiface_version(attributes)]
    unnamed = []
    for attribute in attributes:
        table = codes.get(attribute)
        if table is None:
            continue
        values = frame[attribute].map(lambda v: _code(v))
        unknown = sorted(set(values) - set(table) - {""}, key=_natural)
        unnamed += [f"{attribute}={code}" for code in unknown]
        frame[attribute] = values.map(lambda v, t=table: t.get(v, v))
    return unnamed


def _code(value: str) -> str:
    """'1', '1.0' -> '1' (codes written as floats by some exports)."""
    try:
        number = float(value)
    except ValueError:
        return value
    return str(int(number)) if number.is_integer() else value


def snake_case(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def read_aiface(
    path: Path, *, root: Path | None = None, codes: bool = True
) -> tuple[pd.DataFrame, AttributeScheme, list[str]]:
    """An AI-Face-FairnessBench annotation CSV -> (manifest frame, its attribute scheme,
    the codes left unnamed). `root` prefixes relative image paths; `codes` False keeps
    the numeric codes."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        raise DataError(f"{path}: not a readable CSV; expected columns {AIFACE_EXPECTED}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    attributes = [c for c in raw.columns if c.startswith(AIFACE_PREFIX)]
    missing = [c for c in (AIFACE_PATH, AIFACE_TARGET) if c not in raw.columns]
    if missing or not attributes:
        raise DataError(
            f"{path}: not an AI-Face-FairnessBench annotation file (columns "
            f"{', '.join(raw.columns) or 'none'}); expected columns {AIFACE_EXPECTED}"
        )
    label = pd.to_numeric(raw[AIFACE_TARGET], errors="coerce")
    bad = ~label.isin((0, 1))
    if bad.any():
        line = int(bad.to_numpy().argmax()) + 2
        raise DataError(
            f"{path}, line {line}, column '{AIFACE_TARGET}': "
            f"'{raw[AIFACE_TARGET].iloc[line - 2]}' is not 0 (real) or 1 (fake)"
        )
    paths = raw[AIFACE_PATH].str.strip()
    if root is not None:
        paths = paths.map(lambda p: p if Path(p).is_absolute() else str(Path(root) / p))
    frame = pd.DataFrame({"img_path": paths, "label": label.astype(int)})
    names = {}
    for column in attributes:
        name = snake_case(column[len(AIFACE_PREFIX) :])
        names[name] = column
        frame[name] = raw[column].str.strip()
    for column in raw.columns:
        if column not in (AIFACE_PATH, AIFACE_TARGET, *attributes):
            frame[snake_case(column)] = raw[column]
    unnamed = name_codes(frame, list(names)) if codes else []
    values = {name: sorted(set(frame[name]) - {""}, key=_natural) for name in names}
    return frame, scheme_from_mapping(values, f"{path} (values found per attribute)"), unnamed


def _natural(value: str) -> tuple:
    return (0, float(value), value) if _is_number(value) else (1, 0.0, value)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_deepfakebench(path: Path) -> dict[str, pd.DataFrame]:
    """A DeepfakeBench dataset JSON -> {split: manifest frame} (frames, labels, videos)."""
    try:
        document = read_json(path)
    except (OSError, ValueError, UnicodeDecodeError):
        raise DataError(f"{path}: not readable JSON; expected {DEEPFAKEBENCH_EXPECTED}") from None
    rows: list[dict[str, Any]] = []
    if not isinstance(document, dict) or not document:
        raise DataError(f"{path}: expected {DEEPFAKEBENCH_EXPECTED}")
    for dataset, labels in document.items():
        for label_name, splits in _mapping(labels, path, dataset).items():
            for split, block in _mapping(splits, path, f"{dataset}/{label_name}").items():
                where = f"{dataset}/{label_name}/{split}"
                for compression, videos in _video_blocks(_mapping(block, path, where)):
                    rows += _video_rows(videos, path, dataset, label_name, split, compression)
    if not rows:
        raise DataError(f"{path}: no video with frames; expected {DEEPFAKEBENCH_EXPECTED}")
    table = pd.DataFrame(rows)
    if table["compression"].eq("").all():
        table = table.drop(columns=["compression"])
    return {
        split: part.reset_index(drop=True) for split, part in table.groupby("split", sort=False)
    }


def _mapping(value: Any, path: Path, where: str) -> dict:
    if not isinstance(value, dict):
        raise DataError(f"{path}: '{where}' is not a mapping; expected {DEEPFAKEBENCH_EXPECTED}")
    return value


def _is_video(value: Any) -> bool:
    return isinstance(value, dict) and "frames" in value


def _video_blocks(block: dict) -> list[tuple[str, dict]]:
    """[(compression, {video: info})]: FF++-style files nest videos under c23/c40."""
    if all(_is_video(v) for v in block.values()):
        return [("", block)]
    return [(str(level), videos) for level, videos in block.items() if isinstance(videos, dict)]


def _video_rows(
    videos: dict, path: Path, dataset: str, label_name: str, split: str, compression: str
) -> list[dict[str, Any]]:
    rows = []
    for video, info in videos.items():
        if not _is_video(info) or not isinstance(info["frames"], list):
            where = f"{dataset}/{label_name}/{split}/{video}"
            raise DataError(
                f"{path}: '{where}' has no frames list; expected {DEEPFAKEBENCH_EXPECTED}"
            )
        name = str(info.get("label", label_name))
        label = 0 if "real" in name.lower() else 1
        for frame in info["frames"]:
            rows.append(
                {
                    "img_path": str(frame),
                    "label": label,
                    "video": f"{dataset}/{video}",
                    "dataset": dataset,
                    "label_name": name,
                    "compression": compression,
                    "split": split,
                }
            )
    return rows
