"""Readable summaries of manifests: counts per group x label and per method."""

from __future__ import annotations

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


def method_counts(manifest: Manifest) -> pd.Series:
    """Number of fake rows per method id (empty when the file has no fakes)."""
    fakes = manifest.frame[manifest.frame["label"] == 1]
    return fakes["method"].value_counts().sort_index().rename("fake images")


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
