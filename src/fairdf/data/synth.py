"""Synthetic face-forgery data: the demo data and test fixture of fairdf.

Identities (drawn by `synth_faces`) are split 60/20/20 without overlap. Every split holds
real images of its identities and fakes: identity A's frame with the inner face of a
source identity B of the same split pasted in by one of five manipulations
(`synth_methods`). The held-out methods appear only in `test.csv`. The fake's group is
its target's group. The group labels are placeholders: they name the appearance
parameters that drew a face, not anyone's gender or race.

Layout written by `make_synthetic_dataset(OUT)`:
`OUT/{faketrain,realtrain,fakeval,realval,test}.csv` (reference layout, `img_path`
relative to OUT, extra columns `identity`, `source_identity`, `method_name`; `spe_label`
on fake train/val rows and on every test row, 0 for reals), `OUT/images/<split>/*.png`,
`OUT/dataset.json` (generator parameters and method names).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from fairdf.data.groups import get_scheme
from fairdf.data.manifest import MANIFEST_COLUMNS, METHOD_COLUMN, write_manifest
from fairdf.data.synth_faces import (
    INNER_TRAITS,
    Identity,
    camera,
    inner_face_region,
    make_identity,
    make_view,
    recording_noise,
    render_face,
    to_uint8,
)
from fairdf.data.synth_methods import METHOD_NAMES, manipulate
from fairdf.documents import read_json
from fairdf.errors import ConfigError, DataError
from fairdf.io import atomic_path

SCHEME = get_scheme("ffpp")
SPLITS = ("train", "val", "test")
MANIFEST_NAMES = ("faketrain", "realtrain", "fakeval", "realval", "test")
EXTRA_COLUMNS = ("identity", "source_identity", "method_name")
GENERATOR = "fairdf synth"
# FF++ training images per group (the reference's LDAM counts, docs/method.md, Losses); the default imbalance is their square root,
# uneven (about 5:1 between the largest and smallest group) without losing small groups.
FFPP_GROUP_COUNTS = (2475, 25443, 1468, 4163, 8013, 31281, 1111, 2185)
DEFAULT_GROUP_WEIGHTS = tuple(
    float(w) for w in np.sqrt(FFPP_GROUP_COUNTS) / np.sqrt(FFPP_GROUP_COUNTS).sum()
)
PLACEHOLDER_NOTE = (
    "Synthetic data: the group labels are placeholders for the appearance parameters "
    "that drew each face; they say nothing about real people's gender or race."
)


@dataclass(frozen=True)
class SynthSettings:
    """Validated generator parameters (see `make_synthetic_dataset`)."""

    n_images: int = 1000
    size: int = 64
    seed: int = 0
    group_weights: tuple[float, ...] = DEFAULT_GROUP_WEIGHTS
    methods: int = 5
    held_out_methods: tuple[int, ...] = (5,)
    fake_ratio: float = 0.5
    ratios: tuple[float, float, float] = (0.6, 0.2, 0.2)
    frames_per_identity: int = 5

    @property
    def train_methods(self) -> tuple[int, ...]:
        return tuple(m for m in range(1, self.methods + 1) if m not in self.held_out_methods)

    def split_methods(self, split: str) -> tuple[int, ...]:
        return tuple(range(1, self.methods + 1)) if split == "test" else self.train_methods


@dataclass
class SyntheticDataset:
    """A written synthetic dataset: folder, manifest paths, parameters file, image table."""

    root: Path
    manifests: dict[str, Path]
    metadata: Path
    settings: SynthSettings
    table: pd.DataFrame = field(repr=False)

    @property
    def counts(self) -> dict[str, int]:
        """Number of images per manifest name."""
        return {name: len(frame) for name, frame in manifest_frames(self.table).items()}


def _require(ok: bool, key: str, value: object, expected: str) -> None:
    if not ok:
        raise ConfigError(f"synth: {key} = {value!r} is invalid; expected {expected}")


def make_settings(**kwargs) -> SynthSettings:
    """Build and check `SynthSettings`; a bad value raises ConfigError naming its key."""
    s = SynthSettings(**kwargs)
    weights = np.asarray(s.group_weights, dtype=float)
    _require(
        isinstance(s.n_images, int) and s.n_images > 0,
        "n_images (--n)",
        s.n_images,
        "an integer > 0",
    )
    _require(
        isinstance(s.size, int) and 32 <= s.size <= 1024 and s.size % 2 == 0,
        "size (--size)",
        s.size,
        "an even number of pixels from 32 to 1024",
    )
    _require(isinstance(s.seed, int) and s.seed >= 0, "seed (--seed)", s.seed, "an integer >= 0")
    _require(
        weights.shape == (SCHEME.n_groups,)
        and bool(np.isfinite(weights).all())
        and weights.min() >= 0
        and weights.sum() > 0,
        "group_weights",
        s.group_weights,
        f"{SCHEME.n_groups} non-negative numbers, not all 0 ({', '.join(SCHEME.group_names)})",
    )
    _require(isinstance(s.methods, int) and 1 <= s.methods <= 5, "methods", s.methods, "1..5")
    _require(
        set(s.held_out_methods) <= set(range(1, s.methods + 1)) and len(s.train_methods) > 0,
        "held_out_methods (--held-out)",
        s.held_out_methods,
        f"method ids from 1..{s.methods} leaving at least one training method",
    )
    _require(0 < s.fake_ratio < 1, "fake_ratio", s.fake_ratio, "a number between 0 and 1")
    _require(
        len(s.ratios) == 3 and min(s.ratios) > 0,
        "ratios",
        s.ratios,
        "three positive train/val/test shares",
    )
    _require(
        isinstance(s.frames_per_identity, int) and s.frames_per_identity >= 1,
        "frames_per_identity (--frames-per-identity)",
        s.frames_per_identity,
        "an integer >= 1",
    )
    return replace(
        s,
        group_weights=tuple(float(w) for w in weights / weights.sum()),
        held_out_methods=tuple(sorted(set(s.held_out_methods))),
        ratios=tuple(float(r) / sum(s.ratios) for r in s.ratios),
    )


def allocate(total: int, weights: Sequence[float]) -> np.ndarray:
    """Split `total` into integer parts proportional to `weights` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    share = total * w / w.sum()
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def _group_counts(n_people: int, weights: Sequence[float]) -> np.ndarray:
    """Identities per group: proportional, but each weighted group gets one while it can."""
    counts = allocate(n_people, weights)
    for group in np.flatnonzero((np.asarray(weights) > 0) & (counts == 0)):
        largest = int(np.argmax(counts))
        if counts[largest] <= 1:
            break
        counts[largest] -= 1
        counts[group] += 1
    return counts


