"""The intersectional group of each prediction, from whichever columns a table has.

Three ways to give it, checked against each other when several are present:
- group ids: `intersec_label` (or `group_id`), numbered as in the scheme;
- the reference's attribute columns `ismale,isasian,iswhite,isblack` (1 / -1);
- name columns `gender` (male / nonmale, also female / non-male) and `race`.
A scheme declared by its attributes (`fairdf.data.attributes`) reads its own columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fairdf.data.attributes import AttributeScheme
from fairdf.data.groups import GENDERS, SCHEMES, GroupScheme, detect_scheme, get_scheme
from fairdf.errors import DataError
from fairdf.metrics.problems import Problems, shown

ID_COLUMNS = ("intersec_label", "group_id")
ATTRIBUTES = ("ismale", "isasian", "iswhite", "isblack")
REQUIRED_ATTRIBUTES = ("ismale", "iswhite", "isblack")
NAME_COLUMNS = ("gender", "race")
GENDER_ALIASES = {"female": "nonmale", "non-male": "nonmale", "non_male": "nonmale"}
RACE_ALIASES = {"other": "others"}
GROUP_HINT = (
    "give intersec_label (group id), ismale/iswhite/isblack[/isasian] (1/-1) or gender and race"
)


def id_column(frame: pd.DataFrame) -> str | None:
    return next((c for c in ID_COLUMNS if c in frame.columns), None)


def has_attributes(frame: pd.DataFrame) -> bool:
    return all(c in frame.columns for c in REQUIRED_ATTRIBUTES)


def has_names(frame: pd.DataFrame) -> bool:
    return all(c in frame.columns for c in NAME_COLUMNS)


def resolve_scheme(
    frame: pd.DataFrame, scheme: str | GroupScheme | None, source: str
) -> GroupScheme:
    """The scheme given, or the one the group columns imply (`detect_scheme`)."""
    if scheme is not None:
        return get_scheme(scheme)
    probe = _attribute_probe(frame)
    if probe is not None:
        return detect_scheme(probe, source)
    column = id_column(frame)
    if column is None:
        raise DataError(f"{source}: no group columns; {GROUP_HINT}")
    ids = pd.to_numeric(frame[column], errors="coerce")
    if (ids > 5).any():
        return SCHEMES["ffpp"]
    raise DataError(
        f"{source}: group ids 0..5 alone do not tell the 8- from the 6-group scheme; "
        f"pass --scheme ({', '.join(SCHEMES)})"
    )


def group_ids(frame: pd.DataFrame, scheme: GroupScheme, problems: Problems) -> np.ndarray:
    """Group id per row (n,) int64; rows with a problem get -1 and are reported."""
    if isinstance(scheme, AttributeScheme):
        return _ids_from_declared(frame, scheme, problems)
    found = []
    if (column := id_column(frame)) is not None:
        found.append((column, _ids_from_id_column(frame, column, scheme, problems)))
    if has_attributes(frame):
        found.append(
            ("/".join(_attribute_columns(frame)), _ids_from_attributes(frame, scheme, problems))
        )
    if has_names(frame):
        found.append(("gender/race", _ids_from_names(frame, scheme, problems)))
    if not found:
        raise DataError(f"{problems.source}: no group columns; {GROUP_HINT}")
    first_name, ids = found[0]
    for other_name, other in found[1:]:
        _check_agreement(first_name, ids, other_name, other, scheme, problems)
    return ids


def _ids_from_declared(
    frame: pd.DataFrame, scheme: AttributeScheme, problems: Problems
) -> np.ndarray:
    missing = [c for c in scheme.columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{problems.source}: no column '{missing[0]}' of the attribute scheme "
            f"({', '.join(scheme.columns)}); columns are {', '.join(map(str, frame.columns))}"
        )
    for (column, values), index in zip(scheme.attributes, scheme.value_indices(frame), strict=True):
        problems.add_rows(
            column,
            index < 0,
            lambda i, c=column: f"{shown(frame[c].iloc[i])} is not a declared value",
            f"use one of {', '.join(values)}",
        )
    return scheme.ids_from_frame(frame)


def _attribute_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in ATTRIBUTES if c in frame.columns]


def _attribute_probe(frame: pd.DataFrame) -> pd.DataFrame | None:
    """Numeric attribute columns (+ intersec_label) for `detect_scheme`, or None."""
    if has_attributes(frame):
        probe = pd.DataFrame(
            {c: pd.to_numeric(frame[c], errors="coerce") for c in _attribute_columns(frame)}
        )
    elif has_names(frame):
        gender = _normalised_names(frame["gender"], GENDER_ALIASES)
        race = _normalised_names(frame["race"], RACE_ALIASES)
        probe = pd.DataFrame({"ismale": np.where(gender == "male", 1, -1)})
        for name in ("asian", "white", "black"):
            probe[f"is{name}"] = np.where(race == name, 1, -1)
    else:
        return None
    if (column := id_column(frame)) is not None:
        probe["intersec_label"] = pd.to_numeric(frame[column], errors="coerce").to_numpy()
    return probe


def _ids_from_id_column(
    frame: pd.DataFrame, column: str, scheme: GroupScheme, problems: Problems
) -> np.ndarray:
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    valid = np.isfinite(values) & (values == np.round(values))
    valid &= (values >= 0) & (values < scheme.n_groups)
    problems.add_rows(
        column,
        ~valid,
        lambda i: f"group id {shown(raw.iloc[i])} is not an integer in 0..{scheme.n_groups - 1}",
        f"scheme '{scheme.name}' numbers its groups {', '.join(scheme.group_names)}",
    )
    return np.where(valid, np.nan_to_num(values), -1).astype(np.int64)


def _ids_from_attributes(
    frame: pd.DataFrame, scheme: GroupScheme, problems: Problems
) -> np.ndarray:
    numeric = {}
    valid = np.ones(len(frame), dtype=bool)
    for column in _attribute_columns(frame):
        raw = frame[column]
        values = pd.to_numeric(raw, errors="coerce")
        ok = values.isin((1, -1, 0)).to_numpy()
        problems.add_rows(
            column,
            ~ok,
            lambda i, raw=raw: f"value {shown(raw.iloc[i])} is not 1 (yes) or -1 (no)",
            "attribute columns hold 1 or -1",
        )
        numeric[column] = values.fillna(0).to_numpy()
        valid &= ok
    ids = scheme.ids_from_attributes(pd.DataFrame(numeric))
    races = [numeric[c] == 1 for c in ("isasian", "iswhite", "isblack") if c in numeric]
    several = np.sum(races, axis=0) > 1
    problems.add_rows(
        "isasian/iswhite/isblack",
        valid & several,
        lambda i: "more than one race is 1",
        "mark at most one race per row (none = others)",
    )
    problems.add_rows(
        "isasian",
        valid & ~several & (ids < 0),
        lambda i: f"asian, but scheme '{scheme.name}' has no asian group",
        "pass --scheme ffpp or dfdc for 8-group data",
    )
    return np.where(valid, ids, -1)


def _normalised_names(column: pd.Series, aliases: dict[str, str]) -> np.ndarray:
    """Lower-case, stripped, alias-resolved names (n,) object; missing values -> ''."""
    codes, uniques = pd.factorize(column)
    names = [aliases.get(n, n) for n in (str(u).strip().lower() for u in uniques)]
    return np.asarray([*names, ""], dtype=object)[codes]


def _ids_from_names(frame: pd.DataFrame, scheme: GroupScheme, problems: Problems) -> np.ndarray:
    indices = []
    for column, valid_names, aliases in (
        ("gender", GENDERS, GENDER_ALIASES),
        ("race", scheme.races, RACE_ALIASES),
    ):
        names = _normalised_names(frame[column], aliases)
        lookup = pd.Index(valid_names)
        index = lookup.get_indexer(names)
        problems.add_rows(
            column,
            index < 0,
            lambda i, c=column: f"{shown(frame[c].iloc[i])} is not a {c} of scheme '{scheme.name}'",
            f"use one of {', '.join(valid_names)}",
        )
        indices.append(index)
    gender_index, race_index = indices
    ids = gender_index * len(scheme.races) + race_index
    return np.where((gender_index >= 0) & (race_index >= 0), ids, -1)


def _check_agreement(
    name: str,
    ids: np.ndarray,
    other_name: str,
    other: np.ndarray,
    scheme: GroupScheme,
    problems: Problems,
) -> None:
    differ = (ids >= 0) & (other >= 0) & (ids != other)
    names = scheme.group_names
    problems.add_rows(
        name,
        differ,
        lambda i: f"group {names[ids[i]]} disagrees with {other_name} ({names[other[i]]})",
        "fix the row so that both give the same group",
    )
