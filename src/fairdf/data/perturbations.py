"""Deterministic image perturbations for robustness tests (`fairdf test --perturb KIND[:VALUE]`).

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

A kind without a value takes its default strength (`Kind.default`); one `--perturb` may
list several conditions separated by commas (`jpeg,blur:7`).
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
    """A perturbation kind: its value range, whether the value must be an integer, the
    strength used when none is given."""

    low: float
    high: float
    integer: bool
    meaning: str
    default: float

    def describe(self, name: str) -> str:
        """'an integer JPEG quality in 1..100' for error messages."""
        integer = "an odd" if name == "blur" else ("an integer" if self.integer else "a")
        return f"{integer} {self.meaning} in {self.low:g}..{self.high:g}"


KINDS: dict[str, Kind] = {
    "jpeg": Kind(1, 100, True, "JPEG quality", 50),
    "blur": Kind(3, 51, True, "Gaussian kernel size", 5),
    "noise": Kind(0, 100, False, "noise standard deviation (0..255 units)", 10),
    "hue": Kind(-180, 180, False, "hue shift in degrees", 20),
    "saturation": Kind(0, 3, False, "saturation factor", 0.5),
    "brightness": Kind(0, 3, False, "brightness factor", 0.7),
    "contrast": Kind(0, 3, False, "contrast factor", 0.7),
    "rotate": Kind(-180, 180, False, "rotation in degrees", 15),
    "scale": Kind(0.05, 1, False, "down-and-up scale factor", 0.5),
}


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


def parse_perturbation(text: str, given: str | None = None) -> Perturbation:
    """'jpeg:60' (or 'jpeg', its default strength) -> Perturbation.

    An unknown kind or a bad strength is a one-line ConfigError quoting `given` (the
    whole --perturb argument, by default `text`)."""
    given = text if given is None else given
    name, sep, raw = text.strip().partition(":")
    name = name.strip().lower()
    if name not in KINDS:
        raise ConfigError(
            f"--perturb '{given}': unknown perturbation kind '{name}'; valid kinds: "
            f"{', '.join(KINDS)} (KIND, or KIND:STRENGTH, e.g. jpeg:60)"
        )
    kind = KINDS[name]
    if not sep:
        return Perturbation(name, kind.default)
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    whole = value == round(value) if np.isfinite(value) else False
    in_range = np.isfinite(value) and kind.low <= value <= kind.high
    odd = name != "blur" or (whole and int(value) % 2 == 1)
    if not in_range or (kind.integer and not whole) or not odd:
        raise ConfigError(
            f"--perturb '{given}': {name} strength must be {kind.describe(name)}, "
            f"got {raw.strip() or '(empty)'}"
        )
    return Perturbation(name, float(int(value)) if kind.integer else value)


def parse_perturbations(texts: list[str]) -> list[Perturbation]:
    """Parse every `--perturb` (each a comma list); a repeated condition is an error."""
    found = [parse_perturbation(part, text) for text in texts for part in text.split(",")]
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
