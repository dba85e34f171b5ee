"""Import demographic attribute tables and match them to crops (`prepare annotations`).

Input tables (CSV) key each row by `path` (an image path relative to the dataset root,
as in the per-image tables of the massively annotated DeepFake databases) or by `video`
(a video name or path). Attribute columns: `male`, `white`, `black` and optionally
`asian` (an `is` prefix is accepted), valued 1 / -1 / 0 with 0 = undefined; any other
column holding only 1/-1/0 (e.g. `young`) is carried along as an extra attribute.

A row's gender is undefined when `male` is 0; its race is undefined when no race column
is 1 and some are 0, or when more than one is 1. `undefined="drop"` drops such rows;
`"keep"` keeps them, writes the undefined attributes as -1 (so they count as non-male /
other race in the groups) and names them in an `undefined` column.

Matching: a row's key (without suffix) matches the crops whose `image` (key `path`) or
`video` (key `video`) ends with it, component-wise; the longest matching tail of the key
wins, so `FF++/manipulated_sequences/Deepfakes/c23/videos/000_003.mp4` and a bare
`000_003` both work. A `path` key needs at least its last two components to match.
Output `annotations.csv`: `crop` (relative to its folder), `ismale`, [`isasian`],
`iswhite`, `isblack`, extras, `undefined`; written atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from fairdf.data.groups import GroupScheme, get_scheme
from fairdf.errors import ConfigError, DataError
from fairdf.prepare.crops import read_faces_index
from fairdf.prepare.files import listing, read_table, resolve, to_relative, write_table

KEY_KINDS = ("path", "video")
UNDEFINED_POLICIES = ("keep", "drop")
RACES = ("asian", "white", "black")
RESERVED = {"label", "intersec_label", "spe_label", "split", "group", "crop", "img_path", "frame"}


@dataclass
class AnnotationSummary:
    rows: int
    undefined: int  # rows with an undefined gender or race
    conflicting: int  # rows marking more than one race (counted within `undefined`)
    dropped: int
    unmatched_rows: list[str]  # keys of annotation rows that match no crop
    crops: int  # crops indexed
    annotated: int  # crops given attributes
    ambiguous: int  # crops matched by rows of equal specificity with different values
    path: Path


def _attribute_name(column: str) -> str:
    name = column.strip().lower()
    return name[2:] if name.startswith("is") and name[2:] in ("male", *RACES) else name


def _values(table: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(table[column].str.strip(), errors="coerce")


def read_attribute_table(path: Path, key: str | None = None) -> tuple[pd.DataFrame, str]:
    """A table with a `key` column and integer attribute columns; also the key kind."""
    table = read_table(path, (), "annotation table")
    table.columns = [_attribute_name(c) for c in table.columns]
    kind = key or next((k for k in KEY_KINDS if k in table.columns), None)
    if kind not in table.columns:
        wanted = f"a '{key}'" if key else "a 'path' or 'video'"
        raise DataError(
            f"{path}: annotation table needs {wanted} column "
            f"(header has: {', '.join(table.columns)})"
        )
    missing = [c for c in ("male", "white", "black") if c not in table.columns]
    if missing:
        raise DataError(f"{path}: annotation table lacks attribute column(s) {', '.join(missing)}")
    group_columns = [c for c in ("male", *RACES) if c in table.columns]
    _check_values(table, group_columns, path)
    extras = [
        c
        for c in table.columns
        if c not in (*KEY_KINDS, *group_columns)
        and c not in RESERVED
        and _values(table, c).isin([1, -1, 0]).all()
    ]
    result = pd.DataFrame({"key": table[kind].str.strip()})
    for column in group_columns + extras:
        result[column] = _values(table, column).astype(np.int64)
    return result, kind


def _check_values(table: pd.DataFrame, columns: list[str], path: Path) -> None:
    problems = []
    for column in columns:
        bad = ~_values(table, column).isin([1, -1, 0])
        problems += [
            f"line {i + 2} column '{column}' value '{table[column].iat[i]}'"
            for i in np.flatnonzero(bad.to_numpy())
        ]
    if problems:
        raise DataError(
            f"{path}: {len(problems)} attribute value(s) are not 1, -1 or 0: {listing(problems)}"
        )


def read_attribute_tables(
    paths: Sequence[Path], key: str | None = None
) -> tuple[pd.DataFrame, str]:
    """Concatenate several tables; they must share the key kind and group attributes."""
    tables = [read_attribute_table(Path(p), key) for p in paths]
    kinds = {kind for _, kind in tables}
    if len(kinds) > 1:
        raise DataError("the annotation tables mix 'path' and 'video' keys; pass --key")
    has_asian = {"asian" in table.columns for table, _ in tables}
    if len(has_asian) > 1:
        raise DataError("some annotation tables have an 'asian' column and some do not")
    return pd.concat([t for t, _ in tables], ignore_index=True), kinds.pop()


def resolve_undefined(table: pd.DataFrame, policy: str) -> tuple[pd.DataFrame, int, int]:
    """Apply the undefined-value policy; return (table, undefined rows, conflicting rows)."""
    if policy not in UNDEFINED_POLICIES:
        raise ConfigError(f"unknown --undefined '{policy}'; valid: keep, drop")
    races = [c for c in RACES if c in table.columns]
    marked = (table[races] == 1).sum(axis=1)
    conflicting = marked > 1
    race_undefined = conflicting | ((marked == 0) & (table[races] == 0).any(axis=1))
    gender_undefined = table["male"] == 0
    undefined = race_undefined | gender_undefined
    table = table.copy()
    defined_race = ~race_undefined
    table.loc[defined_race, races] = table.loc[defined_race, races].replace(0, -1)
    if policy == "drop":
        kept = table[~undefined].reset_index(drop=True)
        return kept, int(undefined.sum()), int(conflicting.sum())
    table.loc[gender_undefined, "male"] = -1
    table.loc[race_undefined, races] = -1
    separator = np.where(gender_undefined & race_undefined, ";", "")
    names = np.where(gender_undefined, "male", "") + separator
    table["undefined"] = names + np.where(race_undefined, "race", "")
    return table, int(undefined.sum()), int(conflicting.sum())


def _parts(key: str) -> tuple[str, ...]:
    parts = [p for p in key.replace("\\", "/").split("/") if p not in ("", ".")]
    if parts:
        parts[-1] = PurePosixPath(parts[-1]).stem if "." in parts[-1] else parts[-1]
    return tuple(parts)


def match_rows(keys: Sequence[str], targets: Sequence[str], min_parts: int) -> list[list[int]]:
    """For each key, the indices of `targets` whose tail equals the key's longest tail.

    Tails shorter than `min_parts` components (or the whole key, if shorter) never match.
    """
    tails: dict[tuple[str, ...], list[int]] = {}
    for index, target in enumerate(targets):
        parts = _parts(target)
        for start in range(len(parts)):
            tails.setdefault(parts[start:], []).append(index)
    matches = []
    for key in keys:
        parts = _parts(key)
        shortest = min(min_parts, len(parts))
        found: list[int] = []
        for start in range(0, len(parts) - shortest + 1):
            if parts[start:] in tails:
                found = tails[parts[start:]]
                break
        matches.append(found)
    return matches


def import_annotations(
    tables: Sequence[Path],
    faces_csv: Path,
    out: Path,
    *,
    key: str | None = None,
    undefined: str = "drop",
) -> AnnotationSummary:
    """Match attribute tables to the crops of `faces_csv`; write `out` (annotations.csv)."""
    if key is not None and key not in KEY_KINDS:
        raise ConfigError(f"unknown --key '{key}'; valid: {', '.join(KEY_KINDS)}")
    table, kind = read_attribute_tables(tables, key)
    rows = len(table)
    table, n_undefined, n_conflicting = resolve_undefined(table, undefined)
    faces = read_faces_index(faces_csv)
    targets = faces["image" if kind == "path" else "video"].tolist()
    matches = match_rows(table["key"].tolist(), targets, 2 if kind == "path" else 1)
    best, ambiguous = _assign(table, matches)
    if not best:
        raise DataError(
            f"none of the {len(table)} annotation row(s) match a crop of {faces_csv} "
            f"(first key: '{table['key'].iat[0] if len(table) else ''}', first crop "
            f"{kind}: '{targets[0]}'); check --key and the paths in the table"
        )
    attributes = [c for c in table.columns if c != "key"]
    chosen = sorted(best)
    output = table.iloc[[best[i][1] for i in chosen]][attributes].reset_index(drop=True)
    output.insert(0, "crop", [to_relative(faces["path"].iat[i], Path(out).parent) for i in chosen])
    output = output.rename(columns={c: f"is{c}" for c in ("male", *RACES)})
    path = write_table(output, Path(out))
    unmatched = [k for k, found in zip(table["key"], matches, strict=True) if not found]
    return AnnotationSummary(
        rows=rows,
        undefined=n_undefined,
        conflicting=n_conflicting,
        dropped=rows - len(table),
        unmatched_rows=unmatched,
        crops=len(faces),
        annotated=len(chosen),
        ambiguous=ambiguous,
        path=path,
    )


def _assign(
    table: pd.DataFrame, matches: list[list[int]]
) -> tuple[dict[int, tuple[int, int]], int]:
    """Crop index -> (specificity, table row); the longest key wins, the first on ties."""
    keys = table["key"].tolist()
    values = table.drop(columns="key").to_numpy()
    best: dict[int, tuple[int, int]] = {}
    ambiguous = set()
    for row, crops in enumerate(matches):
        specificity = len(_parts(keys[row]))
        for crop in crops:
            if crop not in best or specificity > best[crop][0]:
                best[crop] = (specificity, row)
            elif specificity == best[crop][0] and not np.array_equal(
                values[row], values[best[crop][1]]
            ):
                ambiguous.add(crop)
    return best, len(ambiguous)


def read_annotations(path: Path) -> tuple[pd.DataFrame, GroupScheme]:
    """annotations.csv with an absolute `path` per crop and its group scheme.

    The scheme is the 8-group numbering (ffpp) when the table has `isasian`, else the
    6-group one (celebdf).
    """
    path = Path(path)
    frame = read_table(path, ("crop", "ismale", "iswhite", "isblack"), "annotations file")
    attributes = [c for c in ("ismale", "isasian", "iswhite", "isblack") if c in frame.columns]
    for column in attributes:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = np.flatnonzero(~values.isin([1, -1]).to_numpy())
        if len(bad):
            raise DataError(
                f"{path}, line {bad[0] + 2}, column '{column}': value "
                f"'{frame[column].iat[bad[0]]}' is not 1 or -1; re-run prepare annotations"
            )
        frame[column] = values.astype(np.int64)
    frame["path"] = [resolve(path.parent, crop) for crop in frame["crop"]]
    repeated = frame["path"].duplicated()
    if repeated.any():
        line = int(np.flatnonzero(repeated.to_numpy())[0]) + 2
        raise DataError(f"{path}, line {line}: crop '{frame['crop'].iat[line - 2]}' appears twice")
    return frame, get_scheme("ffpp" if "isasian" in frame.columns else "celebdf")
