"""Identity-disjoint train/val/test split (`fairdf prepare split`).

Every crop carries the identities of its video (from the dataset adapter, plus face-
embedding clusters with `identity="embed"`). Identities that share a crop are joined
(union-find), so a fake lands in the same split as every identity it is made from; each
connected component goes to one split. Components are placed largest first (ties in a
seeded random order) into the split furthest below its target, measured per stratum
(real/fake x demographic group, when annotations are given) and weighted by the
component's make-up, plus the split's overall shortfall. With a test list (an official
test set, `fairdf.prepare.testlist`) the listed videos go to test; unlisted videos that
share an identity with one are dropped (or, with `shared="test"`, moved to test), and
the rest is split between train and val in the ratio TRAIN:VAL (left out when both are
0). Output `split.csv`, paths relative to its folder:

    crop, video, label, method, identities, component, group, split
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fairdf.errors import ConfigError, DataError
from fairdf.prepare.crops import read_faces_index
from fairdf.prepare.files import to_relative, write_table
from fairdf.prepare.identities import get_adapter, parse_videos
from fairdf.prepare.testlist import SHARED_POLICIES, ListOutcome, match_listed, read_test_list

SPLITS = ("train", "val", "test")
SPLIT_COLUMNS = ("crop", "video", "label", "method", "identities", "component", "group", "split")
IDENTITY_MODES = ("naming", "embed")
UNKNOWN_GROUP = "unknown"


@dataclass
class SplitSummary:
    frame: pd.DataFrame  # split.csv's rows (crop paths absolute)
    ratios: np.ndarray
    table: pd.DataFrame  # achieved shares per stratum
    path: Path
    test_list: ListOutcome | None = None


def parse_ratios(values: Sequence[float]) -> np.ndarray:
    """Three non-negative numbers with a positive sum, scaled to sum to 1.

    `0 0 1` puts everything in test (a whole-set test manifest).
    """
    ratios = np.asarray(values, dtype=np.float64)
    finite = ratios.shape == (3,) and bool(np.isfinite(ratios).all())
    if not finite or (ratios < 0).any() or ratios.sum() <= 0:
        raise ConfigError(
            f"--ratios needs three non-negative numbers for train val test with a positive "
            f"sum, got {' '.join(str(v) for v in values)}"
        )
    return ratios / ratios.sum()


class UnionFind:
    """Disjoint sets over hashable items (path halving, union by size)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.size: dict[str, int] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        self.size.setdefault(item, 1)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, first: str, second: str) -> None:
        a, b = self.find(first), self.find(second)
        if a == b:
            return
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size[b]


def identity_components(identities: Sequence[Sequence[str]]) -> np.ndarray:
    """Component number per item; items sharing an identity (transitively) share one.

    Components are numbered 0, 1, ... in order of their first item.
    """
    sets = UnionFind()
    for tokens in identities:
        if not tokens:
            raise ValueError("every item needs at least one identity")
        for token in tokens[1:]:
            sets.union(tokens[0], token)
    numbers: dict[str, int] = {}
    return np.array([numbers.setdefault(sets.find(t[0]), len(numbers)) for t in identities])


def assign_splits(
    components: np.ndarray, strata: np.ndarray, ratios: np.ndarray, seed: int = 0
) -> np.ndarray:
    """Split index (0 train, 1 val, 2 test) per item; one split per component."""
    component_ids, component_of = np.unique(components, return_inverse=True)
    strata_ids, stratum_of = np.unique(strata, return_inverse=True)
    counts = np.zeros((len(component_ids), len(strata_ids)))
    np.add.at(counts, (component_of, stratum_of), 1)
    totals = counts.sum(axis=0)
    order = np.random.default_rng(seed).permutation(len(component_ids))
    order = order[np.argsort(-counts[order].sum(axis=1), kind="stable")]
    assigned = np.zeros((len(ratios), len(strata_ids)))
    choice = np.zeros(len(component_ids), dtype=np.int64)
    for component in order:
        weights = counts[component] / counts[component].sum()
        need = (ratios[:, None] * totals - assigned) / totals  # (splits, strata)
        overall = ratios - assigned.sum(axis=1) / totals.sum()  # (splits,)
        score = need @ weights + overall
        score[ratios <= 0] = -np.inf
        choice[component] = int(np.argmax(score))
        assigned[choice[component]] += counts[component]
    return choice[component_of]


def achieved_ratios(frame: pd.DataFrame, column: str = "group") -> pd.DataFrame:
    """Images and share per split, overall and per real/fake x `column` stratum."""
    strata = np.where(frame["label"].astype(int) == 1, "fake", "real") + " " + frame[column]
    table = pd.crosstab(pd.Series(strata, name="stratum"), frame["split"])
    table.loc["all"] = table.sum(axis=0)
    table = table.reindex(columns=list(SPLITS), fill_value=0)
    shares = table.div(table.sum(axis=1), axis=0).round(3)
    shares.insert(0, "images", table.sum(axis=1))
    return shares


