"""Reading and checking a run's manifests before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fairdf.config import RunConfig
from fairdf.data.groups import GroupScheme
from fairdf.data.manifest import Manifest, read_manifest
from fairdf.errors import ConfigError, ManifestError


@dataclass
class TrainingData:
    scheme: GroupScheme
    train_real: Manifest
    train_fake: Manifest
    val_real: Manifest
    val_fake: Manifest
    group_counts: list[int]  # training images per group (LDAM margins)

    @property
    def validation_frame(self) -> pd.DataFrame:
        return pd.concat([self.val_real.frame, self.val_fake.frame], ignore_index=True)

    @property
    def validation_has_groups(self) -> bool:
        """False when a validation manifest had no demographic columns (group -1)."""
        return bool((self.validation_frame["group"] >= 0).all())


def load_training_data(config: RunConfig) -> TrainingData:
    """Read the four training/validation manifests, check they fit the model config.

    Methods that never read group ids (`uses_groups` False, e.g. dag_fdd) accept
    manifests without demographic columns; validation then reports no fairness metrics.
    """
    from fairdf.methods import get_method

    groups_optional = not get_method(config.model.method).uses_groups
    root = Path(config.data.root)
    names = {
        "data.train_real": config.data.train_real,
        "data.train_fake": config.data.train_fake,
        "data.val_real": config.data.val_real,
        "data.val_fake": config.data.val_fake,
    }
    scheme = config.data.scheme
    if config.data.attributes is not None:
        from fairdf.data.attributes import scheme_from_mapping

        scheme = scheme_from_mapping(config.data.attributes, "config key 'data.attributes'")
    manifests = {}
    for key, name in names.items():
        path = root / name
        if not path.is_file():
            raise ConfigError(f"config key '{key}': manifest {path} not found (data.root = {root})")
        manifests[key] = read_manifest(
            path,
            scheme,
            role="real" if key.endswith("_real") else "train",
            n_methods=config.model.n_methods,
            check_files=True,
            groups=not groups_optional,
        )
    schemes = {m.scheme.n_groups for m in manifests.values()}
    scheme = manifests["data.train_fake"].scheme
    if len(schemes) > 1:
        raise ManifestError(
            "the training and validation manifests use different group schemes "
            f"({sorted(schemes)} groups); set data.scheme or fix the files"
        )
    if scheme.n_groups != config.model.n_groups:
        raise ConfigError(
            f"config key 'model.n_groups' is {config.model.n_groups} but the manifests use "
            f"scheme '{scheme.name}' with {scheme.n_groups} groups; set model.n_groups="
            f"{scheme.n_groups} or use manifests of the right scheme"
        )
    train_real, train_fake = manifests["data.train_real"], manifests["data.train_fake"]
    _require_both_labels(train_real, train_fake)
    counts = config.data.group_counts or _count_groups(train_real, train_fake, scheme.n_groups)
    return TrainingData(
        scheme=scheme,
        train_real=train_real,
        train_fake=train_fake,
        val_real=manifests["data.val_real"],
        val_fake=manifests["data.val_fake"],
        group_counts=list(counts),
    )


def _require_both_labels(real: Manifest, fake: Manifest) -> None:
    for manifest, what in ((real, "real"), (fake, "fake")):
        if len(manifest) == 0:
            raise ManifestError(
                f"{manifest.source}: has no rows; the {what} training manifest must list "
                f"at least one {what} image"
            )
    if (real.frame["label"] != 0).any():
        raise ManifestError(
            f"{real.source}: the real training manifest must hold only label-0 rows"
        )
    if (fake.frame["label"] != 1).any():
        raise ManifestError(
            f"{fake.source}: the fake training manifest must hold only label-1 rows"
        )


def _count_groups(real: Manifest, fake: Manifest, n_groups: int) -> list[int]:
    groups = np.concatenate([real.frame["group"].to_numpy(), fake.frame["group"].to_numpy()])
    return np.bincount(groups[groups >= 0], minlength=n_groups).tolist()