def _split_sizes(s: SynthSettings) -> list[tuple[int, int, int]]:
    """(real images, fake images, identities) per split; ConfigError when too small."""
    sizes = []
    for split, n_split in zip(SPLITS, allocate(s.n_images, s.ratios), strict=True):
        n_fake = round(n_split * s.fake_ratio)
        n_real = n_split - n_fake
        if n_real < 2 or n_fake < len(s.split_methods(split)):
            raise ConfigError(
                f"synth: n_images (--n) = {s.n_images} is too small: the {split} split gets "
                f"{n_real} real and {n_fake} fake images; it needs at least 2 reals and one "
                f"fake per method ({len(s.split_methods(split))}); use a larger --n"
            )
        sizes.append((n_real, n_fake, max(2, math.ceil(n_real / s.frames_per_identity))))
    return sizes


def plan_dataset(settings: SynthSettings) -> tuple[pd.DataFrame, dict[str, Identity]]:
    """The table of images to draw (one row each) and the identities by name.

    Columns: split, label, identity, source_identity ('' for reals), spe_label (0 for
    reals), method_name, take (index among the identity's images of that kind), gender,
    race, group, img_path.
    """
    rng = np.random.default_rng([settings.seed, 0])
    identities: dict[str, Identity] = {}
    rows: list[dict] = []
    for split, (n_real, n_fake, n_people) in zip(SPLITS, _split_sizes(settings), strict=True):
        counts = _group_counts(n_people, settings.group_weights)
        groups = rng.permutation(np.repeat(np.arange(SCHEME.n_groups), counts))
        people = []
        for group in groups:
            name = f"id{len(identities):04d}"
            gender, race = SCHEME.group_name(int(group)).split("-")
            person_rng = np.random.default_rng([settings.seed, 1, len(identities)])
            identities[name] = make_identity(name, gender, race, person_rng)
            people.append(name)
        rows += _real_rows(split, people, n_real)
        rows += _fake_rows(split, people, n_fake, settings.split_methods(split), rng)
    table = pd.DataFrame(rows)
    table["gender"] = [identities[n].gender for n in table["identity"]]
    table["race"] = [identities[n].race for n in table["identity"]]
    table["group"] = [identities[n].group for n in table["identity"]]
    table["img_path"] = [_file_name(row) for row in table.itertuples()]
    return table, identities


