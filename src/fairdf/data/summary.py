"""Readable summaries of manifests: counts per group x label and per method."""

from __future__ import annotations

import json

import pandas as pd

from fairdf.data.manifest import Manifest


def group_label_counts(manifest: Manifest) -> pd.DataFrame:
    """Rows: every group of the scheme (absent ones too); columns real, fake, total."""
    names = list(manifest.scheme.group_names)
    frame = manifest.frame
    counts = (
        pd.crosstab(frame["group"], frame["label"])
        .reindex(index=range(len(names)), columns=[0, 1], fill_value=0)
        .rename(columns={0: "real", 1: "fake"})
    )
    counts.index = pd.Index(names, name="group")
    counts.columns.name = None
    counts["total"] = counts["real"] + counts["fake"]
    return counts.astype(int)


METHODS_FILE = "methods.json"  # name -> spe_label, written by fairdf prepare manifests
MAX_METHODS_FILE = 1 << 20  # bytes; a larger methods.json is not read for names


def method_counts(manifest: Manifest) -> pd.Series:
    """Number of fake rows per method, indexed "id name" where the name is known (empty
    when the file has no fakes)."""
    fakes = manifest.frame[manifest.frame["label"] == 1]
    counts = fakes["method"].value_counts().sort_index().rename("fake images")
    names = method_names(manifest)
    counts.index = [f"{m} {names[m]}" if m in names else str(m) for m in counts.index]
    return counts


def method_names(manifest: Manifest) -> dict[int, str]:
    """Method id -> name, from a `method_name` column or a methods.json beside the file."""
    frame = manifest.frame
    if "method_name" in frame.columns:
        fakes = frame[frame["label"] == 1]
        return {
            int(m): str(rows["method_name"].mode().iat[0]) for m, rows in fakes.groupby("method")
        }
    path = manifest.source.parent / METHODS_FILE
    try:
        if not path.is_file() or path.stat().st_size > MAX_METHODS_FILE:
            return {}
        mapping = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}  # names are a courtesy: an unreadable file leaves the ids
    if not isinstance(mapping, dict):
        return {}
    return {v: str(k) for k, v in mapping.items() if isinstance(v, int) and not isinstance(v, bool)}


def group_warnings(manifest: Manifest) -> list[str]:
    """Groups with no real or no fake images (their FPR/TPR will be undefined).

    A file holding one class only (realtrain, faketrain, ...) is only checked for groups
    without any image.
    """
    counts = group_label_counts(manifest)
    has_real, has_fake = counts["real"].sum() > 0, counts["fake"].sum() > 0
    warnings = []
    for name, row in counts.iterrows():
        if row["total"] == 0:
            warnings.append(f"{manifest.name}: group {name} has no images")
        elif has_real and row["real"] == 0:
            warnings.append(f"{manifest.name}: group {name} has no real images (FPR undefined)")
        elif has_fake and row["fake"] == 0:
            warnings.append(f"{manifest.name}: group {name} has no fake images (TPR undefined)")
    return warnings
