"""Demographic group schemes (docs/formats.md, Manifests).

An intersectional group is gender x race, numbered gender-major. The 8-group scheme
(FF++, DFDC) has races asian/white/black/others; the 6-group scheme (Celeb-DF, DFD) has
no asian group. Attributes in manifests are 1 (yes) / -1 (no).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fairdf.errors import ManifestError, UnknownNameError

GENDERS = ("male", "nonmale")
ATTRIBUTE_COLUMNS = ("ismale", "isasian", "iswhite", "isblack")
GROUP_COLUMN = "intersec_label"


@dataclass(frozen=True)
class GroupScheme:
    """A numbering of intersectional groups: id = gender_index * len(races) + race_index."""

    name: str
    races: tuple[str, ...]

    @property
    def n_groups(self) -> int:
        return len(GENDERS) * len(self.races)

    @property
    def group_names(self) -> tuple[str, ...]:
        """Names in id order, e.g. ('male-asian', 'male-white', ...)."""
        return tuple(f"{g}-{r}" for g in GENDERS for r in self.races)

    @property
    def has_asian(self) -> bool:
        return "asian" in self.races

    def group_id(self, gender: str, race: str) -> int:
        if gender not in GENDERS:
            raise UnknownNameError("gender", gender, GENDERS)
        if race not in self.races:
            raise UnknownNameError(f"race of scheme '{self.name}'", race, self.races)
        return GENDERS.index(gender) * len(self.races) + self.races.index(race)

    def group_name(self, group_id: int) -> str:
        if not 0 <= group_id < self.n_groups:
            raise ManifestError(
                f"group id {group_id} is outside 0..{self.n_groups - 1} of scheme '{self.name}'"
            )
        return self.group_names[group_id]

    def id_from_name(self, name: str) -> int:
        if name not in self.group_names:
            raise UnknownNameError(f"group of scheme '{self.name}'", name, self.group_names)
        return self.group_names.index(name)

    def gender_of(self, group_ids: np.ndarray) -> np.ndarray:
        """Gender name per group id, as an object array."""
        return np.asarray(GENDERS, dtype=object)[np.asarray(group_ids) // len(self.races)]

    def race_of(self, group_ids: np.ndarray) -> np.ndarray:
        """Race name per group id, as an object array."""
        return np.asarray(self.races, dtype=object)[np.asarray(group_ids) % len(self.races)]

    def ids_from_attributes(self, frame: pd.DataFrame) -> np.ndarray:
        """Group id per row from the 1/-1 attribute columns (missing `isasian` = -1).

        A row marked with more than one race, or asian under a scheme without asian,
        gets id -1 (the caller reports it).
        """
        n = len(frame)

        def flag(column: str) -> np.ndarray:
            if column not in frame.columns:
                return np.zeros(n, dtype=bool)
            return _numeric(frame[column]) == 1

        male = flag("ismale")
        asian, white, black = flag("isasian"), flag("iswhite"), flag("isblack")
        n_races = asian.astype(int) + white + black
        race_index = np.full(n, self.races.index("others"))
        race_index[white] = self.races.index("white")
        race_index[black] = self.races.index("black")
        if self.has_asian:
            race_index[asian] = self.races.index("asian")
        ids = np.where(male, 0, 1) * len(self.races) + race_index
        invalid = (n_races > 1) | (asian & (not self.has_asian))
        return np.where(invalid, -1, ids)


_RACES_8 = ("asian", "white", "black", "others")
_RACES_6 = ("white", "black", "others")

SCHEMES: dict[str, GroupScheme] = {
    "ffpp": GroupScheme("ffpp", _RACES_8),
    "dfdc": GroupScheme("dfdc", _RACES_8),
    "celebdf": GroupScheme("celebdf", _RACES_6),
    "dfd": GroupScheme("dfd", _RACES_6),
}


def get_scheme(name: str | GroupScheme):
    """Look a scheme up by name (an unknown name lists the valid ones).

    A scheme object (`GroupScheme`, or an `attributes.AttributeScheme` declared by its
    attributes) is returned as it is.
    """
    from fairdf.data.attributes import AttributeScheme

    if isinstance(name, (GroupScheme, AttributeScheme)):
        return name
    try:
        return SCHEMES[name]
    except KeyError:
        raise UnknownNameError("group scheme", name, list(SCHEMES)) from None


def detect_scheme(frame: pd.DataFrame, source: str = "manifest") -> GroupScheme:
    """Pick the 8- or 6-group scheme that a manifest's columns and labels imply.

    Files without an `isasian` column are 6-group files (Celeb-DF/DFD layout). With
    `isasian`, the scheme whose numbering agrees with `intersec_label` on every row wins;
    if both agree (or there are no labels to compare), the 8-group scheme is assumed
    only when some row is asian or carries a label above 5, otherwise it is ambiguous.
    """
    if "isasian" not in frame.columns:
        return SCHEMES["celebdf"]
    if (_numeric(frame["isasian"]) == 1).any():
        return SCHEMES["ffpp"]
    if GROUP_COLUMN not in frame.columns:
        raise ManifestError(
            f"{source}: cannot tell the group scheme (no asian rows, no {GROUP_COLUMN}); "
            f"pass --scheme ({', '.join(SCHEMES)})"
        )
    labels = _numeric(frame[GROUP_COLUMN])
    agree = [
        s
        for s in (SCHEMES["ffpp"], SCHEMES["celebdf"])
        if np.array_equal(s.ids_from_attributes(frame), labels)
    ]
    if len(agree) == 1:
        return agree[0]
    if not agree:
        # Neither numbering matches every row; pick the one that matches more rows so
        # that validation can report the disagreeing rows.
        scores = [
            (np.sum(s.ids_from_attributes(frame) == labels), s)
            for s in (SCHEMES["ffpp"], SCHEMES["celebdf"])
        ]
        return max(scores, key=lambda t: t[0])[1]
    raise ManifestError(
        f"{source}: both the 8- and 6-group numbering fit; pass --scheme ({', '.join(SCHEMES)})"
    )


def _numeric(column: pd.Series) -> np.ndarray:
    """Numbers of a column read as text or numbers (unparseable values become NaN)."""
    if column.dtype.kind in "iuf":
        return column.to_numpy()
    return pd.to_numeric(column.astype(str).str.strip(), errors="coerce").to_numpy()


def attribute_views(scheme: GroupScheme) -> dict[str, tuple[str, ...]]:
    """The single-attribute views and their group names."""
    return {"gender": GENDERS, "race": scheme.races}
