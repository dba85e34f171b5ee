import numpy as np
import pytest
import torch
from helpers_manifest import HEADER8, write_csv, write_image
from PIL import Image

from fairdf.data.datasets import ImageDataset, RealFakePairDataset, collate_images, collate_pairs
from fairdf.data.manifest import read_manifest
from fairdf.data.transforms import load_image
from fairdf.errors import ImageError


def manifests(tmp_path, n_real=5, n_fake=7):
    reals = [f"r{i}.png,0,1,-1,1,-1,1" for i in range(n_real)]
    fakes = [f"f{i}.png,1,-1,-1,-1,1,6,{1 + i % 5}" for i in range(n_fake)]
    real = read_manifest(write_csv(tmp_path / "realtrain.csv", HEADER8, reals))
    fake = read_manifest(write_csv(tmp_path / "faketrain.csv", HEADER8 + ",spe_label", fakes))
    return real.frame, fake.frame


def test_load_image_converts_and_normalises(tmp_path):
    gray = Image.fromarray(np.array([[0, 255], [255, 0]], dtype=np.uint8), mode="L")
    gray.save(tmp_path / "g.png")
    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 10))
    rgba.save(tmp_path / "a.png")
    palette = Image.new("P", (4, 4))
    palette.save(tmp_path / "p.png")
    g = load_image(tmp_path / "g.png", 2)
    assert g.shape == (3, 2, 2) and g.dtype == torch.float32
    assert torch.equal(g[:, 0, 0], torch.full((3,), -1.0)) and torch.equal(
        g[:, 0, 1], torch.ones(3)
    )
    a = load_image(tmp_path / "a.png", 8)
    assert a.shape == (3, 8, 8) and torch.allclose(a[:, 0, 0], torch.tensor([1.0, -1.0, -1.0]))
    assert load_image(tmp_path / "p.png", 4).shape == (3, 4, 4)


def test_corrupt_image_error_names_path(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG garbage")
    with pytest.raises(ImageError, match="bad.png"):
        load_image(bad, 8)


def test_pairing_walks_every_fake_once_and_is_reproducible(tmp_path):
    real, fake = manifests(tmp_path)
    dataset = RealFakePairDataset(real, fake, size=8, seed=3)
    order0, reals0 = dataset.pairing(0)
    assert sorted(order0.tolist()) == list(range(7))
    assert reals0.min() >= 0 and reals0.max() < 5
    again = RealFakePairDataset(real, fake, size=8, seed=3).pairing(0)
    assert np.array_equal(order0, again[0]) and np.array_equal(reals0, again[1])
    assert not np.array_equal(order0, dataset.pairing(1)[0]) or not np.array_equal(
        reals0, dataset.pairing(1)[1]
    )
    fixed = RealFakePairDataset(real, fake, size=8, seed=3, fixed_pairing=True)
    fixed.set_epoch(4)
    assert np.array_equal(fixed._current_pairing()[0], fixed.pairing(0)[0])


def test_real_choice_is_uniform(tmp_path):
    real, fake = manifests(tmp_path, n_real=4, n_fake=2)
    dataset = RealFakePairDataset(real, fake, size=8, seed=0)
    counts = np.bincount(np.concatenate([dataset.pairing(e)[1] for e in range(4000)]), minlength=4)
    # 8000 draws, expected 2000 each: chi-square with 3 dof, p ~ 1e-6 at 32
    chi2 = ((counts - 2000) ** 2 / 2000).sum()
    assert chi2 < 32


def test_collate_pairs_puts_reals_first(tmp_path):
    real, fake = manifests(tmp_path)
    dataset = RealFakePairDataset(real, fake, size=8, seed=0)
    batch = collate_pairs([dataset[i] for i in range(3)])
    assert batch["image"].shape == (6, 3, 8, 8)
    assert batch["label"].tolist() == [0, 0, 0, 1, 1, 1]
    assert batch["group"].tolist() == [1, 1, 1, 6, 6, 6]
    order, _ = dataset.pairing(0)
    assert batch["method"][3:].tolist() == [1 + int(i) % 5 for i in order[:3]]
    assert batch["method"][:3].tolist() == [0, 0, 0]


def test_skip_corrupt_counts(tmp_path):
    real, fake = manifests(tmp_path, n_real=3, n_fake=3)
    (tmp_path / "r1.png").write_bytes(b"broken")
    strict = ImageDataset(real, size=8)
    with pytest.raises(ImageError, match="r1.png"):
        strict[1]
    lenient = ImageDataset(real, size=8, skip_corrupt=True)
    batch = collate_images([lenient[i] for i in range(3)])
    assert batch["skipped"].item() == 1 and batch["index"].tolist() == [0, 2]
    assert batch["unreadable"] == ["r1.png"]  # the manifest's img_path
    write_image(tmp_path / "r1.png")
    assert collate_images([strict[1]])["skipped"].item() == 0
    assert collate_images([strict[1]])["unreadable"] == []


def test_collate_pairs_drops_and_names_unreadable_images(tmp_path):
    real, fake = manifests(tmp_path, n_real=1, n_fake=3)
    (tmp_path / "f2.png").write_bytes(b"broken")
    dataset = RealFakePairDataset(real, fake, size=8, seed=0, skip_corrupt=True)
    batch = collate_pairs([dataset[i] for i in range(3)])
    assert batch["skipped"].item() == 1 and batch["unreadable"] == ["f2.png"]
    assert batch["image"].shape == (4, 3, 8, 8)
    assert sorted(batch["method"][2:].tolist()) == [1, 2]  # f0 and f1 (methods 1 and 2) kept
    (tmp_path / "r0.png").write_bytes(b"broken")  # the only real: every pair goes
    batch = collate_pairs([dataset[i] for i in range(3)])
    assert batch["skipped"].item() == 3 and "image" not in batch
    assert sorted(batch["unreadable"]) == ["f2.png", "r0.png", "r0.png", "r0.png"]
