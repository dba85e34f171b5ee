"""The seeded weight recipe and test images behind `tests/reference/peers/`.

The recipe needs no random generator: each value comes from a fixed hash of its key's
index and its position, so the source's model (when the vectors were made) and fairdf
(in the tests) get bit-identical weights from the key list alone.

    u        = frac(43758.5453 * sin(12.9898 * (position + 1) + 78.233 * (key index + 1)))
    v        = 2u - 1                                   uniform in [-1, 1)
    weight   = v * sqrt(3 g / fan_in)                   (conv, linear; variance g / fan_in,
               g = 2.5 inside an EfficientNet, whose SiLU and squeeze-excitation gates
               would otherwise wash the image out of the logits; g = 1 elsewhere)
    bias     = 0.1 v;  BN: weight 1 + 0.1 v, bias 0.1 v, running_mean 0.1 v,
               running_var 1 + 0.5 u;  num_batches_tracked 0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

PEERS = Path(__file__).resolve().parent.parent / "reference" / "peers"
EFFICIENTNET_GAIN = 2.5


def uniform(count: int, key_index: int) -> np.ndarray:
    """`count` values in [0, 1) (float64) for the key at `key_index`."""
    position = np.arange(count, dtype=np.float64) + 1.0
    hashed = np.sin(12.9898 * position + 78.233 * (key_index + 1)) * 43758.5453
    return hashed - np.floor(hashed)


def recipe_value(key: str, shape: Sequence[int], key_index: int) -> np.ndarray:
    """The recipe's array for one state-dict entry (float32, or int64 for counters)."""
    count = math.prod(shape)
    if key.endswith("num_batches_tracked"):
        return np.zeros(shape, dtype=np.int64)
    u = uniform(count, key_index)
    v = 2.0 * u - 1.0
    leaf = key.rsplit(".", 1)[-1]
    if leaf == "running_var":
        values = 1.0 + 0.5 * u
    elif leaf == "running_mean" or leaf == "bias":
        values = 0.1 * v
    elif len(shape) == 1:  # a BatchNorm weight
        values = 1.0 + 0.1 * v
    else:
        gain = EFFICIENTNET_GAIN if "efficientnet." in key else 1.0
        values = v * math.sqrt(3.0 * gain / math.prod(shape[1:]))
    return values.reshape(shape).astype(np.float32)


def recipe_state(layout: Sequence[tuple[str, tuple[int, ...]]]) -> dict[str, np.ndarray]:
    """Every entry of `layout` ((key, shape) in file order) filled by the recipe."""
    return {key: recipe_value(key, shape, index) for index, (key, shape) in enumerate(layout)}


def read_layout(path: Path) -> list[tuple[str, tuple[int, ...]]]:
    """(key, shape) rows of a layout TSV (`key<TAB>AxBxC`, a header line first)."""
    rows = []
    for line in path.read_text().splitlines()[1:]:
        key, shape = line.split("\t")
        rows.append((key, tuple(int(n) for n in shape.split("x")) if shape else ()))
    return rows


def test_image(index: int, size: int) -> np.ndarray:
    """A fixed `(size, size, 3)` uint8 RGB picture: smooth gradients plus hashed texture."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    texture = uniform(size * size * 3, 1000 + index).reshape(size, size, 3)
    base = np.stack([x, y, 0.5 + 0.5 * np.sin(6.0 * (x + y) + index)], axis=-1)
    picture = 0.7 * base + 0.3 * texture
    if index % 2:  # the odd pictures dark where the even ones are light
        picture = 0.25 * (1.0 - picture)
    return np.clip(255.0 * picture, 0, 255).astype(np.uint8)
