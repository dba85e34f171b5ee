"""The synthetic manipulations leave real, distinct, learnable artifacts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fairdf.data.synth import make_synthetic_arrays
from fairdf.data.synth_methods import (
    METHOD_NAMES,
    bilinear_sample,
    downsample2,
    gaussian_blur,
    manipulate,
)

SIZE = 64
NOISE = 0.02


@pytest.fixture(scope="module")
def scene():
    """Flat grey target and source with independent noise, and a disk-shaped region."""
    rng = np.random.default_rng(0)
    target = (0.5 + rng.normal(0, NOISE, (SIZE, SIZE, 3))).astype(np.float32)
    source = (0.5 + rng.normal(0, NOISE, (SIZE, SIZE, 3))).astype(np.float32)
    rows, cols = np.indices((SIZE, SIZE))
    distance = np.hypot(rows - 31.5, cols - 31.5)
    region = (distance < 14).astype(np.float32)
    return target, source, region, distance


def _fake(scene, method: int, seed: int = 1) -> np.ndarray:
    target, source, region, _ = scene
    return manipulate(method, target, source, region, np.random.default_rng(seed))


def _high_pass(image: np.ndarray) -> np.ndarray:
    """Residual after a 3x3 mean filter, per channel."""
    return image - ndimage.uniform_filter(image, size=(3, 3, 1), mode="reflect")


@pytest.mark.parametrize("method", sorted(METHOD_NAMES))
def test_changes_the_region_and_nothing_far_from_it(scene, method):
    target, _, _, distance = scene
    fake = _fake(scene, method)
    assert fake.shape == target.shape and fake.dtype == np.float32
    far = distance > 14 + 8
    np.testing.assert_allclose(fake[far], target[far], atol=1e-6)
    inside = distance < 10
    assert np.abs(fake[inside] - target[inside]).mean() > 0.01


@pytest.mark.parametrize("method", [1, 2, 4, 5])
def test_pasted_region_is_resampled_so_its_noise_is_weaker(scene, method):
    _, _, _, distance = scene
    residual = _high_pass(_fake(scene, method))
    inside, outside = residual[distance < 10].std(), residual[distance > 24].std()
    assert inside < 0.8 * outside


def test_blend_seam_shifts_brightness_with_a_sharp_edge(scene):
    _, _, _, distance = scene
    fake = _fake(scene, 1).mean(axis=2)
    step = abs(fake[distance < 12].mean() - fake[distance > 16].mean())
    assert 0.025 < step < 0.07
    ring = lambda lo, hi: fake[(distance >= lo) & (distance < hi)].mean()  # noqa: E731
    assert abs(ring(12, 13.5) - ring(14.5, 16)) > 0.8 * step  # the change takes ~2 px


def test_colour_mismatch_tints_the_face(scene):
    _, _, _, distance = scene
    fake = _fake(scene, 2)
    shift = fake[distance < 12].mean(axis=0) - fake[distance > 16].mean(axis=0)
    assert 0.04 < np.linalg.norm(shift) < 0.1  # tint 0.10..0.18 of grey 0.5
    assert np.ptp(shift) > 0.01  # a colour cast, not a brightness change


def test_checkerboard_upsampling_leaves_period_two_texture(scene):
    target, _, _, _ = scene
    rows, cols = np.indices((SIZE, SIZE))
    sign = np.where((rows + cols) % 2 == 0, 1.0, -1.0)[..., None]

    def checker(image, window):
        return abs((image * sign)[window].mean())

    inner, corner = (slice(24, 40), slice(24, 40)), (slice(0, 16), slice(0, 16))
    fake = _fake(scene, 3)
    assert checker(fake, inner) > 0.015
    assert checker(fake, corner) < 0.01 and checker(target, inner) < 0.01


def test_warp_moves_content_smoothly():
    rng = np.random.default_rng(3)
    pattern = gaussian_blur(rng.uniform(0, 1, (SIZE, SIZE, 3)).astype(np.float32), 2.0)
    rows, cols = np.indices((SIZE, SIZE))
    region = (np.hypot(rows - 31.5, cols - 31.5) < 14).astype(np.float32)
    fake = manipulate(4, pattern, pattern, region, np.random.default_rng(1))
    window = (slice(26, 38), slice(26, 38))
    shifted = bilinear_sample(pattern, rows + 0.5, cols + 0.5)
    # not a mere half-pixel shift: the displacement field moved the content
    assert np.abs(fake[window] - shifted[window]).mean() > 0.005
    assert np.abs(fake[window] - pattern[window]).mean() > 0.005


def test_smoothing_removes_texture(scene):
    _, _, _, distance = scene
    residual = _high_pass(_fake(scene, 5))
    assert residual[distance < 10].std() < 0.4 * residual[distance > 24].std()


def test_image_operations_match_plain_numpy():
    rng = np.random.default_rng(5)
    image = rng.uniform(0, 1, (8, 6, 3)).astype(np.float32)
    expected = image.reshape(4, 2, 3, 2, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(downsample2(image), expected, rtol=1e-6)
    blurred = gaussian_blur(image, 1.0)
    reference = ndimage.gaussian_filter(image, sigma=(1.0, 1.0, 0), mode="mirror", truncate=3.0)
    np.testing.assert_allclose(blurred, reference, atol=1e-5)
    rows, cols = np.array([[2.25]]), np.array([[3.5]])
    sampled = bilinear_sample(image, rows, cols)[0, 0]
    manual = 0.75 * (0.5 * image[2, 3] + 0.5 * image[2, 4]) + 0.25 * (
        0.5 * image[3, 3] + 0.5 * image[3, 4]
    )
    np.testing.assert_allclose(sampled, manual, rtol=1e-6)


def _features(images: np.ndarray, kind: str) -> np.ndarray:
    """Global colour statistics, or high-frequency energy of the centre vs the whole."""
    x = images.astype(np.float64) / 255
    if kind == "global":
        flat = x.reshape(len(x), -1, 3)
        return np.concatenate([flat.mean(1), flat.std(1), np.median(flat, 1)], axis=1)
    grey = x.mean(axis=3)
    laplace = np.abs(
        4 * grey[:, 1:-1, 1:-1]
        - grey[:, :-2, 1:-1]
        - grey[:, 2:, 1:-1]
        - grey[:, 1:-1, :-2]
        - grey[:, 1:-1, 2:]
    )
    centre = np.log(laplace[:, 16:46, 16:46].mean((1, 2)))
    whole = np.log(laplace.mean((1, 2)))
    period2 = grey[:, 0::2, 0::2] + grey[:, 1::2, 1::2] - grey[:, 0::2, 1::2] - grey[:, 1::2, 0::2]
    return np.stack([centre, whole, centre - whole, np.abs(period2[:, 8:24, 8:24]).mean((1, 2))], 1)


@pytest.fixture(scope="module")
def small_set():
    return make_synthetic_arrays(n_images=400, seed=0)


def _test_scores(small_set, kind: str):
    images, table = small_set
    train = (table["split"] != "test").to_numpy()
    features = _features(images, kind)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(features[train], table["label"][train])
    return table[~train], model.decision_function(features[~train])


def test_cheap_high_frequency_classifier_finds_fakes_including_the_held_out_method(small_set):
    test, scores = _test_scores(small_set, "high-frequency")
    assert set(test["spe_label"]) == {0, 1, 2, 3, 4, 5}
    assert roc_auc_score(test["label"], scores) > 0.7
    held_out = test["spe_label"].isin([0, 5]).to_numpy()
    assert roc_auc_score(test["label"][held_out], scores[held_out]) > 0.85


def test_global_colour_statistics_do_not_separate_real_from_fake(small_set):
    test, scores = _test_scores(small_set, "global")
    assert roc_auc_score(test["label"], scores) < 0.65


@pytest.mark.slow
def test_tiny_cnn_reaches_high_auc_on_test_including_the_held_out_method():
    import torch
    from torch import nn

    torch.manual_seed(0)
    images, table = make_synthetic_arrays(n_images=1000, seed=0)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1
    y = torch.tensor(table["label"].to_numpy(), dtype=torch.float32)
    train = torch.tensor((table["split"] != "test").to_numpy())

    def block(c_in, c_out):
        return nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
            nn.MaxPool2d(2),
        )  # fmt: skip

    model = nn.Sequential(
        block(3, 16), block(16, 32), block(32, 64), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(64, 1),
    )  # fmt: skip
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    x_train, y_train = x[train], y[train]
    for _ in range(25):
        model.train()
        for batch in torch.randperm(len(x_train)).split(32):
            loss = nn.functional.binary_cross_entropy_with_logits(
                model(x_train[batch]).squeeze(1), y_train[batch]
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        scores = model(x[~train]).squeeze(1).numpy()
    test = table[~train.numpy()]
    assert roc_auc_score(test["label"], scores) > 0.9
    held_out = test["spe_label"].isin([0, 5]).to_numpy()
    assert roc_auc_score(test["label"][held_out], scores[held_out]) > 0.9
