"""Deterministic image perturbations for robustness tests (`fairdf test --perturb KIND:VALUE`).

Each perturbation acts on the decoded RGB image, before resizing to the model's input.
The only random one (noise) draws from a generator seeded by the image path, so an
image gets the same perturbation in every run, in any order and in any worker.

    jpeg:Q         re-encode as JPEG at quality Q (1..100), without chroma subsampling
                   (4:4:4), so that Q alone sets the loss
    blur:K         Gaussian blur with an odd kernel size K (3..51); sigma from K by
                   OpenCV's rule 0.3 ((K - 1) / 2 - 1) + 0.8
    noise:S        add Gaussian noise of standard deviation S (0..100, in 0..255 units)
    hue:D          rotate the hue by D degrees (-180..180)
    saturation:F   multiply the saturation by F (0..3)
    brightness:F   multiply the brightness by F (0..3)
    contrast:F     scale the contrast around the mean grey by F (0..3)
    rotate:D       rotate by D degrees (-180..180) about the centre, corners filled black
    scale:F        downscale by F (0.05..1) and back up, bilinear both ways
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from fairdf.errors import ConfigError


@dataclass(frozen=True)
class Kind:
    """A perturbation kind: its value range and whether the value must be an integer."""

    low: float
    high: float
    integer: bool
    meaning: str


KINDS: dict[str, Kind] = {
    "jpeg": Kind(1, 100, True, "JPEG quality"),
    "blur": Kind(3, 51, True, "odd Gaussian kernel size"),
    "noise": Kind(0, 100, False, "noise standard deviation in 0..255 units"),
    "hue": Kind(-180, 180, False, "hue shift in degrees"),
    "saturation": Kind(0, 3, False, "saturation factor"),
    "brightness": Kind(0, 3, False, "brightness factor"),
    "contrast": Kind(0, 3, False, "contrast factor"),
    "rotate": Kind(-180, 180, False, "rotation in degrees"),
    "scale": Kind(0.05, 1, False, "down-and-up scale factor"),
}


def valid_forms() -> str:
    """'jpeg:1..100, blur:3..51 (odd), ...' for error messages."""
    forms = []
    for name, kind in KINDS.items():
        low, high = (int(kind.low), int(kind.high)) if kind.integer else (kind.low, kind.high)
        odd = " odd" if name == "blur" else ""
        forms.append(f"{name}:{low:g}..{high:g}{odd}")
    return ", ".join(forms)


@dataclass(frozen=True)
class Perturbation:
    """One condition, e.g. Perturbation('jpeg', 60); `name` ('jpeg-60') names its files."""

    kind: str
    value: float

    @property
    def name(self) -> str:
        text = f"{self.value:g}".replace("-", "m").replace(".", "p")
        return f"{self.kind}-{text}"

    @property
    def spec(self) -> str:
        return f"{self.kind}:{self.value:g}"

    def __call__(self, image: Image.Image, key: str) -> Image.Image:
        """The perturbed RGB image; `key` (the image path) seeds any randomness."""
        return APPLY[self.kind](image.convert("RGB"), self.value, key)


def parse_perturbation(text: str) -> Perturbation:
    """'jpeg:60' -> Perturbation; an unknown kind or bad value is a one-line ConfigError."""
    name, sep, raw = text.strip().partition(":")
    name = name.strip().lower()
    if not sep or name not in KINDS:
        raise ConfigError(f"--perturb '{text}': unknown perturbation; valid forms: {valid_forms()}")
    kind = KINDS[name]
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    whole = value == round(value) if np.isfinite(value) else False
    in_range = np.isfinite(value) and kind.low <= value <= kind.high
    odd = name != "blur" or (whole and int(value) % 2 == 1)
    if not in_range or (kind.integer and not whole) or not odd:
        raise ConfigError(
            f"--perturb '{text}': {raw.strip() or '(empty)'} is not a valid {kind.meaning}; "
            f"valid forms: {valid_forms()}"
        )
    return Perturbation(name, float(int(value)) if kind.integer else value)


def parse_perturbations(texts: list[str]) -> list[Perturbation]:
    """Parse every `--perturb`; a repeated condition is an error."""
    found = [parse_perturbation(t) for t in texts]
    names = [p.name for p in found]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"--perturb: condition {repeated[0]} is given twice; give it once")
    return found


def image_seed(key: str) -> int:
    """A 64-bit seed from the image path (stable across runs and platforms)."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "little")


def _jpeg(image: Image.Image, quality: float, key: str) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=int(quality), subsampling=0)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def _blur(image: Image.Image, kernel: float, key: str) -> Image.Image:
    sigma = 0.3 * ((kernel - 1) / 2 - 1) + 0.8
    return image.filter(ImageFilter.GaussianBlur(radius=sigma))


def _noise(image: Image.Image, std: float, key: str) -> Image.Image:
    rng = np.random.default_rng(image_seed(key))
    array = np.asarray(image, dtype=np.float64)
    noisy = array + rng.normal(0.0, std, size=array.shape)
    return Image.fromarray(np.clip(np.rint(noisy), 0, 255).astype(np.uint8))


def _hue(image: Image.Image, degrees: float, key: str) -> Image.Image:
    hsv = np.asarray(image.convert("HSV"), dtype=np.int64)
    shift = int(round(degrees / 360.0 * 256))
    hsv[..., 0] = (hsv[..., 0] + shift) % 256
    return Image.fromarray(hsv.astype(np.uint8), mode="HSV").convert("RGB")


def _enhance(enhancer: type) -> Callable[[Image.Image, float, str], Image.Image]:
    def apply(image: Image.Image, factor: float, key: str) -> Image.Image:
        return enhancer(image).enhance(factor)

    return apply


def _rotate(image: Image.Image, degrees: float, key: str) -> Image.Image:
    return image.rotate(degrees, resample=Image.BILINEAR, fillcolor=(0, 0, 0))


def _scale(image: Image.Image, factor: float, key: str) -> Image.Image:
    width, height = image.size
    small = (max(1, round(width * factor)), max(1, round(height * factor)))
    return image.resize(small, Image.BILINEAR).resize((width, height), Image.BILINEAR)


APPLY: dict[str, Callable[[Image.Image, float, str], Image.Image]] = {
    "jpeg": _jpeg,
    "blur": _blur,
    "noise": _noise,
    "hue": _hue,
    "saturation": _enhance(ImageEnhance.Color),
    "brightness": _enhance(ImageEnhance.Brightness),
    "contrast": _enhance(ImageEnhance.Contrast),
    "rotate": _rotate,
    "scale": _scale,
}
