"""Datasets: paired real/fake training data (docs/method.md, Input) and plain scoring data.

Items are dicts of tensors. A training batch made by `collate_pairs` holds the B reals
followed by the B fakes, as the detector and the losses expect. With `skip_corrupt=True`
an unreadable image becomes an `Unreadable` marker; the collate functions drop it, count
it (`skipped`) and pass its `img_path` on (`unreadable`), so that the process iterating
the loader can report it even when DataLoader workers decoded the images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from fairdf.data.transforms import load_image
from fairdf.errors import DataError, ImageError

Item = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Unreadable:
    """What a dataset yields, with `skip_corrupt=True`, for an image it cannot decode."""

    img_path: str  # as written in the manifest


class ImageDataset(Dataset):
    """One item per manifest row: image `(3, S, S)`, label, group, method, row index.

    With `skip_corrupt=True` an unreadable image yields `Unreadable(img_path)` (dropped
    by the collate functions, which count and name it) instead of raising ImageError.
    """

    def __init__(
        self, frame: pd.DataFrame, size: int, skip_corrupt: bool = False, perturbation=None
    ):
        self.paths = frame["path"].tolist()
        # the manifest's own spelling, for reports; frames built by hand may lack it
        self.img_paths = (frame["img_path"] if "img_path" in frame else frame["path"]).tolist()
        self.perturbation = perturbation  # applied to each decoded image (robustness tests)
        self.labels = frame["label"].to_numpy(np.int64)
        self.groups = frame["group"].to_numpy(np.int64)
        self.methods = frame["method"].to_numpy(np.int64)
        self.size = size
        self.skip_corrupt = skip_corrupt

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> Item | Unreadable:
        try:
            image = load_image(self.paths[index], self.size, self.perturbation)
        except ImageError:
            if self.skip_corrupt:
                return Unreadable(str(self.img_paths[index]))
            raise
        return {
            "image": image,
            "label": torch.tensor(self.labels[index]),
            "group": torch.tensor(self.groups[index]),
            "method": torch.tensor(self.methods[index]),
            "index": torch.tensor(index),
        }


class RealFakePairDataset(Dataset):
    """Each fake image once per epoch, in random order, each with a uniformly random real.

    The pairing depends only on (seed, epoch), so every process of a distributed run
    and every resumed run sees the same order. `fixed_pairing=True` uses one pairing for
    all epochs (for validation).
    """

    def __init__(
        self,
        real: pd.DataFrame,
        fake: pd.DataFrame,
        size: int,
        seed: int = 0,
        fixed_pairing: bool = False,
        skip_corrupt: bool = False,
        augment=None,
    ):
        if len(real) == 0 or len(fake) == 0:
            raise DataError("a paired dataset needs at least one real and one fake image")
        self.real = ImageDataset(real, size, skip_corrupt)
        self.fake = ImageDataset(fake, size, skip_corrupt)
        self.seed = seed
        self.fixed_pairing = fixed_pairing
        self.epoch = 0
        self.augment = augment  # fairdf.data.augment.Augmenter or None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def pairing(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """(fake index, real index) per position of the epoch."""
        rng = np.random.default_rng([self.seed, 0 if self.fixed_pairing else epoch])
        fake_order = rng.permutation(len(self.fake))
        real_choice = rng.integers(0, len(self.real), size=len(self.fake))
        return fake_order, real_choice

    def __len__(self) -> int:
        return len(self.fake)

    def __getitem__(self, position: int) -> tuple[Item | Unreadable, Item | Unreadable]:
        fake_order, real_choice = self._current_pairing()
        real = self.real[int(real_choice[position])]
        fake = self.fake[int(fake_order[position])]
        if self.augment is not None:
            from fairdf.data.augment import image_seed

            for role, item in (("real", real), ("fake", fake)):
                if not isinstance(item, Unreadable):
                    seed = image_seed(self.seed, self.epoch, position, role)
                    item["image"] = self.augment(item["image"], seed)
        return real, fake

    def _current_pairing(self) -> tuple[np.ndarray, np.ndarray]:
        key = 0 if self.fixed_pairing else self.epoch
        if getattr(self, "_cached_key", None) != key:
            self._cached = self.pairing(key)
            self._cached_key = key
        return self._cached


def _stack(items: Sequence[Item]) -> dict[str, torch.Tensor]:
    return {key: torch.stack([item[key] for item in items]) for key in items[0]}


def collate_images(items: Sequence[Item | Unreadable]) -> dict:
    """Stack items, dropping unreadable ones: `skipped` counts them, `unreadable` names
    them (a list of img_path, in batch order)."""
    kept = [item for item in items if not isinstance(item, Unreadable)]
    batch = _stack(kept) if kept else {}
    batch["skipped"] = torch.tensor(len(items) - len(kept))
    batch["unreadable"] = [item.img_path for item in items if isinstance(item, Unreadable)]
    return batch


def collate_pairs(pairs: Sequence[tuple[Item | Unreadable, Item | Unreadable]]) -> dict:
    """Pairs -> batch of 2B images, the B reals first; pairs with an unreadable image
    dropped (`skipped` counts the dropped pairs, `unreadable` names the unreadable images)."""
    unreadable = [item.img_path for pair in pairs for item in pair if isinstance(item, Unreadable)]
    kept = [
        (r, f) for r, f in pairs if not isinstance(r, Unreadable) and not isinstance(f, Unreadable)
    ]
    if not kept:
        return {"skipped": torch.tensor(len(pairs)), "unreadable": unreadable}
    reals = _stack([r for r, _ in kept])
    fakes = _stack([f for _, f in kept])
    batch = {
        key: torch.cat([reals[key], fakes[key]]) for key in ("image", "label", "group", "method")
    }
    batch["skipped"] = torch.tensor(len(pairs) - len(kept))
    batch["unreadable"] = unreadable
    return batch
