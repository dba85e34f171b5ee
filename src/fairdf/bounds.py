"""Documented bounds of every numeric config value, checked generically.

`BOUNDS` maps "section.key" to the closed or half-open range its value must lie in.
`check_section(obj, section)` walks a config dataclass and applies, to every field:
- a float must be finite (NaN and infinities are refused everywhere);
- an int must lie within `INT_LIMIT` in magnitude;
- a key listed in `BOUNDS` must lie in its range.
New fields therefore get the finiteness check without any edit here; a field with a
meaningful range adds one line to `BOUNDS`. The table is shown in docs/errors.md.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from fairdf.errors import ConfigError

INT_LIMIT = 2**63 - 1

# -- files fairdf parses (fairdf.documents) -------------------------------------------
# json and PyYAML recurse once per nesting level (RecursionError near 1000); fairdf's own
# files nest at most 5 levels, DeepfakeBench dataset JSON 6, configs and --attributes 3.
MAX_NESTING = 64
# DeepfakeBench's largest dataset JSON (every frame path of FaceForensics++) is a few
# hundred MB; json needs several times a file's size in memory.
MAX_JSON_BYTES = 1024 * 2**20
# configs and --attributes files are a few KB; PyYAML parses about 1 MB per second.
MAX_YAML_BYTES = 4 * 2**20


@dataclass(frozen=True)
class Bound:
    """low <= value <= high, with `open_low` / `open_high` making that end strict."""

    low: float
    high: float
    open_low: bool = False
    open_high: bool = False

    def contains(self, value: float) -> bool:
        above = value > self.low if self.open_low else value >= self.low
        below = value < self.high if self.open_high else value <= self.high
        return above and below

    def describe(self) -> str:
        left = "(" if self.open_low else "["
        right = ")" if self.open_high else "]"
        return f"{left}{_number(self.low)}, {_number(self.high)}{right}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def _closed(low: float, high: float) -> Bound:
    return Bound(low, high)


def _positive(high: float) -> Bound:
    return Bound(0, high, open_low=True)


WEIGHT = _closed(0, 1e6)
BOUNDS: dict[str, Bound] = {
    "data.workers": _closed(0, 256),
    "data.max_image_pixels": _closed(1, 2**31 - 1),
    "model.n_groups": _closed(2, 1024),
    "model.n_methods": _closed(1, 1024),
    "model.encoder_channels": _closed(2, 16384),
    "model.feature_channels": _closed(1, 8192),
    "model.hidden_dim": _closed(1, 16384),
    "model.head_dropout": Bound(0, 1, open_high=True),
    "model.decoder_dropout": Bound(0, 1, open_high=True),
    "model.image_size": _closed(16, 1024),
    "loss.shared_weight": WEIGHT,
    "loss.specific_weight": WEIGHT,
    "loss.reconstruction_weight": WEIGHT,
    "loss.contrastive_weight": WEIGHT,
    "loss.demographic_weight": WEIGHT,
    "loss.fuse_weight": WEIGHT,
    "loss.contrastive_margin": _positive(1e6),
    "loss.ldam_max_margin": _positive(1e3),
    "loss.ldam_scale": _positive(1e4),
    "loss.alpha_inner": _positive(1),
    "loss.alpha_outer": _positive(1),
    "loss.tau1": _positive(1e3),
    "loss.tau2": _positive(1e3),
    "optim.lr": _positive(10),
    "optim.momentum": Bound(0, 1, open_high=True),
    "optim.weight_decay": _closed(0, 1),
    "optim.rho": _positive(10),
    "optim.step_size": _closed(1, 1e6),
    "optim.gamma": _positive(1),
    "train.epochs": _closed(1, 1e6),
    "train.batch_size": _closed(1, 65536),
    "train.eval_batch_size": _closed(1, 65536),
    "train.seed": _closed(0, 2**32 - 1),
    "train.max_steps_per_epoch": _closed(1, 1e9),
    "train.fairness_warmup_epochs": _closed(0, 1e6),
}


# -- the report (fairdf.report.largest) ------------------------------------------------
# its figures draw a panel, a curve or a pair of bars per group, at tenths of a second
# each in matplotlib; per view, the figures and the HTML group tables show this many of
# the largest groups (the Markdown twin lists every group)
REPORT_GROUPS = 50

# -- integer options of the commands (fairdf.commands.argtypes.bounded), checked when
# parsed, so that no option can ask for unbounded memory or time -----------------------
SEED = _closed(0, 2**32 - 1)  # as train.seed; numpy refuses negative seeds
OPTIONS: dict[str, Bound] = {
    # images per forward pass: as train.batch_size
    "--batch-size": _closed(1, 65536),
    # DataLoader worker processes: as data.workers
    "test --workers": _closed(0, 256),
    # process-pool workers of prepare; each holds a video decoder or a face detector
    "prepare --workers": _closed(1, 256),
    # each identity adds 3 videos (original + 2 methods) written one after the other
    "prepare sample --identities": _closed(2, 200),
    # a sample video's frames (128 x 128 RGB, 48 KiB each) are held in memory: 48 MiB
    "prepare sample --frames": _closed(1, 1000),
    # the evenly spaced frame indices are built as one array; videos have ~300-1000 frames
    "prepare frames --count": _closed(1, 100000),
    "prepare frames --every": _closed(1, 1000000),
    # a crop is resampled in memory; the model takes at most 1024 px (model.image_size)
    "prepare faces --size": _closed(16, 4096),
    # dlib upsampling doubles the image side per level: 3 levels = 64 times the pixels
    "--upsample": _closed(0, 3),
    # the smallest face to find, in pixels: below 10 px no landmarks can be located, and
    # a face above 4096 px fills no frame fairdf reads
    "--min-face": _closed(10, 4096),
    # a video's sampled face crops are scored together
    "predict --frames": _closed(1, 1024),
    # the side of an ONNX model's input (test/predict --model): a batch of 64 images of
    # 2048 px is 3 GiB of float32
    "--input-size": _closed(16, 2048),
    # as model.n_methods / model.n_groups
    "--n-methods": _closed(1, 1024),
    "import-reference --n-groups": _closed(2, 1024),
    # each resample recomputes every metric; at 20000 the Monte-Carlo error of a 95%
    # percentile interval is far below its width
    "--bootstrap": _closed(0, 20000),
    "--seed": SEED,
    # calibration images go through the float model one by one on the CPU
    "export --calibration-images": _closed(1, 5000),
    # the demo trains on a CPU: 1200 images x 10 epochs take a few minutes
    "demo --n": _closed(1, 100000),
    "demo --epochs": _closed(1, 1000),
    "demo --threads": _closed(1, 256),
    # synth writes each image as a PNG; 10^6 images are already hours and gigabytes
    "synth --n": _closed(1, 1000000),
    "synth --size": _closed(32, 1024),  # as fairdf.data.synth.make_settings
    "synth --frames-per-identity": _closed(1, 1000),
    "synth --held-out": _closed(1, 5),  # the 5 synthetic methods
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def check_value(key: str, value: Any) -> None:
    """Raise ConfigError when a numeric `value` of config key `key` is out of bounds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"config key '{key}': must be a finite number, got {_shown(value)}")
    if isinstance(value, int) and abs(value) > INT_LIMIT:
        raise ConfigError(f"config key '{key}': integer {_shown(value)} is out of range")
    bound = BOUNDS.get(key)
    if bound is not None and not bound.contains(value):
        raise ConfigError(f"config key '{key}': must be in {bound.describe()}, got {_shown(value)}")


def check_section(obj: Any, section: str) -> None:
    """Check every numeric field of dataclass `obj` (nested lists too) as `section.name`."""
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        key = f"{section}.{field.name}"
        if dataclasses.is_dataclass(value):
            check_section(value, key)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                check_value(f"{key}[{index}]", item)
        else:
            check_value(key, value)
