"""Augmentation: reproducible per (seed, epoch, position, role), isolated from the global RNG."""

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from fairdf.data.augment import Augmenter, image_seed
from fairdf.data.datasets import RealFakePairDataset


@pytest.fixture()
def frames(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for index in range(6):
        path = tmp_path / f"{index}.png"
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(path)
        rows.append({"path": str(path), "label": index % 2, "group": 0, "method": index % 2})
    frame = pd.DataFrame(rows)
    return frame[frame.label == 0], frame[frame.label == 1]


def images(dataset, epoch):
    dataset.set_epoch(epoch)
    return [torch.stack([p[0]["image"], p[1]["image"]]) for p in dataset]


def test_same_slot_same_augmentation_and_global_rng_untouched(frames):
    real, fake = frames
    first = RealFakePairDataset(real, fake, size=32, seed=3, augment=Augmenter())
    second = RealFakePairDataset(real, fake, size=32, seed=3, augment=Augmenter())
    torch.manual_seed(0)
    before = torch.get_rng_state()
    a = images(first, 1)
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(123)  # a different global state must not matter
    b = images(second, 1)
    for x, y in zip(a, b, strict=True):
        assert torch.equal(x, y)
    plain = images(RealFakePairDataset(real, fake, size=32, seed=3), 1)
    assert any(not torch.equal(x, y) for x, y in zip(a, plain, strict=True))
    assert all(x.shape == (2, 3, 32, 32) and x.min() >= -1 and x.max() <= 1 for x in a)


def test_seeds_differ_by_epoch_position_and_role():
    seeds = {image_seed(5, e, p, r) for e in range(3) for p in range(20) for r in ("real", "fake")}
    assert len(seeds) == 3 * 20 * 2


def test_identity_when_nothing_fires_and_flip_is_a_true_mirror():
    rng = np.random.default_rng(1)
    pixels = torch.from_numpy(rng.integers(0, 256, (3, 16, 16), dtype=np.uint8))
    image = pixels.float() / 127.5 - 1.0
    augmenter = Augmenter()
    augmenter.recipe = torch.nn.Identity()
    assert torch.equal(augmenter(image, 0), image)  # the uint8 round trip is lossless
    from torchvision.transforms import v2

    augmenter.recipe = v2.RandomHorizontalFlip(p=1.0)
    assert torch.equal(augmenter(image, 0), torch.flip(image, dims=[2]))