def _real_rows(split: str, people: list[str], n_real: int) -> list[dict]:
    counts = allocate(n_real, np.ones(len(people)))
    return [
        {
            "split": split,
            "label": 0,
            "identity": person,
            "source_identity": "",
            "spe_label": 0,
            "method_name": "real",
            "take": take,
        }
        for person, count in zip(people, counts, strict=True)
        for take in range(count)
    ]


def _fake_rows(
    split: str,
    people: list[str],
    n_fake: int,
    methods: tuple[int, ...],
    rng: np.random.Generator,
) -> list[dict]:
    """Fakes cycle over target identities, each with a fixed source (as in FF++); the
    methods are dealt out evenly, in random order."""
    order = rng.permutation(len(people))
    source_of = {people[order[i]]: people[order[(i + 1) % len(people)]] for i in range(len(people))}
    dealt = rng.permutation(np.resize(np.asarray(methods), n_fake))
    rows = []
    for index, method in enumerate(dealt):
        person, take = people[index % len(people)], index // len(people)
        rows.append(
            {
                "split": split,
                "label": 1,
                "identity": person,
                "source_identity": source_of[person],
                "spe_label": int(method),
                "method_name": METHOD_NAMES[int(method)],
                "take": take,
            }
        )
    return rows


def _file_name(row: Any) -> str:
    if row.label == 0:
        return f"images/{row.split}/real_{row.identity}_{row.take:02d}.png"
    return (
        f"images/{row.split}/fake_m{row.spe_label}_{row.identity}_{row.source_identity}"
        f"_{row.take:02d}.png"
    )


