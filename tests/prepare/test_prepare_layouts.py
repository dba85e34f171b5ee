"""The datasets as downloaded: miniature FF++, DFD, Celeb-DF and DFDC trees through
frames -> (crops = frames) -> annotations -> split -> manifest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairdf.cli import main
from fairdf.errors import ConfigError, DataError
from fairdf.prepare.frames import FrameSampling, prepare_frames
from fairdf.prepare.layouts import LayoutChoice, select_videos
from fairdf.prepare.sample import write_video

FFPP_ORIGINALS = "original_sequences/youtube/{c}/videos"
FFPP_FAKES = "manipulated_sequences/{m}/{c}/videos"
DFD_ORIGINALS = "original_sequences/actors/c23/videos"
DFD_FAKES = "manipulated_sequences/DeepFakeDetection/c23/videos"
PAIRS = ("000_001", "001_000", "002_003", "003_002")


def tiny_video(path: Path, level: int = 100) -> Path:
    return write_video(path, [np.full((64, 64, 3), level, np.uint8)] * 3)


def run(*args: object) -> int:
    return main(["prepare", *map(str, args)])


@pytest.fixture(scope="module")
def ffpp_tree(tmp_path_factory) -> Path:
    """FF++ (c23 and c40, three methods, masks) and DFD in one tree, as downloaded."""
    root = tmp_path_factory.mktemp("ffpp") / "FaceForensics++"
    for c in ("c23", "c40"):
        for person in range(4):
            tiny_video(root / FFPP_ORIGINALS.format(c=c) / f"{person:03d}.mp4")
    for method in ("Deepfakes", "FaceSwap", "Face2Face"):
        for pair in PAIRS:
            tiny_video(root / FFPP_FAKES.format(m=method, c="c23") / f"{pair}.mp4")
    tiny_video(root / "manipulated_sequences/Deepfakes/masks/videos/000_001.mp4")
    tiny_video(root / DFD_ORIGINALS / "01__kitchen_pan.mp4")
    tiny_video(root / DFD_ORIGINALS / "02__walking_outside.mp4")
    tiny_video(root / DFD_FAKES / "01_02__kitchen_pan__ABCD1234.mp4")
    (root / "README.txt").write_text("downloaded with the FF++ script\n")
    return root


def test_auto_refuses_a_tree_with_two_datasets(ffpp_tree):
    with pytest.raises(DataError, match=r"several layouts \(ffpp, dfd\); name one with --layout"):
        select_videos(ffpp_tree, LayoutChoice())


def test_several_compressions_need_a_choice(ffpp_tree):
    with pytest.raises(DataError, match=r"several compressions \(c23, c40\)"):
        select_videos(ffpp_tree, LayoutChoice("ffpp"))
    with pytest.raises(DataError, match=r"no video in compression raw \(found: c23, c40\)"):
        select_videos(ffpp_tree, LayoutChoice("ffpp", "raw"))


def test_ffpp_takes_one_compression_and_the_named_methods(ffpp_tree):
    chosen = select_videos(ffpp_tree, LayoutChoice("ffpp", "c23", ("Deepfakes", "FaceSwap")))
    names = [p.relative_to(ffpp_tree).as_posix() for p in chosen.videos]
    assert len(names) == 4 + 8 and all("/c23/videos/" in n for n in names)
    assert not any("Face2Face" in n or "actors" in n for n in names)
    reasons = dict(chosen.unmatched)
    assert reasons["original_sequences/youtube/c40/videos/000.mp4"] == (
        "compression c40 (--compression c23)"
    )
    assert reasons[f"{FFPP_FAKES.format(m='Face2Face', c='c23')}/000_001.mp4"] == (
        "method Face2Face (not in --methods)"
    )
    assert reasons["manipulated_sequences/Deepfakes/masks/videos/000_001.mp4"] == (
        "not in the ffpp layout"
    )
    assert reasons[f"{DFD_FAKES}/01_02__kitchen_pan__ABCD1234.mp4"] == "not in the ffpp layout"
    assert reasons["README.txt"] == "not a video"
    assert len(chosen.unmatched) == 4 + 4 + 1 + 3 + 1


def test_bad_layout_choices_are_refused(ffpp_tree):
    with pytest.raises(DataError, match="--methods NeuralTextures not found"):
        select_videos(ffpp_tree, LayoutChoice("ffpp", "c23", ("NeuralTextures",)))
    with pytest.raises(DataError, match="no video fits the celebdf layout"):
        select_videos(ffpp_tree, LayoutChoice("celebdf"))
    with pytest.raises(ConfigError, match="--compression applies to the ffpp and dfd"):
        select_videos(ffpp_tree, LayoutChoice("celebdf", "c23"))


def faces_from_frames(frames: Path) -> Path:
    """A faces.csv whose crops are the frames themselves (the layouts need no face)."""
    table = pd.read_csv(frames / "frames.csv", keep_default_na=False)
    table.insert(0, "crop", table["image"])
    table.to_csv(frames / "faces.csv", index=False)
    return frames / "faces.csv"


def attribute_table(path: Path, videos: list[str]) -> Path:
    """Per-video attributes: alternate male / non-male, all white (6-group scheme)."""
    rows = [
        {"video": v, "male": 1 if i % 2 else -1, "white": 1, "black": -1}
        for i, v in enumerate(videos)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def chain(root: Path, work: Path, dataset: str, frames_args=(), split_args=()) -> pd.DataFrame:
    """frames -> annotations -> split -> manifest; returns split.csv."""
    assert run("frames", root, work / "frames", "--count", "2", *frames_args) == 0
    faces = faces_from_frames(work / "frames")
    videos = sorted(set(pd.read_csv(faces)["video"]))
    table = attribute_table(work / "attributes.csv", videos)
    annotations = work / "annotations.csv"
    assert run("annotations", table, "--faces", faces, "--out", annotations) == 0
    split_csv = work / "split.csv"
    assert run("split", faces, split_csv, "--dataset", dataset, *split_args) == 0
    assert run("manifest", split_csv, annotations, work / "manifests") == 0
    return pd.read_csv(split_csv, keep_default_na=False)


def test_ffpp_chain_from_the_download(ffpp_tree, tmp_path, capsys):
    split = chain(
        ffpp_tree, tmp_path, "ffpp", ("--layout", "ffpp", "--compression", "c23",
                                      "--methods", "Deepfakes", "FaceSwap"),
    )  # fmt: skip
    captured = capsys.readouterr()
    assert "layout ffpp, compression c23" in captured.out
    listed = tmp_path / "frames" / "unmatched_files.csv"
    assert f"warning: 13 file(s) under {ffpp_tree} not taken" in captured.err
    assert f"listed in {listed}" in captured.err
    assert len(pd.read_csv(listed)) == 13
    assert split["video"].nunique() == 12 and len(split) == 24
    methods = json.loads((tmp_path / "manifests" / "methods.json").read_text())
    assert methods == {"Deepfakes": 1, "FaceSwap": 2}


def test_dfd_chain_from_the_same_download(ffpp_tree, tmp_path):
    split = chain(ffpp_tree, tmp_path, "dfd", ("--layout", "dfd"), ("--ratios", "0", "0", "1"))
    assert set(split["video"]) == {
        f"{DFD_ORIGINALS}/01__kitchen_pan.mp4",
        f"{DFD_ORIGINALS}/02__walking_outside.mp4",
        f"{DFD_FAKES}/01_02__kitchen_pan__ABCD1234.mp4",
    }
    assert set(split["split"]) == {"test"}
    test = pd.read_csv(tmp_path / "manifests" / "test.csv")
    assert len(test) == 6 and sorted(test["label"].value_counts().tolist()) == [2, 4]
    assert pd.read_csv(tmp_path / "manifests" / "faketrain.csv").empty


CELEBDF = {
    "Celeb-real": ["id0_0000", "id1_0000", "id2_0000", "id3_0000", "id4_0000", "id4_0001"],
    "YouTube-real": ["00000", "00001"],
    "Celeb-synthesis": ["id0_id1_0000", "id2_id3_0000", "id4_id0_0001", "id3_id2_0000"],
}
TEST_LIST = ["1 YouTube-real/00000.mp4", "1 Celeb-real/id2_0000.mp4", "0 Celeb-synthesis/id2_id3_0000.mp4",
             "1 Celeb-real/id9_0000.mp4"]  # fmt: skip


@pytest.fixture(scope="module")
def celebdf_tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("celebdf") / "Celeb-DF-v2"
    for folder, names in CELEBDF.items():
        for name in names:
            tiny_video(root / folder / f"{name}.mp4")
    (root / "List_of_testing_videos.txt").write_text("\n".join(TEST_LIST) + "\n")
    (root / "notes.txt").write_text("mine\n")
    return root


def test_celebdf_official_test_list(celebdf_tree, tmp_path, capsys):
    split = chain(
        celebdf_tree, tmp_path, "celebdf", (),
        ("--test-list", celebdf_tree / "List_of_testing_videos.txt", "--ratios", "0.8", "0.2", "0"),
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert "layout celebdf" in out and "1 file(s)" in err
    assert pd.read_csv(tmp_path / "frames" / "unmatched_files.csv")["file"].tolist() == [
        "notes.txt"
    ]
    by_video = split.groupby("video")["split"].first().to_dict()
    tested = {v for v, s in by_video.items() if s == "test"}
    assert tested == {
        "YouTube-real/00000.mp4",
        "Celeb-real/id2_0000.mp4",
        "Celeb-synthesis/id2_id3_0000.mp4",
    }
    # id2 and id3 are test identities: their other videos are dropped, not trained on.
    assert "Celeb-real/id3_0000.mp4" not in by_video
    assert "Celeb-synthesis/id3_id2_0000.mp4" not in by_video
    assert "test list" in out and "3 video(s) with crops -> test" in out
    assert "2 other video(s) share an identity with a listed test video, dropped" in err
    assert "1 listed video(s) have no crops" in err and "id9_0000" in err
    assert set(by_video.values()) == {"train", "val", "test"}


def test_shared_identities_can_move_to_test(celebdf_tree, tmp_path, capsys):
    split = chain(
        celebdf_tree, tmp_path, "celebdf", (),
        ("--test-list", celebdf_tree / "List_of_testing_videos.txt", "--shared", "test"),
    )  # fmt: skip
    by_video = split.groupby("video")["split"].first()
    assert by_video["Celeb-real/id3_0000.mp4"] == "test"
    assert "moved to test" in capsys.readouterr().err


def test_a_bad_test_list_line_is_named(celebdf_tree, tmp_path, capsys):
    assert run("frames", celebdf_tree, tmp_path / "frames", "--count", "1") == 0
    faces = faces_from_frames(tmp_path / "frames")
    bad = tmp_path / "list.txt"
    bad.write_text("1 YouTube-real/00000.mp4\nreal Celeb-real/id0_0000.mp4\n")
    code = run("split", faces, tmp_path / "s.csv", "--dataset", "celebdf", "--test-list", bad)
    assert code == 2
    assert f"{bad}, line 2: expected 'label path'" in capsys.readouterr().err
    assert not (tmp_path / "s.csv").exists()


def dfdc_tree(root: Path) -> Path:
    part = root / "dfdc_train_part_0"
    metadata = {}
    for i in range(4):
        metadata[f"real{i}.mp4"] = {"label": "REAL", "split": "train"}
        metadata[f"fake{i}.mp4"] = {"label": "FAKE", "split": "train", "original": f"real{i}.mp4"}
    for name in metadata:
        tiny_video(part / name)
    tiny_video(part / "stray.mp4")
    (part / "metadata.json").write_text(json.dumps(metadata))
    test = root / "test"
    test_metadata = {"t0.mp4": {"is_fake": 0}, "t1.mp4": {"is_fake": 1}}
    for name in test_metadata:
        tiny_video(test / name)
    (test / "metadata.json").write_text(json.dumps(test_metadata))
    return root


def test_dfdc_folders_and_test_metadata(tmp_path):
    root = dfdc_tree(tmp_path / "dfdc")
    work = tmp_path / "work"
    split = chain(
        root, work, "dfdc", (),
        ("--videos", root, "--test-list", root / "test" / "metadata.json"),
    )  # fmt: skip
    listed = pd.read_csv(work / "frames" / "unmatched_files.csv")
    assert listed.values.tolist() == [["dfdc_train_part_0/stray.mp4", "not in the dfdc layout"]]
    by_video = split.groupby("video")["split"].first().to_dict()
    assert {v for v, s in by_video.items() if s == "test"} == {"test/t0.mp4", "test/t1.mp4"}
    labels = split.groupby("video")["label"].first()
    assert labels["test/t1.mp4"] == 1 and labels["dfdc_train_part_0/fake2.mp4"] == 1
    for i in range(4):  # a fake follows its original
        assert (
            by_video[f"dfdc_train_part_0/fake{i}.mp4"] == by_video[f"dfdc_train_part_0/real{i}.mp4"]
        )


def test_a_folder_without_a_layout_takes_every_video(tmp_path):
    tiny_video(tmp_path / "v" / "real" / "a.mp4")
    (tmp_path / "v" / "real" / "a.json").write_text("{}")
    (tmp_path / "v" / "metadata.json").write_text("[1, 2]")  # not DFDC's
    summary = prepare_frames(tmp_path / "v", tmp_path / "out", FrameSampling(count=1))
    assert summary.layout == "any" and summary.frames == 1
    assert summary.unmatched == [("metadata.json", "not a video"), ("real/a.json", "not a video")]
    with pytest.raises(DataError, match="expected a JSON object"):
        select_videos(tmp_path / "v", LayoutChoice("dfdc"))
