"""What `fairdf compare` compares: named models, their predictions, matched row by row.

Each input is a predictions CSV, or a folder written by `fairdf test` holding
`<testset>/predictions.csv` per test set (all inputs of one call the same kind). The
files of one test set must score the same images: the same `img_path` values, each
once, with the same label, group and grouping columns; row order may differ. The
tables are reordered to the first model's row order, so row i is one image everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fairdf.errors import ConfigError, DataError
from fairdf.metrics.predictions import PredictionTable, read_predictions
from fairdf.metrics.views import build_views, column_view

PREDICTIONS_NAME = "predictions.csv"
KEY_COLUMN = "img_path"
SINGLE = ""  # the test-set name when plain CSV files are compared


@dataclass(frozen=True)
class Models:
    """Model names (baseline first is not required) and, per test set, one path per model."""

    names: tuple[str, ...]
    baseline: str
    testsets: dict[str, tuple[Path, ...]]  # test set -> one predictions file per model


def resolve_models(
    paths: Sequence[str | os.PathLike],
    names: Sequence[str] | None = None,
    baseline: str | None = None,
) -> Models:
    """Check the inputs and names; find the test sets of `fairdf test` folders."""
    if len(paths) < 2:
        raise ConfigError(
            f"compare needs at least two predictions files or test folders, got {len(paths)}"
        )
    chosen = _names(paths, names)
    if baseline is None:
        baseline = chosen[0]
    elif baseline not in chosen:
        raise ConfigError(f"--baseline {baseline}: not a model name; names are {', '.join(chosen)}")
    return Models(chosen, baseline, _testsets([Path(p) for p in paths], chosen))


def _names(paths: Sequence[str | os.PathLike], names: Sequence[str] | None) -> tuple[str, ...]:
    if names is not None:
        if len(names) != len(paths):
            raise ConfigError(f"--names gives {len(names)} names for {len(paths)} inputs")
        chosen = tuple(names)
    else:
        stems = tuple(_default_name(Path(p)) for p in paths)
        chosen = stems if len(set(stems)) == len(stems) else tuple(str(p) for p in paths)
    for name in chosen:
        if not name.strip():
            raise ConfigError("--names: a model name is empty; give every model a name")
        if chosen.count(name) > 1:
            raise ConfigError(f"model name '{name}' is given twice; give each model its own name")
    return chosen


def _default_name(path: Path) -> str:
    """File stem; a generic `predictions.csv` is named after its folder."""
    if path.is_file() and path.name == PREDICTIONS_NAME:
        return path.parent.name
    return path.stem if path.is_file() else path.name


def _testsets(paths: list[Path], names: tuple[str, ...]) -> dict[str, tuple[Path, ...]]:
    for path in paths:
        if not path.exists():
            raise DataError(f"{path}: not found; give predictions CSVs or fairdf test folders")
    kinds = {_is_test_folder(path) for path in paths}
    if len(kinds) > 1:
        raise DataError("give either predictions CSVs or fairdf test folders, not a mix of both")
    if kinds == {False}:
        return {SINGLE: tuple(_single_file(path) for path in paths)}
    found = {name: _folder_testsets(path) for name, path in zip(names, paths, strict=True)}
    first_name, first = next(iter(found.items()))
    for name, sets in found.items():
        if sets.keys() != first.keys():
            missing = sorted(first.keys() ^ sets.keys())[0]
            holder = first_name if missing in first else name
            other = name if missing in first else first_name
            raise DataError(
                f"test set '{missing}' is in {holder}'s folder but not in {other}'s; "
                "compare folders written for the same test sets"
            )
    return {testset: tuple(found[name][testset] for name in names) for testset in first}


def _is_test_folder(path: Path) -> bool:
    return path.is_dir() and not (path / PREDICTIONS_NAME).is_file()


def _single_file(path: Path) -> Path:
    return path / PREDICTIONS_NAME if path.is_dir() else path


def _folder_testsets(folder: Path) -> dict[str, Path]:
    sets = {
        child.name: child / PREDICTIONS_NAME
        for child in sorted(folder.iterdir())
        if (child / PREDICTIONS_NAME).is_file()
    }
    if not sets:
        raise DataError(
            f"{folder}: no <testset>/{PREDICTIONS_NAME} inside; give a fairdf test --out folder"
        )
    return sets


def read_matched(
    paths: Sequence[Path],
    *,
    scheme: str | None = None,
    reference_convention: bool = False,
    by: Sequence[str] = (),
    cluster_by: str | None = None,
) -> list[PredictionTable]:
    """Read the files of one test set and reorder each to the first file's rows.

    Raises DataError naming the first rows that keep the files from scoring the same
    images (a missing or repeated img_path, a different label, group or column value).
    """
    tables = [read_predictions(path, scheme, reference_convention) for path in paths]
    for table in tables:
        build_views(table, by)  # validates the --by columns with the file's line numbers
        if cluster_by:
            column_view(table, cluster_by)
        _check_keys(table)
    first = tables[0]
    matched = [first]
    for table in tables[1:]:
        if table.scheme != first.scheme:
            raise DataError(
                f"{table.source}: scheme '{table.scheme.name}' but {first.source} has "
                f"'{first.scheme.name}'; pass --scheme"
            )
        order = _alignment(first, table)
        _check_columns(
            first, table, order, ["label", "group", *by, *([cluster_by] if cluster_by else [])]
        )
        matched.append(_reordered(table, order))
    return matched


def _line(table: PredictionTable, position: int) -> str:
    return table.problems().where(int(position))


def _check_keys(table: PredictionTable) -> None:
    if KEY_COLUMN not in table.frame.columns:
        raise DataError(
            f"{table.source}: no '{KEY_COLUMN}' column; compare matches the files' rows by "
            f"{KEY_COLUMN}"
        )
    keys = table.frame[KEY_COLUMN]
    repeated = keys.duplicated(keep=False).to_numpy()
    if repeated.any():
        first = int(np.flatnonzero(repeated)[0])
        again = int(np.flatnonzero(keys.to_numpy() == keys.iloc[first])[1])
        raise DataError(
            f"{table.source}: {_line(table, again)} repeats {KEY_COLUMN} {keys.iloc[first]!r} "
            f"of {_line(table, first)}; each image must be scored once"
        )


def _alignment(first: PredictionTable, table: PredictionTable) -> np.ndarray:
    """Positions (n,) in `table` of the first table's rows; raises on a missing image."""
    keys = pd.Index(table.frame[KEY_COLUMN].astype(str))
    first_keys = first.frame[KEY_COLUMN].astype(str)
    order = keys.get_indexer(first_keys)
    if (order < 0).any():
        row = int(np.flatnonzero(order < 0)[0])
        raise DataError(
            f"{first.source}, {_line(first, row)}: {KEY_COLUMN} {first_keys.iloc[row]!r} is "
            f"not in {table.source}; the files must score the same images"
        )
    if len(table) > len(first):
        extra = np.setdiff1d(np.arange(len(table)), order)
        row = int(extra[0])
        raise DataError(
            f"{table.source}, {_line(table, row)}: {KEY_COLUMN} "
            f"{table.frame[KEY_COLUMN].iloc[row]!r} is not in {first.source}; "
            "the files must score the same images"
        )
    return order


def _check_columns(
    first: PredictionTable, table: PredictionTable, order: np.ndarray, columns: list[str]
) -> None:
    for column in columns:
        ours = first.frame[column].to_numpy()
        theirs = table.frame[column].to_numpy()[order]
        differ = ours != theirs
        if differ.any():
            row = int(np.flatnonzero(differ)[0])
            what = "group" if column == "group" else column
            raise DataError(
                f"{table.source}, {_line(table, order[row])} and {first.source}, "
                f"{_line(first, row)} ({KEY_COLUMN} {first.frame[KEY_COLUMN].iloc[row]!r}): "
                f"{what} {_shown(table, column, order[row])} vs {_shown(first, column, row)}; "
                "the files must score the same images with the same labels and groups"
            )


def _shown(table: PredictionTable, column: str, row: int) -> str:
    if column == "group":
        return table.scheme.group_names[int(table.group[row])]
    return repr(str(table.frame[column].iloc[row]))


def _reordered(table: PredictionTable, order: np.ndarray) -> PredictionTable:
    frame = table.frame.iloc[order].reset_index(drop=True)
    return PredictionTable(frame, table.scheme, table.source, table.convention, None)
