"""Group schemes declared by their attributes, e.g. gender x skin tone x age.

An `AttributeScheme` lists attributes (a column name and its values, in order); the
intersectional groups are the product of the values, numbered row-major (the first
attribute varies slowest), named by joining the values with '-'. Values in a table are
matched case-insensitively after stripping spaces. Declared in a run config

    data:
      attributes: {gender: [male, female], skin_tone: [light, dark], age: [young, old]}

or for `fairdf metrics` / `fairdf report` as `--attributes gender=male,female age=young,old`
or `--attributes scheme.yaml` (a YAML or JSON file holding that mapping).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairdf.errors import ConfigError

RESERVED = ("label", "score", "group", "intersectional", "overall", "path", "video")
MAX_GROUPS = 4096


@dataclass(frozen=True)
class AttributeScheme:
    """Intersectional groups = product of `attributes`: ((column, (value, ...)), ...)."""

    attributes: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def name(self) -> str:
        return " x ".join(column for column, _ in self.attributes)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(column for column, _ in self.attributes)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(values) for _, values in self.attributes)

    @property
    def n_groups(self) -> int:
        return math.prod(self.shape)

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple("-".join(combo) for combo in product(*(v for _, v in self.attributes)))

    def group_name(self, group_id: int) -> str:
        return self.group_names[group_id]

    def attribute_codes(self, group_ids: np.ndarray) -> list[np.ndarray]:
        """Value index of each attribute per group id: one (n,) array per attribute."""
        return list(np.unravel_index(np.asarray(group_ids), self.shape))

    def value_indices(self, frame: pd.DataFrame) -> list[np.ndarray]:
        """Per attribute, the index of each row's value (n,); -1 for an unknown value."""
        indices = []
        for column, values in self.attributes:
            names = frame[column].astype(str).str.strip().str.lower().to_numpy()
            lookup = pd.Index([v.lower() for v in values])
            indices.append(lookup.get_indexer(names))
        return indices

    def ids_from_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Group id per row (n,) int64 from the attribute columns; -1 where a value is unknown."""
        indices = self.value_indices(frame)
        valid = np.logical_and.reduce([index >= 0 for index in indices])
        ids = np.ravel_multi_index([np.maximum(i, 0) for i in indices], self.shape)
        return np.where(valid, ids, -1).astype(np.int64)

    def to_dict(self) -> dict[str, list[str]]:
        return {column: list(values) for column, values in self.attributes}


def scheme_from_mapping(mapping: Any, where: str) -> AttributeScheme:
    """Check a {column: [values]} mapping; `where` names its source in errors."""
    example = "e.g. {gender: [male, female], age: [young, old]}"
    if not isinstance(mapping, Mapping) or not mapping:
        raise ConfigError(f"{where}: expected a mapping of columns to their values, {example}")
    attributes = []
    for column, values in mapping.items():
        column = str(column).strip()
        if column.lower() in RESERVED or not column:
            raise ConfigError(f"{where}: '{column}' cannot be an attribute column; rename it")
        if isinstance(values, str):
            values = values.split(",")
        if not isinstance(values, (list, tuple)):
            raise ConfigError(f"{where}: attribute '{column}' needs a list of values, {example}")
        names = tuple(str(v).strip() for v in values)
        lowered = [n.lower() for n in names]
        if len(names) < 2 or "" in names or len(set(lowered)) != len(names):
            raise ConfigError(
                f"{where}: attribute '{column}' needs at least 2 distinct non-empty values, "
                f"got {list(names)}"
            )
        attributes.append((column, names))
    scheme = AttributeScheme(tuple(attributes))
    if scheme.n_groups > MAX_GROUPS:
        raise ConfigError(f"{where}: {scheme.n_groups} groups is more than {MAX_GROUPS}")
    return scheme


def declared_scheme(table: Any, attributes: Any, scheme: Any = None) -> AttributeScheme:
    """The scheme that `attributes` declares for `table` (a DataFrame or PredictionTable).

    `attributes` is a {column: [values]} mapping, an `AttributeScheme`, or column names
    whose values are those present in the table (sorted).
    """
    if scheme is not None:
        raise ConfigError("give either a scheme or attributes, not both")
    if isinstance(attributes, AttributeScheme):
        return attributes
    if isinstance(attributes, str):
        attributes = [attributes]
    if not isinstance(attributes, Mapping):
        frame = getattr(table, "frame", table)
        missing = [c for c in attributes if c not in frame.columns]
        if missing:
            raise ConfigError(f"attributes: no column {missing[0]!r} in the table")
        attributes = {
            c: sorted(frame[c].dropna().astype(str).str.strip().unique()) for c in attributes
        }
    return scheme_from_mapping(attributes, "attributes")


def parse_attributes(texts: list[str]) -> AttributeScheme:
    """`--attributes` arguments: COLUMN=v1,v2 ... pairs, or one YAML/JSON file."""
    if len(texts) == 1 and "=" not in texts[0]:
        return _scheme_file(Path(texts[0]))
    mapping: dict[str, str] = {}
    for text in texts:
        column, sep, values = text.partition("=")
        if not sep:
            raise ConfigError(
                f"--attributes '{text}': expected COLUMN=value1,value2 (e.g. age=young,old) "
                "or a single YAML/JSON file"
            )
        if column.strip() in mapping:
            raise ConfigError(f"--attributes: column '{column.strip()}' is given twice")
        mapping[column.strip()] = values
    return scheme_from_mapping(mapping, "--attributes")


def _scheme_file(path: Path) -> AttributeScheme:
    import yaml

    from fairdf.documents import read_json, read_yaml
    from fairdf.yamlsafe import Refused, yaml_problem

    if not path.is_file():
        raise ConfigError(
            f"--attributes {path}: no such file; give COLUMN=value1,value2 pairs or a "
            "YAML/JSON file mapping columns to their values"
        )
    try:
        mapping = read_json(path) if path.suffix.lower() == ".json" else read_yaml(path)
    except Refused as exc:
        raise ConfigError(f"{path}: {yaml_problem(exc)}") from None
    except (ValueError, yaml.YAMLError, UnicodeDecodeError):
        raise ConfigError(f"{path}: not valid YAML/JSON; expected a mapping of columns") from None
    if isinstance(mapping, Mapping) and set(mapping) == {"attributes"}:
        mapping = mapping["attributes"]
    return scheme_from_mapping(mapping, str(path))
