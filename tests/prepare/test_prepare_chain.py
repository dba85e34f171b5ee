"""The whole chain, videos -> frames -> faces -> annotations -> split -> manifests."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairdf.cli import main
from fairdf.data.manifest import read_manifest
from fairdf.prepare.crops import crop_landmarks
from fairdf.prepare.sample import ORIGINALS, write_sample_dataset, write_video

pytest.importorskip("skimage")

RACES = ("asian", "white", "black", "others")
MANIFESTS = ("faketrain", "realtrain", "fakeval", "realval", "test")


def run(*args: object) -> None:
    assert main(["prepare", *map(str, args)]) == 0


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("chain")
    sample = write_sample_dataset(root / "raw", identities=10, n_frames=6, size=128)
    grey = [np.full((128, 128, 3), 120, np.uint8)] * 6
    write_video(sample.videos / ORIGINALS / "050.mp4", grey)  # a video without a face
    (sample.videos / ORIGINALS / "051.mp4").write_bytes(b"corrupt" * 100)
    # As downloaded: a c40 copy and a DFD video beside the c23 FF++ videos; neither enters.
    write_video(sample.videos / "original_sequences/youtube/c40/videos/000.mp4", grey[:2])
    write_video(sample.videos / "original_sequences/actors/c23/videos/01__hug.mp4", grey[:2])
    run("frames", sample.videos, root / "frames", "--count", "3", "--layout", "ffpp",
        "--compression", "c23")  # fmt: skip
    run("faces", root / "frames", root / "faces", "--size", "64")
    run(
        "annotations",
        sample.annotations,
        "--faces",
        root / "faces/faces.csv",
        "--out",
        root / "annotations.csv",
    )
    run(
        "split", root / "faces/faces.csv", root / "split.csv", "--dataset", "ffpp",
        "--annotations", root / "annotations.csv", "--seed", "3",
    )  # fmt: skip
    run("manifest", root / "split.csv", root / "annotations.csv", root / "manifests")
    return root


def test_frames_and_faces_from_videos(chain):
    frames = pd.read_csv(chain / "frames" / "frames.csv")
    assert len(frames) == 31 * 3  # 30 sample videos + the grey one
    per_video = frames.groupby("video")["frame"].apply(list)
    assert len(per_video) == 31 and all(found == [0, 2, 5] for found in per_video)
    unmatched = pd.read_csv(chain / "frames" / "unmatched_files.csv")
    assert unmatched["file"].tolist() == [
        "original_sequences/actors/c23/videos/01__hug.mp4",
        "original_sequences/youtube/c40/videos/000.mp4",
    ]
    unreadable = pd.read_csv(chain / "frames" / "unreadable_videos.csv")
    assert unreadable["video"].tolist() == [f"{ORIGINALS.as_posix()}/051.mp4"]
    faces = pd.read_csv(chain / "faces" / "faces.csv", keep_default_na=False)
    assert len(faces) == 90
    assert set(faces["video"]) == set(frames["video"]) - {f"{ORIGINALS.as_posix()}/050.mp4"}
    skipped = pd.read_csv(chain / "faces" / "skipped.csv")
    assert skipped["reason"].tolist() == ["no face found"] * 3
    assert all("/050/" in image for image in skipped["image"])
    for crop in faces["crop"]:
        landmarks = crop_landmarks(chain / "faces" / crop)
        left, right = landmarks[36:42].mean(axis=0), landmarks[42:48].mean(axis=0)
        assert abs(left[1] - right[1]) < 1.0
        assert max(left[1], right[1]) < 32 and left[0] < 32 < right[0]
        assert (landmarks >= 0).all() and (landmarks <= 64).all()


def read_manifests(folder: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(folder / f"{name}.csv", keep_default_na=False) for name in MANIFESTS}


def test_manifests_are_valid_and_identity_disjoint(chain):
    folder = chain / "manifests"
    methods = json.loads((folder / "methods.json").read_text())
    assert methods == {"Deepfakes": 1, "FaceSwap": 2}
    for name in MANIFESTS:
        role = "train" if name in ("faketrain", "fakeval") else "test"
        manifest = read_manifest(folder / f"{name}.csv", "ffpp", role=role, n_methods=2)
        assert manifest.frame["path"].map(lambda p: Path(p).is_file()).all()
    tables = read_manifests(folder)
    assert sum(len(t) for t in tables.values()) == 90
    assert (tables["faketrain"]["label"] == 1).all() and (tables["realval"]["label"] == 0).all()
    assert list(tables["faketrain"].columns[:8]) == [
        "img_path", "label", "ismale", "isasian", "iswhite", "isblack", "intersec_label", "spe_label",
    ]  # fmt: skip
    assert "spe_label" not in tables["test"].columns
    splits_of = defaultdict(set)
    for name, table in tables.items():
        split = "test" if name == "test" else name.removeprefix("fake").removeprefix("real")
        for video in table["video"]:
            for person in re.findall(r"\d{3}", Path(video).stem):
                splits_of[person].add(split)
    assert all(len(s) == 1 for s in splits_of.values()), splits_of
    assert {s for found in splits_of.values() for s in found} == {"train", "val", "test"}


def test_groups_and_methods_follow_the_sources(chain):
    for name, table in read_manifests(chain / "manifests").items():
        for video, group in zip(table["video"], table["intersec_label"], strict=True):
            target = int(Path(video).stem[:3])
            # The sample table: male for even targets; races cycle asian/white/black/others.
            assert group == (0 if target % 2 == 0 else 1) * 4 + target % 4, video
        if name in ("faketrain", "fakeval"):
            expected = [1 if "/Deepfakes/" in v else 2 for v in table["video"]]
            assert table["spe_label"].tolist() == expected


def absolute_copy(table: Path, folder: Path, extra_crop: str | None, drop: int = 0) -> Path:
    """`table` with absolute crop paths, minus `drop` rows, plus a row for `extra_crop`."""
    frame = pd.read_csv(table, keep_default_na=False)
    frame["crop"] = [str((table.parent / crop).resolve()) for crop in frame["crop"]]
    frame = frame.iloc[drop:].reset_index(drop=True)
    if extra_crop is not None:
        frame.loc[len(frame)] = frame.iloc[0]
        frame.loc[len(frame) - 1, "crop"] = extra_crop
    path = folder / table.name
    frame.to_csv(path, index=False)
    return path


def test_a_failing_manifest_leaves_old_files_untouched(chain, tmp_path, capsys):
    out = chain / "manifests"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    ghost = str(tmp_path / "ghost.png")
    split = absolute_copy(chain / "split.csv", tmp_path, ghost)
    annotations = absolute_copy(chain / "annotations.csv", tmp_path, ghost)
    code = main(["prepare", "manifest", str(split), str(annotations), str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert "image not found" in captured.err and "ghost.png" in captured.err
    assert ".tmp" not in captured.err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before, "manifests changed"


def test_crops_without_attributes_are_left_out_and_reported(chain, tmp_path, capsys):
    annotations = absolute_copy(chain / "annotations.csv", tmp_path, None, drop=2)
    out = tmp_path / "manifests"
    assert main(["prepare", "manifest", str(chain / "split.csv"), str(annotations), str(out)]) == 0
    assert "2 crop(s) have no attributes, left out" in capsys.readouterr().err
    assert sum(len(t) for t in read_manifests(out).values()) == 88


def test_methods_order_and_unknown_methods(chain, tmp_path, capsys):
    out = tmp_path / "m"
    args = [
        "prepare",
        "manifest",
        str(chain / "split.csv"),
        str(chain / "annotations.csv"),
        str(out),
    ]
    assert main([*args, "--methods", "FaceSwap", "Deepfakes"]) == 0
    assert json.loads((out / "methods.json").read_text()) == {"FaceSwap": 1, "Deepfakes": 2}
    capsys.readouterr()
    assert main([*args, "--methods", "FaceSwap"]) == 2
    assert "Deepfakes are in split.csv but not in --methods" in capsys.readouterr().err


def test_embedding_identities_join_the_same_face(chain, tmp_path):
    faces = pd.read_csv(chain / "faces" / "faces.csv", keep_default_na=False)
    generic = faces[faces["video"].str.endswith(("000.mp4", "001.mp4", "002.mp4"))].copy()
    generic["video"] = ["real/" + Path(v).name for v in generic["video"]]
    generic["crop"] = [str((chain / "faces" / c).resolve()) for c in generic["crop"]]
    index = tmp_path / "faces.csv"
    generic.to_csv(index, index=False)
    run("split", index, tmp_path / "split.csv", "--dataset", "generic", "--identity", "embed")
    split = pd.read_csv(tmp_path / "split.csv")
    # Three 'different' videos of the same photographed person: one identity, one split.
    assert split["component"].nunique() == 1 and split["split"].nunique() == 1
    assert split["identities"].str.contains("face-0").all()
