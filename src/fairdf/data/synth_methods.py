"""The five face manipulations of the synthetic data, and the image operations they use.

Images are float32 arrays `(H, W, 3)` in [0, 1]; masks are `(H, W)` in [0, 1]. Each
manipulation pastes processed content into the inner-face region of a target frame and
leaves its own kind of artifact (seam, colour, checkerboard, geometry, smoothness). They
share two low-level traits, as real forgeries do, so that a detector trained on some can
find the others: the pasted region is resampled (its sensor noise is weaker than the
rest of the frame's) and it meets the untouched frame at a blending boundary.
Pixel-sized parameters are given for 64-pixel images and scaled by `scale = size / 64`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

METHOD_NAMES: dict[int, str] = {
    1: "blend-seam",
    2: "colour-mismatch",
    3: "checkerboard-upsampling",
    4: "warp",
    5: "smoothing",
}


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of an `(H, W)` or `(H, W, C)` array (reflected edges)."""
    if sigma < 0.1:
        return image
    radius = max(1, int(np.ceil(3 * sigma)))
    offsets = np.arange(-radius, radius + 1, dtype=np.float32)
    weights = np.exp(-0.5 * (offsets / sigma) ** 2)
    weights /= weights.sum()
    out = image
    for axis in (0, 1):
        pad = [(0, 0)] * image.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(out, pad, mode="reflect")
        length = out.shape[axis]
        out = sum(
            w * np.take(padded, np.arange(i, i + length), axis=axis) for i, w in enumerate(weights)
        )
    return out.astype(np.float32)


def downsample2(image: np.ndarray) -> np.ndarray:
    """Mean over 2x2 blocks: `(H, W, C)` -> `(H/2, W/2, C)` (H, W even)."""
    height, width = image.shape[:2]
    blocks = image.reshape(height // 2, 2, width // 2, 2, *image.shape[2:])
    return blocks.mean(axis=(1, 3))


def bilinear_sample(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Sample `(H, W, C)` at fractional pixel positions `(h, w)` (edges clamped)."""
    height, width = image.shape[:2]
    rows = np.clip(rows, 0, height - 1)
    cols = np.clip(cols, 0, width - 1)
    top = np.minimum(np.floor(rows).astype(np.intp), height - 2)
    left = np.minimum(np.floor(cols).astype(np.intp), width - 2)
    dr = (rows - top)[..., None]
    dc = (cols - left)[..., None]
    upper = image[top, left] * (1 - dc) + image[top, left + 1] * dc
    lower = image[top + 1, left] * (1 - dc) + image[top + 1, left + 1] * dc
    return (upper * (1 - dr) + lower * dr).astype(np.float32)


def upsample2_bilinear(image: np.ndarray) -> np.ndarray:
    """Bilinear x2 up-sampling (pixel centres aligned): `(h, w, C)` -> `(2h, 2w, C)`."""
    height, width = image.shape[:2]
    rows = (np.arange(2 * height, dtype=np.float32) + 0.5) / 2 - 0.5
    cols = (np.arange(2 * width, dtype=np.float32) + 0.5) / 2 - 0.5
    grid_rows, grid_cols = np.meshgrid(rows, cols, indexing="ij")
    return bilinear_sample(image, grid_rows, grid_cols)


def match_colour(source: np.ndarray, target: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Shift `source` per channel so its mean under `mask` equals `target`'s."""
    weights = mask[..., None] / max(float(mask.sum()), 1e-6)
    shift = (target * weights).sum(axis=(0, 1)) - (source * weights).sum(axis=(0, 1))
    return source + shift.astype(np.float32)


def composite(base: np.ndarray, patch: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """`base` with `patch` pasted under `alpha` `(H, W)`."""
    return base + alpha[..., None] * (patch - base)


def blend_seam(target, source, region, rng, scale):
    """Low-resolution face pasted with a hard mask and a brightness offset: a visible seam."""
    patch = upsample2_bilinear(downsample2(match_colour(source, target, region)))
    patch = patch + rng.choice([-1.0, 1.0]) * rng.uniform(0.03, 0.06)
    return composite(target, patch, gaussian_blur(region, 0.5 * scale))


def colour_mismatch(target, source, region, rng, scale):
    """Source face re-projected (half-pixel shift) with no colour correction and a tint."""
    rows, cols = np.indices(target.shape[:2], dtype=np.float32)
    patch = bilinear_sample(source, rows + 0.5, cols + 0.5)
    tint = rng.normal(size=3)
    tint *= rng.uniform(0.1, 0.18) / np.linalg.norm(tint)
    patch = patch * (1 + tint.astype(np.float32))
    return composite(target, patch, gaussian_blur(region, 1.0 * scale))


def checkerboard_upsampling(target, source, region, rng, scale):
    """Face decoded at half resolution by a strided up-sampler: blocky, period-2 texture."""
    low = downsample2(match_colour(source, target, region))
    patch = low.repeat(2, axis=0).repeat(2, axis=1)
    rows, cols = np.indices(patch.shape[:2])
    checker = np.where((rows + cols) % 2 == 0, 1.0, -1.0).astype(np.float32)
    patch = patch * (1 + rng.uniform(0.04, 0.08) * checker[..., None])
    return composite(target, patch, gaussian_blur(region, 1.5 * scale))


def warp(target, source, region, rng, scale):
    """The target's own face re-sampled through a smooth displacement field (reenactment)."""
    del source  # reenactment keeps the target's appearance
    height, width = target.shape[:2]
    coarse = rng.normal(size=(4, 4, 2)).astype(np.float32) * 2.0 * scale
    field = upsample2_bilinear(upsample2_bilinear(coarse))  # (16, 16, 2)
    rows, cols = np.indices((height, width), dtype=np.float32)
    field = bilinear_sample(field, rows * 15 / (height - 1), cols * 15 / (width - 1))
    soft = gaussian_blur(region, 2 * scale)
    offset = 0.5  # half-pixel shift: every pasted pixel is interpolated
    patch = bilinear_sample(
        target,
        rows + offset + field[..., 0] * soft,
        cols + offset + field[..., 1] * soft,
    )
    return composite(target, patch, gaussian_blur(region, 1.5 * scale))


def smoothing(target, source, region, rng, scale):
    """Over-smoothed (texture-less) source face, colour-matched and softly blended."""
    patch = gaussian_blur(match_colour(source, target, region), rng.uniform(0.9, 1.3) * scale)
    return composite(target, patch, gaussian_blur(region, 2 * scale))


Manipulation = Callable[
    [np.ndarray, np.ndarray, np.ndarray, np.random.Generator, float], np.ndarray
]

MANIPULATIONS: dict[int, Manipulation] = {
    1: blend_seam,
    2: colour_mismatch,
    3: checkerboard_upsampling,
    4: warp,
    5: smoothing,
}


def manipulate(
    method: int,
    target: np.ndarray,
    source: np.ndarray,
    region: np.ndarray,
    rng: np.random.Generator,
    scale: float = 1.0,
) -> np.ndarray:
    """Fake frame `(H, W, 3)` made by `method` (1..5) from the target frame and a source
    render under the same pose, pasting into the inner-face `region` `(H, W)`. Values
    are not clipped (the caller clips once, when quantising)."""
    return MANIPULATIONS[method](target, source, region, rng, scale).astype(np.float32)
