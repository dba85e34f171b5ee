"""Views: ways of splitting the predictions into groups.

Every view assigns each row a group index. The scheme's views (intersectional, gender,
race) list all the scheme's groups, so a group absent from the data is reported; a
custom view (`--by COLUMN`) has the column's values as its groups, in sorted order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fairdf.data.attributes import AttributeScheme
from fairdf.data.groups import GENDERS
from fairdf.errors import DataError
from fairdf.metrics.predictions import PredictionTable

OVERALL = "overall"
SCHEME_VIEWS = ("intersectional", "gender", "race")


@dataclass(frozen=True)
class View:
    """A named split of the rows: `codes` (n,) int64 indexes `names`."""

    name: str
    codes: np.ndarray
    names: tuple[str, ...]

    @property
    def n_groups(self) -> int:
        return len(self.names)


def overall_view(n_rows: int) -> View:
    """All rows in one group."""
    return View(OVERALL, np.zeros(n_rows, dtype=np.int64), ("all",))


def scheme_views(table: PredictionTable) -> list[View]:
    """Intersectional groups, then each attribute (gender and race by default)."""
    scheme, group = table.scheme, table.group
    if isinstance(scheme, AttributeScheme):
        codes = scheme.attribute_codes(group)
        views = [View("intersectional", group, scheme.group_names)]
        for (column, values), code in zip(scheme.attributes, codes, strict=True):
            views.append(View(column, code.astype(np.int64), values))
        return views
    n_races = len(scheme.races)
    return [
        View("intersectional", group, scheme.group_names),
        View("gender", group // n_races, GENDERS),
        View("race", group % n_races, scheme.races),
    ]


def column_view(table: PredictionTable, column: str) -> View:
    """A view grouping by the values of a categorical column; missing values are errors."""
    if column not in table.frame.columns:
        columns = ", ".join(map(str, table.frame.columns))
        raise DataError(f"{table.source}: no column '{column}' to group by; columns are {columns}")
    values = table.frame[column]
    problems = table.problems()
    problems.add_rows(
        column,
        values.isna().to_numpy(),
        lambda i: "value is missing",
        f"give every row a {column}, or drop the rows without one",
    )
    problems.raise_if_any()
    codes, uniques = pd.factorize(values, sort=True)
    return View(column, codes.astype(np.int64), tuple(str(u) for u in uniques))


def build_views(table: PredictionTable, by: Iterable[str] = ()) -> list[View]:
    """The scheme's views followed by one view per `by` column."""
    views = scheme_views(table)
    for column in by:
        if column in (view.name for view in views[1:]):
            continue  # the scheme's attribute views, from the normalised names
        if column in (OVERALL, *(view.name for view in views)):
            raise DataError(f"--by {column}: '{column}' is already a view; choose another column")
        views.append(column_view(table, column))
    return views