def render_pair(
    row: Any, index: int, identities: dict[str, Identity], settings: SynthSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Image `(H, W, 3)` uint8 of `row` (a named tuple of `plan_dataset`'s table, at
    position `index`) and its target frame before any manipulation (the same image for
    reals). Each image has its own random stream, so images can be drawn in any order."""
    rng = np.random.default_rng([settings.seed, 2, index])
    view = make_view(rng)
    size = settings.size
    person = identities[row.identity]
    frame = camera(render_face(person, view, size, rng), view, rng)
    recording = recording_noise(view, size, rng)
    if row.label == 0:
        image = to_uint8(frame + recording)
        return image, image
    source = identities[row.source_identity]
    swapped = replace(person, **{trait: getattr(source, trait) for trait in INNER_TRAITS})
    swapped_frame = camera(render_face(swapped, view, size, rng), view, rng)
    region = inner_face_region(view, size)
    fake = manipulate(int(row.spe_label), frame, swapped_frame, region, rng, size / 64)
    return to_uint8(fake + recording), to_uint8(frame + recording)


def make_synthetic_arrays(**settings) -> tuple[np.ndarray, pd.DataFrame]:
    """In-memory dataset: images `(N, H, W, 3)` uint8 and the table of `plan_dataset`.

    Takes the keyword arguments of `make_synthetic_dataset` (except `out_dir`).
    """
    resolved = make_settings(**settings)
    table, identities = plan_dataset(resolved)
    images = [
        render_pair(row, index, identities, resolved)[0]
        for index, row in enumerate(table.itertuples())
    ]
    return np.stack(images), table


def manifest_frames(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The five manifests (reference columns, `spe_label` where it belongs, extras)."""
    frame = pd.DataFrame({"img_path": table["img_path"], "label": table["label"]})
    frame["ismale"] = np.where(table["gender"] == "male", 1, -1)
    for race in ("asian", "white", "black"):
        frame[f"is{race}"] = np.where(table["race"] == race, 1, -1)
    frame["intersec_label"] = table["group"]
    frame[METHOD_COLUMN] = table["spe_label"]
    for column in EXTRA_COLUMNS:
        frame[column] = table[column]
    plain = [*MANIFEST_COLUMNS, *EXTRA_COLUMNS]
    with_method = [*MANIFEST_COLUMNS, METHOD_COLUMN, *EXTRA_COLUMNS]
    split, fake = table["split"], table["label"] == 1
    frames = {}
    for name, split_name in (("train", "train"), ("val", "val")):
        frames[f"fake{name}"] = frame.loc[(split == split_name) & fake, with_method]
        frames[f"real{name}"] = frame.loc[(split == split_name) & ~fake, plain]
    frames["test"] = frame.loc[split == "test", with_method]
    return {name: frames[name].reset_index(drop=True) for name in MANIFEST_NAMES}


def _metadata(settings: SynthSettings, table: pd.DataFrame) -> dict:
    used = range(1, settings.methods + 1)
    return {
        "generator": GENERATOR,
        "format_version": 1,
        "note": PLACEHOLDER_NOTE,
        **asdict(settings),
        "scheme": SCHEME.name,
        "group_names": list(SCHEME.group_names),
        "method_names": {str(m): METHOD_NAMES[m] for m in used},
        "train_methods": list(settings.train_methods),
        "counts": {name: len(f) for name, f in manifest_frames(table).items()},
        "identities": {
            s: int(table.loc[table["split"] == s, "identity"].nunique()) for s in SPLITS
        },
    }


def _check_target(out: Path, overwrite: bool) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise DataError(f"{out}: exists and is not a folder; choose another output folder")
    if not any(out.iterdir()):
        return
    if not overwrite:
        raise DataError(f"{out}: folder is not empty; pass --overwrite or choose another folder")
    try:
        generator = read_json(out / "dataset.json")["generator"]
    except (OSError, ValueError, KeyError, TypeError, DataError):
        generator = None
    if generator != GENERATOR:
        raise DataError(
            f"{out}: refusing to overwrite a folder that is not a fairdf synthetic dataset "
            "(no dataset.json from 'fairdf synth'); choose another folder"
        )


def make_synthetic_dataset(
    out_dir: str | Path, *, overwrite: bool = False, **settings
) -> SyntheticDataset:
    """Draw and write a synthetic dataset to `out_dir` (built aside, then moved in place).

    Keyword arguments are the fields of `SynthSettings`: n_images=1000, size=64, seed=0,
    group_weights (8 groups of scheme ffpp; default FF++'s counts, square-rooted),
    methods=5, held_out_methods=(5,) (test only), fake_ratio=0.5, ratios=(0.6, 0.2, 0.2)
    (identity-disjoint train/val/test), frames_per_identity=5. A non-empty `out_dir` is
    refused unless `overwrite` and it holds an earlier synthetic dataset.
    """
    resolved = make_settings(**settings)
    out = Path(out_dir).expanduser().absolute()
    table, identities = plan_dataset(resolved)
    _check_target(out, overwrite)
    with atomic_path(out) as tmp:
        for split in SPLITS:
            (tmp / "images" / split).mkdir(parents=True)
        for index, row in enumerate(table.itertuples()):
            image = render_pair(row, index, identities, resolved)[0]
            Image.fromarray(image).save(tmp / row.img_path, format="PNG")
        for name, frame in manifest_frames(table).items():
            write_manifest(frame, tmp / f"{name}.csv")
        metadata = json.dumps(_metadata(resolved, table), indent=2) + "\n"
        (tmp / "dataset.json").write_text(metadata, encoding="utf-8")
    return SyntheticDataset(
        root=out,
        manifests={name: out / f"{name}.csv" for name in MANIFEST_NAMES},
        metadata=out / "dataset.json",
        settings=resolved,
        table=table,
    )


def format_summary(dataset: SyntheticDataset) -> str:
    """Counts per split x label, per group x split and per method x split."""
    table = dataset.table
    kind = table["label"].map({0: "real", 1: "fake"})
    by_label = pd.crosstab(table["split"], kind, margins=True, margins_name="total")
    by_group = pd.crosstab(
        pd.Categorical(table["group"].map(SCHEME.group_name), SCHEME.group_names),
        table["split"],
        margins=True,
        margins_name="total",
        dropna=False,
    )
    fakes = table[table["label"] == 1]
    by_method = pd.crosstab(fakes["method_name"], fakes["split"])
    order = [*SPLITS, "total"]
    parts = [
        f"wrote {len(table)} images of {table['identity'].nunique()} identities to {dataset.root}",
        by_label.reindex([*SPLITS, "total"]).to_string(),
        by_group.reindex(columns=order).rename_axis(index="group", columns=None).to_string(),
        by_method.reindex(columns=list(SPLITS), fill_value=0).rename_axis(columns=None).to_string(),
        f"held-out methods (test only): {list(dataset.settings.held_out_methods) or 'none'}",
        PLACEHOLDER_NOTE,
    ]
    return "\n\n".join(parts)
