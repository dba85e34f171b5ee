"""Procedurally drawn faces for the synthetic data: identities, views and rendering.

An identity's gender and race (the 8 groups of the `ffpp` scheme) set the distribution of
its appearance (skin tone, face shape, hair, brows); individual traits vary around it.
A view is one image's pose, lighting, scene and camera, drawn by the same law for real and
fake images. Coordinates: image `u, v` in [-1, 1]; face-local `x, y` after removing the
view's translation, roll and scale (so a face is about 1.1 units tall). Images are float32
`(H, W, 3)` in [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fairdf.data.groups import get_scheme
from fairdf.data.synth_methods import gaussian_blur

SCHEME = get_scheme("ffpp")
SKIN = {
    "asian": (0.92, 0.77, 0.63),
    "white": (0.95, 0.77, 0.69),
    "black": (0.43, 0.29, 0.21),
    "others": (0.73, 0.54, 0.41),
}
HAIR = {
    "black": (0.08, 0.07, 0.06),
    "brown": (0.30, 0.19, 0.11),
    "blond": (0.78, 0.64, 0.38),
    "red": (0.55, 0.25, 0.12),
    "grey": (0.62, 0.62, 0.60),
}
HAIR_BY_RACE = {
    "asian": {"black": 0.9, "brown": 0.1},
    "white": {"black": 0.2, "brown": 0.4, "blond": 0.25, "red": 0.1, "grey": 0.05},
    "black": {"black": 0.95, "grey": 0.05},
    "others": {"black": 0.6, "brown": 0.35, "grey": 0.05},
}
IRIS = {
    "dark": (0.14, 0.09, 0.06),
    "brown": (0.36, 0.21, 0.10),
    "blue": (0.30, 0.45, 0.65),
    "green": (0.32, 0.45, 0.30),
}
IRIS_BY_RACE = {"white": {"brown": 0.4, "blue": 0.35, "green": 0.15, "dark": 0.1}}
# Inner-face traits that a face swap takes from the source identity.
INNER_TRAITS = (
    "skin",
    "iris",
    "lips",
    "eye_spacing",
    "eye_level",
    "eye_size",
    "eye_shape",
    "brow_weight",
    "nose_length",
    "mouth_width",
)


@dataclass(frozen=True)
class Identity:
    """Appearance of one synthetic person; lengths are in face-local units (image = 2)."""

    name: str
    gender: str
    race: str
    skin: tuple[float, float, float]
    hair: tuple[float, float, float]
    iris: tuple[float, float, float]
    lips: tuple[float, float, float]
    face_width: float
    face_height: float
    chin_taper: float
    hairline: float
    long_hair: bool
    beard: float
    eye_spacing: float
    eye_level: float
    eye_size: float
    eye_shape: float
    brow_weight: float
    nose_length: float
    mouth_width: float

    @property
    def group(self) -> int:
        return SCHEME.group_id(self.gender, self.race)


@dataclass(frozen=True)
class View:
    """Pose, lighting, scene and camera of one image."""

    center: tuple[float, float]
    scale: float
    roll: float
    yaw: float
    light: tuple[float, float, float]
    ambient: float
    exposure: float
    tint: tuple[float, float, float]
    background: tuple[tuple[float, float, float], ...]
    background_layout: tuple[float, float, float, float]
    shirt: tuple[float, float, float]
    mouth_open: float
    gaze: tuple[float, float]
    blur: float
    noise: float
    post_noise: float
    region_scale: float


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = list(weights)
    probabilities = np.asarray([weights[n] for n in names])
    return names[rng.choice(len(names), p=probabilities / probabilities.sum())]


def _colour(rng: np.random.Generator, base, spread: float) -> tuple[float, float, float]:
    lightness = rng.uniform(1 - spread, 1 + spread)
    values = np.asarray(base) * lightness + rng.normal(0, spread / 4, 3)
    return tuple(float(v) for v in np.clip(values, 0, 1))


def make_identity(name: str, gender: str, race: str, rng: np.random.Generator) -> Identity:
    """Draw an identity whose gender and race set the appearance distribution."""
    male = gender == "male"
    skin = _colour(rng, SKIN[race], 0.07)
    lip_base = (
        np.asarray(skin) * (0.78, 0.5, 0.5) if (male or rng.random() < 0.5) else (0.7, 0.2, 0.25)
    )
    return Identity(
        name=name,
        gender=gender,
        race=race,
        skin=skin,
        hair=_colour(rng, HAIR[_pick(rng, HAIR_BY_RACE[race])], 0.15),
        iris=_colour(
            rng, IRIS[_pick(rng, IRIS_BY_RACE.get(race, {"dark": 0.6, "brown": 0.4}))], 0.1
        ),
        lips=_colour(rng, lip_base, 0.08),
        face_width=rng.uniform(0.42, 0.48) if male else rng.uniform(0.39, 0.44),
        face_height=rng.uniform(0.52, 0.58),
        chin_taper=rng.uniform(0.05, 0.25) if male else rng.uniform(0.25, 0.45),
        hairline=rng.uniform(-0.36, -0.26),
        long_hair=bool(rng.random() < (0.1 if male else 0.85)),
        beard=float(rng.uniform(0.3, 0.6)) if male and rng.random() < 0.35 else 0.0,
        eye_spacing=rng.uniform(0.15, 0.19),
        eye_level=rng.uniform(-0.12, -0.04),
        eye_size=rng.uniform(0.065, 0.085),
        eye_shape=rng.uniform(0.3, 0.38) if race == "asian" else rng.uniform(0.4, 0.5),
        brow_weight=rng.uniform(1.1, 1.5) if male else rng.uniform(0.7, 1.0),
        nose_length=rng.uniform(0.17, 0.23),
        mouth_width=rng.uniform(0.1, 0.14),
    )


def make_view(rng: np.random.Generator) -> View:
    """Draw the pose, lighting, scene and camera of one image (same law for real and fake)."""
    light = np.array([rng.uniform(-0.6, 0.6), rng.uniform(-0.5, 0.2), 1.0])
    return View(
        center=(rng.normal(0, 0.04), rng.normal(0.02, 0.04)),
        scale=rng.uniform(1.15, 1.3),
        roll=rng.normal(0, 0.1),
        yaw=rng.uniform(-1, 1),
        light=tuple(light / np.linalg.norm(light)),
        ambient=rng.uniform(0.45, 0.65),
        exposure=rng.uniform(0.85, 1.12),
        tint=tuple(1 + rng.normal(0, 0.03, 3)),
        background=tuple(tuple(rng.uniform(0.1, 0.9, 3)) for _ in range(4)),
        background_layout=(
            rng.uniform(0, 2 * np.pi),
            *rng.uniform(-1, 1, 2),
            rng.uniform(0.3, 0.8),
        ),
        shirt=tuple(rng.uniform(0.05, 0.9, 3)),
        mouth_open=max(0.0, rng.uniform(-0.02, 0.04)),
        gaze=tuple(rng.uniform(-0.3, 0.3, 2)),
        blur=rng.uniform(0.0, 0.7),
        noise=rng.uniform(0.006, 0.025),
        post_noise=rng.uniform(0.0, 0.015),
        region_scale=rng.uniform(0.95, 1.08),
    )


def _ellipse(x, y, cx, cy, ax, ay, pixel):
    """Anti-aliased coverage `(H, W)` of an axis-aligned ellipse (face-local coordinates)."""
    radius = np.sqrt(((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2)
    return np.clip((1 - radius) * min(ax, ay) / pixel + 0.5, 0, 1)


def _paint(image, alpha, colour):
    return image + alpha[..., None] * (np.asarray(colour, dtype=np.float32) - image)


def _face_coordinates(view: View, size: int):
    """Image coordinates `u, v` and face-local coordinates `x, y`, each `(H, W)`."""
    grid = (np.arange(size, dtype=np.float32) + 0.5) / size * 2 - 1
    v, u = np.meshgrid(grid, grid, indexing="ij")
    du, dv = u - view.center[0], v - view.center[1]
    cos, sin = math.cos(view.roll), math.sin(view.roll)
    return u, v, (cos * du + sin * dv) / view.scale, (cos * dv - sin * du) / view.scale


def _background(u, v, view: View):
    angle, blob_u, blob_v, blob_radius = view.background_layout
    first, second, blob, _ = (np.asarray(c, dtype=np.float32) for c in view.background)
    ramp = ((u * math.cos(angle) + v * math.sin(angle) + 1) / 2)[..., None]
    image = first + ramp * (second - first)
    weight = np.exp(-((u - blob_u) ** 2 + (v - blob_v) ** 2) / (2 * blob_radius**2))
    return _paint(image, 0.6 * weight, blob)


def _yaw_shift(view: View) -> float:
    """Horizontal shift of the inner-face features for a turned head."""
    return 0.12 * view.yaw


def _face_outline(person: Identity, x, y, pixel):
    width = person.face_width * (1 - person.chin_taper * np.clip(y / person.face_height, 0, 1) ** 2)
    radius = np.sqrt((x / width) ** 2 + (y / person.face_height) ** 2)
    return np.clip((1 - radius) * person.face_width / pixel + 0.5, 0, 1)


def _shading(person: Identity, view: View, x, y):
    nx, ny = x / (1.15 * person.face_width), y / (1.1 * person.face_height)
    nz = np.sqrt(np.clip(1 - nx**2 - ny**2, 0, 1))
    lit = np.clip(nx * view.light[0] + ny * view.light[1] + nz * view.light[2], 0, 1)
    return (view.ambient + (1 - view.ambient) * 1.1 * lit)[..., None]


def _features(image, person: Identity, view: View, x, y, pixel):
    """Brows, eyes, nose and mouth painted onto `image` `(H, W, 3)`."""
    shift = _yaw_shift(view)
    eye_y, eye_h = person.eye_level, person.eye_size * person.eye_shape
    for side in (-1, 1):
        eye_x = side * person.eye_spacing + shift
        brow = _ellipse(
            x, y, eye_x, eye_y - 0.09, 1.2 * person.eye_size, 0.018 * person.brow_weight, pixel
        )
        image = _paint(image, 0.9 * brow, person.hair)
        sclera = _ellipse(x, y, eye_x, eye_y, person.eye_size, eye_h, pixel)
        image = _paint(image, sclera, (0.93, 0.92, 0.88))
        iris_x, iris_y = eye_x + view.gaze[0] * person.eye_size, eye_y + view.gaze[1] * eye_h
        image = _paint(
            image, sclera * _ellipse(x, y, iris_x, iris_y, eye_h, eye_h, pixel), person.iris
        )
        image = _paint(
            image,
            sclera * _ellipse(x, y, iris_x, iris_y, 0.4 * eye_h, 0.4 * eye_h, pixel),
            (0.02, 0.02, 0.02),
        )
        nose_y = eye_y + person.nose_length
        image = _paint(
            image,
            0.7 * _ellipse(x, y, side * 0.04 + shift, nose_y, 0.022, 0.012, pixel),
            (0.1, 0.06, 0.05),
        )
    side_shadow = _ellipse(
        x,
        y,
        -0.05 * np.sign(view.light[0]) + shift,
        eye_y + 0.6 * person.nose_length,
        0.03,
        0.5 * person.nose_length,
        pixel,
    )
    image = image * (1 - 0.18 * side_shadow[..., None])
    mouth_y = eye_y + person.nose_length + 0.12
    image = _paint(
        image,
        _ellipse(x, y, shift, mouth_y, person.mouth_width, 0.03 + view.mouth_open, pixel),
        person.lips,
    )
    if view.mouth_open > 0.005:
        inner = _ellipse(x, y, shift, mouth_y, 0.8 * person.mouth_width, view.mouth_open, pixel)
        image = _paint(image, inner, (0.12, 0.04, 0.04))
    return image


def render_face(person: Identity, view: View, size: int, rng: np.random.Generator) -> np.ndarray:
    """Noise-free render `(H, W, 3)` in [0, 1] of `person` seen through `view`."""
    u, v, x, y = _face_coordinates(view, size)
    pixel = 2 / size / view.scale
    a, b = person.face_width, person.face_height
    image = _background(u, v, view)
    shade = _shading(person, view, x, y)
    hair_texture = (
        1 + 0.12 * gaussian_blur(rng.normal(size=(size, size)).astype(np.float32), 0.5)
    )[..., None]
    hair = np.asarray(person.hair, dtype=np.float32) * hair_texture * (0.6 + 0.5 * shade)
    if person.long_hair:
        back = _ellipse(x, y, 0, 0.12, 1.35 * a, 1.2 * b, pixel) * (y < 0.95 * b)
        image = _paint(image, back, hair)
    image = _paint(
        image, _ellipse(x, y, 0, b + 0.05, 0.5 * a, 0.4, pixel), np.asarray(person.skin) * 0.7
    )
    image = _paint(image, _ellipse(x, y, 0, b + 0.75, 1.0, 0.5, pixel), view.shirt)
    face = np.asarray(person.skin, dtype=np.float32) * np.ones_like(image)
    if person.beard:
        jaw = np.clip((y - 0.15) / 0.1, 0, 1) * person.beard
        face = _paint(face, jaw, person.hair)
    face = _features(face, person, view, x, y, pixel)
    pores = 1 + 0.04 * gaussian_blur(rng.normal(size=(size, size)).astype(np.float32), 0.6)
    image = _paint(image, _face_outline(person, x, y, pixel), face * pores[..., None] * shade)
    cap = _ellipse(x, y, 0, -0.1 * b, 1.1 * a, 0.95 * b, pixel)
    cap *= np.clip((person.hairline + 0.3 * (x / a) ** 2 - y) / pixel + 0.5, 0, 1)
    image = _paint(image, cap, hair)
    image = image * view.exposure * np.asarray(view.tint, dtype=np.float32)
    return np.clip(image, 0, 1).astype(np.float32)


def inner_face_region(view: View, size: int) -> np.ndarray:
    """Mask `(H, W)` of the inner face (brows to mouth) that a manipulation replaces."""
    _, _, x, y = _face_coordinates(view, size)
    axes = 0.34 * view.region_scale, 0.38 * view.region_scale
    return _ellipse(x, y, _yaw_shift(view), 0.09, *axes, 2 / size / view.scale)


def camera(image: np.ndarray, view: View, rng: np.random.Generator) -> np.ndarray:
    """Lens blur and sensor noise, the same law for every image."""
    scale = image.shape[0] / 64
    blurred = gaussian_blur(image, view.blur * scale)
    return blurred + rng.normal(0, view.noise, image.shape).astype(np.float32)


def recording_noise(view: View, size: int, rng: np.random.Generator) -> np.ndarray:
    """Noise `(H, W, 3)` added to the finished frame (recompression), real or fake."""
    return rng.normal(0, view.post_noise, (size, size, 3)).astype(np.float32)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """`(H, W, 3)` float in [0, 1] -> uint8."""
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
