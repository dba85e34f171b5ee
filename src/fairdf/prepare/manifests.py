"""The five manifests of docs/formats.md, Manifests (`fairdf prepare manifest`).

Joins split.csv (crop, label, method, split) with annotations.csv (attributes per crop)
and writes `faketrain.csv`, `realtrain.csv`, `fakeval.csv`, `realval.csv` and `test.csv`
in the reference layout, plus `methods.json` (method name -> spe_label). `img_path`s are
relative to the output folder. Every file is written to a temporary beside its target
and validated with `fairdf.data.manifest.read_manifest`; only when all are valid are
they renamed into place, so a failure leaves the previous files untouched.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fairdf.data.groups import ATTRIBUTE_COLUMNS, GROUP_COLUMN, GroupScheme
from fairdf.data.manifest import METHOD_COLUMN, read_manifest, write_manifest
from fairdf.errors import DataError, ManifestError
from fairdf.io import atomic_path
from fairdf.prepare.annotations import read_annotations
from fairdf.prepare.files import read_table, resolve, to_relative

MANIFEST_FILES = ("faketrain", "realtrain", "fakeval", "realval", "test")
METHODS_FILE = "methods.json"
KEPT_COLUMNS = ("video",)


@dataclass
class ManifestSummary:
    counts: dict[str, int]  # rows per manifest
    methods: dict[str, int]
    scheme: GroupScheme
    unannotated: list[str]  # crops of split.csv without attributes (left out)
    folder: Path


def read_split(path: Path) -> pd.DataFrame:
    """split.csv with an absolute `path` per crop and integer labels."""
    path = Path(path)
    frame = read_table(path, ("crop", "label", "method", "split"), "split file")
    bad = frame.index[~frame["label"].isin(["0", "1"])]
    if len(bad):
        raise DataError(
            f"{path}, line {bad[0] + 2}, column 'label': '{frame['label'].iat[bad[0]]}' is not 0 or 1"
        )
    unknown = sorted(set(frame["split"]) - {"train", "val", "test"})
    if unknown:
        raise DataError(f"{path}: unknown split name(s) {', '.join(unknown)}; use train/val/test")
    frame["label"] = frame["label"].astype(int)
    frame["path"] = [resolve(path.parent, crop) for crop in frame["crop"]]
    return frame


def method_ids(frame: pd.DataFrame, order: Sequence[str] | None = None) -> dict[str, int]:
    """Method name -> 1..M over the fake rows: `order` if given, else sorted names."""
    names = sorted(set(frame.loc[frame["label"] == 1, "method"]))
    if "" in names:
        raise DataError("some fake crops have no manipulation method in split.csv")
    if order:
        missing = [n for n in names if n not in order]
        if missing:
            raise DataError(
                f"method(s) {', '.join(missing)} are in split.csv but not in --methods "
                f"({', '.join(order)}); add them"
            )
        names = list(dict.fromkeys(order))
    return {name: i + 1 for i, name in enumerate(names)}


def _select(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    if name == "test":
        return frame[frame["split"] == "test"]
    split = "train" if name.endswith("train") else "val"
    label = 1 if name.startswith("fake") else 0
    return frame[(frame["split"] == split) & (frame["label"] == label)]


def _manifest_rows(
    rows: pd.DataFrame, name: str, scheme: GroupScheme, methods: dict[str, int], folder: Path
) -> pd.DataFrame:
    attributes = [c for c in ATTRIBUTE_COLUMNS if c in rows.columns]
    extras = [c for c in rows.columns if c.startswith("_extra_")]
    table = pd.DataFrame({"img_path": [to_relative(p, folder) for p in rows["path"]]})
    table["label"] = rows["label"].to_numpy()
    for column in attributes:
        table[column] = rows[column].to_numpy()
    table[GROUP_COLUMN] = scheme.ids_from_attributes(table)
    if name in ("faketrain", "fakeval"):
        table[METHOD_COLUMN] = rows["method"].map(methods).to_numpy()
    for column in KEPT_COLUMNS:
        if column in rows.columns:
            table[column] = rows[column].to_numpy()
    for column in extras:
        table[column.removeprefix("_extra_")] = rows[column].to_numpy()
    return table


def build_manifests(
    split_csv: Path, annotations: Path, out: Path, methods: Sequence[str] | None = None
) -> ManifestSummary:
    """Write the five manifests and methods.json into folder `out` (module docstring)."""
    out = Path(out)
    split = read_split(split_csv)
    attributes, scheme = read_annotations(annotations)
    attributes = attributes.rename(
        columns={c: f"_extra_{c}" for c in attributes.columns if c not in ATTRIBUTE_COLUMNS}
    ).drop(columns="_extra_crop")
    joined = split.merge(attributes.rename(columns={"_extra_path": "path"}), on="path", how="left")
    missing = joined["ismale"].isna()
    unannotated = [str(p) for p in joined.loc[missing, "crop"]]
    joined = joined[~missing].copy()
    if joined.empty:
        raise DataError(
            f"no crop of {split_csv} has attributes in {annotations}; run prepare annotations "
            f"with the same faces index"
        )
    ids = method_ids(joined, methods)
    tables = {
        name: _manifest_rows(_select(joined, name), name, scheme, ids, out)
        for name in MANIFEST_FILES
    }
    _write_validated(tables, out, scheme, ids)
    return ManifestSummary(
        counts={name: len(t) for name, t in tables.items()},
        methods=ids,
        scheme=scheme,
        unannotated=unannotated,
        folder=out,
    )


def _write_validated(
    tables: dict[str, pd.DataFrame], out: Path, scheme: GroupScheme, methods: dict[str, int]
) -> None:
    """Write every table beside its target, validate all, then rename all into place."""
    with contextlib.ExitStack() as stack:
        for name, table in tables.items():
            tmp = stack.enter_context(atomic_path(out / f"{name}.csv"))
            write_manifest(table, tmp)
            role = "train" if name in ("faketrain", "fakeval") else "test"
            try:
                read_manifest(tmp, scheme, role=role, n_methods=max(len(methods), 1))
            except ManifestError as exc:
                message = str(exc).replace(tmp.name, f"{name}.csv")
                raise ManifestError(message, exc.problems) from None
        tmp = stack.enter_context(atomic_path(out / METHODS_FILE))
        tmp.write_text(json.dumps(methods, indent=2) + "\n", encoding="utf-8")