def _groups(frame: pd.DataFrame, annotations: Path | None) -> np.ndarray:
    if annotations is None:
        return np.full(len(frame), UNKNOWN_GROUP, dtype=object)
    from fairdf.prepare.annotations import read_annotations

    table, scheme = read_annotations(annotations)
    ids = dict(zip(table["path"], scheme.ids_from_attributes(table), strict=True))
    return np.array(
        [scheme.group_name(ids[p]) if p in ids else UNKNOWN_GROUP for p in frame["path"]],
        dtype=object,
    )


def _identities(
    frame: pd.DataFrame, parsed: dict, mode: str, threshold: float
) -> list[tuple[str, ...]]:
    lists = [parsed[video].identities for video in frame["video"]]
    if mode == "naming":
        return lists
    from fairdf.prepare.embeddings import embedding_identities

    crops_by_video = frame.groupby("video", sort=False)["path"].apply(list).to_dict()
    clusters = embedding_identities(crops_by_video, threshold)
    return [(*tokens, clusters[video]) for tokens, video in zip(lists, frame["video"], strict=True)]


def split_dataset(
    faces_csv: Path,
    out: Path,
    dataset: str,
    *,
    videos_root: Path | None = None,
    identity: str = "naming",
    annotations: Path | None = None,
    ratios: Sequence[float] = (0.6, 0.2, 0.2),
    seed: int = 0,
    threshold: float = 0.6,
    test_list: Path | None = None,
    shared: str = "drop",
) -> SplitSummary:
    """Write `out` (split.csv) for the crops indexed by `faces_csv` (module docstring)."""
    if identity not in IDENTITY_MODES:
        raise ConfigError(f"unknown --identity '{identity}'; valid: {', '.join(IDENTITY_MODES)}")
    if shared not in SHARED_POLICIES:
        raise ConfigError(f"unknown --shared '{shared}'; valid: {', '.join(SHARED_POLICIES)}")
    target_ratios = parse_ratios(ratios)
    listed = read_test_list(test_list) if test_list is not None else None
    frame = read_faces_index(faces_csv)
    parsed = parse_videos(get_adapter(dataset, videos_root), list(frame["video"]))
    identities = _identities(frame, parsed, identity, threshold)
    frame["label"] = [parsed[v].label for v in frame["video"]]
    frame["method"] = [parsed[v].method for v in frame["video"]]
    frame["identities"] = [";".join(dict.fromkeys(tokens)) for tokens in identities]
    frame["component"] = identity_components(identities)
    frame["group"] = _groups(frame, annotations)
    outcome = None
    if listed is None:
        frame["split"] = _assigned(frame, np.ones(len(frame), bool), target_ratios, seed)
    else:
        frame, outcome = _apply_test_list(frame, listed, Path(test_list), shared)
        frame = _split_unlisted(frame, target_ratios, seed, outcome)
    written = frame.assign(crop=[to_relative(p, Path(out).parent) for p in frame["path"]])
    path = write_table(written[list(SPLIT_COLUMNS)], Path(out))
    return SplitSummary(frame, target_ratios, achieved_ratios(frame), path, outcome)


def _assigned(frame: pd.DataFrame, rows: np.ndarray, ratios: np.ndarray, seed: int) -> np.ndarray:
    """Split names for `frame[rows]` by `assign_splits` (strata: label x group)."""
    part = frame[rows]
    strata = (part["label"].astype(str) + " " + part["group"]).to_numpy()
    return np.asarray(SPLITS)[assign_splits(part["component"].to_numpy(), strata, ratios, seed)]


def _apply_test_list(
    frame: pd.DataFrame, listed: list[str], path: Path, shared: str
) -> tuple[pd.DataFrame, ListOutcome]:
    """Listed videos -> test; unlisted videos of their components dropped or -> test."""
    matched, missing = match_listed(listed, list(frame["video"]))
    if not matched:
        raise DataError(
            f"{path}: none of its {len(listed)} listed video(s) has crops in the faces index "
            f"(first: {listed[0]}); check that both describe the same dataset"
        )
    is_listed = frame["video"].isin(matched).to_numpy()
    tested = set(frame.loc[is_listed, "component"])
    sharing = frame["component"].isin(tested).to_numpy() & ~is_listed
    shared_videos = sorted(set(frame.loc[sharing, "video"]))
    frame = frame.assign(split="")
    frame.loc[is_listed | (sharing if shared == "test" else False), "split"] = "test"
    if shared == "drop":
        frame = frame[~sharing].copy()
    outcome = ListOutcome(path, len(listed), missing, len(matched), shared_videos, shared)
    return frame, outcome


def _split_unlisted(
    frame: pd.DataFrame, ratios: np.ndarray, seed: int, outcome: ListOutcome
) -> pd.DataFrame:
    """The videos a test list leaves: train/val by TRAIN:VAL, or left out when both are 0."""
    rest = (frame["split"] == "").to_numpy()
    if not rest.any():
        return frame
    if ratios[:2].sum() <= 0:
        outcome.unlisted_dropped = frame.loc[rest, "video"].nunique()
        return frame[~rest].copy()
    train_val = np.array([ratios[0], ratios[1], 0.0]) / ratios[:2].sum()
    frame.loc[rest, "split"] = _assigned(frame, rest, train_val, seed)
    return frame
