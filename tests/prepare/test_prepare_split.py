"""Identity adapters and the identity-disjoint split, on generated naming schemes."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from fairdf.cli import main
from fairdf.errors import DataError, FairdfError, UnknownNameError
from fairdf.prepare.embeddings import threshold_clusters
from fairdf.prepare.identities import MediaInfo, get_adapter, parse_videos
from fairdf.prepare.split import assign_splits, identity_components, parse_ratios, split_dataset


@pytest.mark.parametrize(
    ("adapter", "video", "expected"),
    [
        ("ffpp", "original_sequences/youtube/c23/videos/000.mp4", MediaInfo(("000",), 0)),
        (
            "ffpp",
            "manipulated_sequences/Face2Face/c23/videos/000_003.mp4",
            MediaInfo(("000", "003"), 1, "Face2Face"),
        ),
        ("ffpp", "NeuralTextures/071_054.mp4", MediaInfo(("071", "054"), 1, "NeuralTextures")),
        ("celebdf", "Celeb-real/id0_0000.mp4", MediaInfo(("id0",), 0)),
        (
            "celebdf",
            "Celeb-synthesis/id0_id16_0003.mp4",
            MediaInfo(("id0", "id16"), 1, "Celeb-synthesis"),
        ),
        ("celebdf", "YouTube-real/00170.mp4", MediaInfo(("youtube-00170",), 0)),
        (
            "dfd",
            "original_sequences/actors/c23/videos/01__talking_angry_couch.mp4",
            MediaInfo(("actor-01",), 0),
        ),
        (
            "dfd",
            "manipulated_sequences/DeepFakeDetection/c23/videos/01_02__talking_angry_couch__YVGY8LOK.mp4",
            MediaInfo(("actor-01", "actor-02"), 1, "DeepFakeDetection"),
        ),
        ("generic", "real/alice/clip1.mp4", MediaInfo(("real/alice/clip1",), 0)),
        (
            "generic",
            "fake/faceswap/x/clip2.mp4",
            MediaInfo(("fake/faceswap/x/clip2",), 1, "faceswap"),
        ),
    ],
)
def test_adapters_parse_dataset_names(adapter, video, expected):
    assert get_adapter(adapter).parse(video) == expected


def test_dfdc_adapter_reads_metadata(tmp_path):
    part = tmp_path / "dfdc_train_part_0"
    part.mkdir()
    metadata = {
        "aaa.mp4": {"label": "FAKE", "original": "xyz.mp4", "split": "train"},
        "xyz.mp4": {"label": "REAL", "split": "train"},
    }
    (part / "metadata.json").write_text(json.dumps(metadata))
    adapter = get_adapter("dfdc", tmp_path)
    assert adapter.parse("dfdc_train_part_0/aaa.mp4") == MediaInfo(("xyz",), 1, "DFDC")
    assert adapter.parse("dfdc_train_part_0/xyz.mp4") == MediaInfo(("xyz",), 0)
    with pytest.raises(DataError, match="1 video name"):
        parse_videos(adapter, ["dfdc_train_part_0/zzz.mp4"])
    (part / "metadata.json").write_text("{not json")
    with pytest.raises(DataError, match="cannot read DFDC metadata"):
        get_adapter("dfdc", tmp_path)
    with pytest.raises(DataError, match="--videos"):
        get_adapter("dfdc")


def test_dfdc_test_metadata_says_is_fake(tmp_path):
    (tmp_path / "test").mkdir()
    metadata = {"t0.mp4": {"is_fake": 0}, "t1.mp4": {"is_fake": 1}, "t2.mp4": {"x": 1}}
    (tmp_path / "test" / "metadata.json").write_text(json.dumps(metadata))
    adapter = get_adapter("dfdc", tmp_path)
    assert adapter.parse("test/t0.mp4") == MediaInfo(("t0",), 0)
    assert adapter.parse("test/t1.mp4") == MediaInfo(("t1",), 1, "DFDC")  # no original known
    with pytest.raises(ValueError, match="needs label REAL or FAKE"):
        adapter.parse("test/t2.mp4")


def test_whole_set_to_test(tmp_path):
    names, _ = ffpp_names(np.random.default_rng(4))
    summary = split_dataset(write_faces_index(tmp_path, names), tmp_path / "s.csv", "ffpp",
                            ratios=(0, 0, 1))  # fmt: skip
    assert (summary.frame["split"] == "test").all() and len(summary.frame) == 2 * len(names)


def test_unknown_adapter_and_bad_names_are_reported():
    with pytest.raises(UnknownNameError, match="celebdf, dfd, dfdc, ffpp, generic"):
        get_adapter("faceforensics")
    with pytest.raises(DataError, match=r"2 video name\(s\) do not fit the 'ffpp' naming"):
        parse_videos(get_adapter("ffpp"), ["a/000.mp4", "a/abc.mp4", "b/x_y.mp4", "a/abc.mp4"])


def brute_force_components(identities: list[tuple[str, ...]]) -> list[set[int]]:
    """Items connected through shared identities, by repeated merging of sets."""
    groups = [({i}, set(tokens)) for i, tokens in enumerate(identities)]
    merged = True
    while merged:
        merged = False
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                if groups[a][1] & groups[b][1]:
                    groups[a] = (groups[a][0] | groups[b][0], groups[a][1] | groups[b][1])
                    del groups[b]
                    merged = True
                    break
            if merged:
                break
    return sorted((items for items, _ in groups), key=min)


def test_identity_components_match_brute_force():
    rng = np.random.default_rng(3)
    identities = [
        tuple(f"p{t}" for t in rng.choice(40, size=rng.integers(1, 3), replace=False))
        for _ in range(60)
    ]
    components = identity_components(identities)
    found = defaultdict(set)
    for item, component in enumerate(components):
        found[component].add(item)
    assert sorted(found.values(), key=min) == brute_force_components(identities)


def test_threshold_clusters_match_brute_force():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(70, 4)) * 0.5
    distance = cdist(vectors, vectors)
    close = [(tuple(f"v{j}" for j in np.flatnonzero(row < 0.6))) for row in distance]
    expected = identity_components(close)
    labels = threshold_clusters(vectors, 0.6)
    # Same partition: the two labelings are in one-to-one correspondence.
    pairs = set(zip(labels, expected, strict=True))
    assert len(pairs) == len(set(labels)) == len(set(expected))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((0.6, 0.2, 0.2), (0.6, 0.2, 0.2)),
        ((60, 20, 20), (0.6, 0.2, 0.2)),
        ((1, 0, 1), (0.5, 0, 0.5)),
        ((0, 0, 1), (0, 0, 1)),  # everything to test: a whole-set test manifest
        ((0, 0.5, 0.5), (0, 0.5, 0.5)),
    ],
)
def test_parse_ratios(values, expected):
    np.testing.assert_allclose(parse_ratios(values), expected)


@pytest.mark.parametrize("values", [(0.6, -0.2, 0.6), (0, 0, 0), (float("nan"), 0, 1)])
def test_bad_ratios_are_refused(values):
    with pytest.raises(FairdfError, match="--ratios"):
        parse_ratios(values)


def test_equal_components_get_the_exact_ratios():
    components = np.repeat(np.arange(50), 4)
    splits = assign_splits(components, np.zeros(200, dtype=int), np.array([0.6, 0.2, 0.2]), 1)
    assert np.bincount(splits).tolist() == [120, 40, 40]
    for component in range(50):
        assert len(set(splits[components == component])) == 1


def test_every_stratum_gets_its_share():
    rng = np.random.default_rng(7)
    components = np.repeat(np.arange(300), 3)
    strata = np.repeat(rng.integers(0, 4, size=300), 3)
    splits = assign_splits(components, strata, np.array([0.6, 0.2, 0.2]), 0)
    for stratum in range(4):
        shares = np.bincount(splits[strata == stratum], minlength=3) / (strata == stratum).sum()
        np.testing.assert_allclose(shares, [0.6, 0.2, 0.2], atol=0.03)


# ---- generated naming schemes: no identity may appear in two splits -------------------


def pick_pair(rng, size: int, clique: int) -> tuple[int, int]:
    """Two different people of one small clique, so that the data has many components."""
    start = clique * int(rng.integers(size // clique))
    a, b = rng.choice(np.arange(start, start + clique), size=2, replace=False)
    return int(a), int(b)


def ffpp_names(rng) -> tuple[list[str], list[set[str]]]:
    names, truth = [], []
    for person in range(40):
        names.append(f"original_sequences/youtube/c23/videos/{person:03d}.mp4")
        truth.append({person})
    for method in ("Deepfakes", "Face2Face", "FaceSwap"):
        for _ in range(30):
            target, source = pick_pair(rng, 40, 2)
            names.append(f"manipulated_sequences/{method}/c23/videos/{target:03d}_{source:03d}.mp4")
            truth.append({target, source})
    return names, truth


def celebdf_names(rng) -> tuple[list[str], list[set[str]]]:
    names, truth = [], []
    for i in range(30):
        names.append(f"Celeb-real/id{i}_{rng.integers(10000):04d}.mp4")
        truth.append({f"id{i}"})
    for _ in range(40):
        a, b = pick_pair(rng, 30, 3)
        names.append(f"Celeb-synthesis/id{a}_id{b}_{rng.integers(10000):04d}.mp4")
        truth.append({f"id{a}", f"id{b}"})
    for i in range(10):
        names.append(f"YouTube-real/{i:05d}.mp4")
        truth.append({f"yt{i}"})
    return names, truth


def dfd_names(rng) -> tuple[list[str], list[set[str]]]:
    scenes = ["talking_angry_couch", "walking_outside", "kitchen_pan"]
    names, truth = [], []
    for actor in range(1, 21):
        names.append(f"original_sequences/actors/c23/videos/{actor:02d}__{rng.choice(scenes)}.mp4")
        truth.append({actor})
    for _ in range(30):
        a, b = (person + 1 for person in pick_pair(rng, 20, 2))
        code = "".join(rng.choice(list("ABCDEFGH0123456789"), size=8))
        names.append(
            f"manipulated_sequences/DeepFakeDetection/c23/videos/{a:02d}_{b:02d}__"
            f"{rng.choice(scenes)}__{code}.mp4"
        )
        truth.append({a, b})
    return names, truth


def write_faces_index(folder: Path, videos: list[str], crops_per_video: int = 2) -> Path:
    rows = [
        {"crop": f"{Path(v).with_suffix('')}/{k:04d}.png", "image": f"{v}/{k}", "video": v}
        for v in videos
        for k in range(crops_per_video)
    ]
    path = folder / "faces.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def assert_identity_disjoint(split: pd.DataFrame, names: list[str], truth: list[set]) -> None:
    """Using the generator's own identities, not the adapter's."""
    splits_of = defaultdict(set)
    by_video = dict(zip(names, truth, strict=True))
    for video, name in zip(split["video"], split["split"], strict=True):
        for identity in by_video[video]:
            splits_of[identity].add(name)
    shared = {identity: s for identity, s in splits_of.items() if len(s) > 1}
    assert not shared, f"identities in several splits: {shared}"


@pytest.mark.parametrize(
    ("dataset", "generator"), [("ffpp", ffpp_names), ("celebdf", celebdf_names), ("dfd", dfd_names)]
)
def test_split_keeps_identities_apart(tmp_path, dataset, generator):
    names, truth = generator(np.random.default_rng(11))
    faces = write_faces_index(tmp_path, names)
    summary = split_dataset(faces, tmp_path / "split.csv", dataset, seed=5)
    split = pd.read_csv(tmp_path / "split.csv", keep_default_na=False)
    assert len(split) == 2 * len(names)
    assert_identity_disjoint(split, names, truth)
    assert set(split["split"]) == {"train", "val", "test"}
    fake = [v.startswith(("manipulated_sequences", "Celeb-synthesis")) for v in split["video"]]
    assert split["label"].tolist() == [int(f) for f in fake]
    again = split_dataset(faces, tmp_path / "again.csv", dataset, seed=5)
    assert again.frame["split"].tolist() == summary.frame["split"].tolist()


def test_split_dfdc_follows_originals(tmp_path):
    rng = np.random.default_rng(2)
    metadata, names, truth = {}, [], []
    for i in range(30):
        original = f"o{i:03d}.mp4"
        metadata[original] = {"label": "REAL"}
        names.append(f"part0/{original}")
        truth.append({original})
        for k in range(rng.integers(1, 4)):
            fake = f"f{i:03d}{k}.mp4"
            metadata[fake] = {"label": "FAKE", "original": original}
            names.append(f"part0/{fake}")
            truth.append({original})
    (tmp_path / "part0").mkdir()
    (tmp_path / "part0" / "metadata.json").write_text(json.dumps(metadata))
    faces = write_faces_index(tmp_path, names)
    split_dataset(faces, tmp_path / "split.csv", "dfdc", videos_root=tmp_path)
    split = pd.read_csv(tmp_path / "split.csv", keep_default_na=False)
    assert_identity_disjoint(split, names, truth)
    assert set(split["split"]) == {"train", "val", "test"}


def test_split_command_prints_ratios_and_reports_errors(tmp_path, capsys):
    names, _ = ffpp_names(np.random.default_rng(1))
    faces = write_faces_index(tmp_path, names)
    out = tmp_path / "split.csv"
    assert (
        main(
            [
                "prepare",
                "split",
                str(faces),
                str(out),
                "--dataset",
                "ffpp",
                "--ratios",
                "0.7",
                "0.15",
                "0.15",
            ]
        )
        == 0
    )
    captured = capsys.readouterr().out
    assert "target 0.70 / 0.15 / 0.15" in captured and "all" in captured
    assert main(["prepare", "split", str(faces), str(out), "--dataset", "nope"]) == 2
    assert "--dataset: invalid choice: 'nope'" in capsys.readouterr().err
    assert (
        main(["prepare", "split", str(tmp_path / "missing.csv"), str(out), "--dataset", "ffpp"])
        == 2
    )
    assert "faces index not found" in capsys.readouterr().err
