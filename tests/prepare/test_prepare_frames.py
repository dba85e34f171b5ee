"""Frame sampling from videos written by the tests (OpenCV mp4v / MJPG)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from fairdf.cli import main
from fairdf.errors import DataError
from fairdf.prepare import frames as frames_module
from fairdf.prepare.frames import FrameSampling, extract_frames, prepare_frames, sample_indices
from fairdf.prepare.sample import write_video

N_FRAMES = 20
LEVEL = 10  # frame i is a flat grey image of level 10 * i


def grey_video(path: Path, n_frames: int = N_FRAMES) -> Path:
    frames = [np.full((48, 64, 3), LEVEL * i, np.uint8) for i in range(n_frames)]
    return write_video(path, frames)


def decoded_index(image_path: Path) -> int:
    """Which frame an extracted image shows, read from its grey level."""
    return round(cv2.imread(str(image_path)).mean() / LEVEL)


@pytest.mark.parametrize(
    ("n_frames", "count", "expected"),
    [
        (20, 5, [0, 5, 10, 14, 19]),  # 19 * k / 4 rounded: 0, 4.75, 9.5, 14.25, 19
        (10, 32, list(range(10))),
        (7, 1, [0]),
        (3, 3, [0, 1, 2]),
    ],
)
def test_sample_indices(n_frames, count, expected):
    assert sample_indices(n_frames, count) == expected


@pytest.mark.parametrize("suffix", [".avi", ".mp4"])
def test_evenly_spaced_frames_are_the_right_ones(tmp_path, suffix):
    video = grey_video(tmp_path / f"clip{suffix}")
    out = tmp_path / "out"
    out.mkdir()
    kept = extract_frames(video, out, FrameSampling(count=5))
    assert kept == [0, 5, 10, 14, 19]
    files = sorted(out.iterdir())
    assert [f.name for f in files] == ["0000.png", "0005.png", "0010.png", "0014.png", "0019.png"]
    assert [decoded_index(f) for f in files] == kept


def test_every_kth_frame(tmp_path):
    video = grey_video(tmp_path / "clip.avi")
    out = tmp_path / "out"
    out.mkdir()
    assert extract_frames(video, out, FrameSampling(every=6)) == [0, 6, 12, 18]
    assert [decoded_index(f) for f in sorted(out.iterdir())] == [0, 6, 12, 18]


@pytest.mark.parametrize("reported", [35, 0])
def test_a_wrong_container_frame_count_is_corrected(tmp_path, monkeypatch, reported):
    video = grey_video(tmp_path / "clip.avi")
    monkeypatch.setattr(frames_module, "_reported_count", lambda path: reported)
    out = tmp_path / "out"
    out.mkdir()
    assert extract_frames(video, out, FrameSampling(count=5)) == [0, 5, 10, 14, 19]
    assert [decoded_index(f) for f in sorted(out.iterdir())] == [0, 5, 10, 14, 19]


@pytest.fixture
def video_folder(tmp_path) -> Path:
    root = tmp_path / "videos"
    grey_video(root / "real" / "a.avi")
    grey_video(root / "fake" / "m1" / "b.mp4", n_frames=9)
    (root / "fake" / "m1" / "corrupt.mp4").write_bytes(b"\x00\x01 not a video " * 50)
    (root / "fake" / "empty.mp4").write_bytes(b"")
    return root


def test_folder_keeps_layout_and_lists_unreadable_videos(video_folder, tmp_path):
    out = tmp_path / "frames"
    summary = prepare_frames(video_folder, out, FrameSampling(count=4))
    assert summary.videos == 4 and summary.frames == 8
    assert sorted(v for v, _ in summary.unreadable) == ["fake/empty.mp4", "fake/m1/corrupt.mp4"]
    assert sorted(p.name for p in (out / "real" / "a").iterdir()) == [
        "0000.png", "0006.png", "0013.png", "0019.png",
    ]  # fmt: skip
    assert sorted(p.name for p in (out / "fake" / "m1" / "b").iterdir()) == [
        "0000.png", "0003.png", "0005.png", "0008.png",
    ]  # fmt: skip
    index = pd.read_csv(out / "frames.csv")
    assert len(index) == 8 and set(index["video"]) == {"real/a.avi", "fake/m1/b.mp4"}
    assert all((out / image).is_file() for image in index["image"])
    unreadable = pd.read_csv(out / "unreadable_videos.csv")
    assert sorted(unreadable["video"]) == ["fake/empty.mp4", "fake/m1/corrupt.mp4"]
    assert not (out / "fake" / "m1" / "corrupt").exists(), "a failed video left a folder"
    assert not [p for p in out.rglob(".*")], "temporary files left behind"


def test_rerun_keeps_finished_videos_unless_overwrite(video_folder, tmp_path, monkeypatch):
    out = tmp_path / "frames"
    prepare_frames(video_folder, out, FrameSampling(count=4))
    calls = []
    original = frames_module.extract_frames
    monkeypatch.setattr(
        frames_module, "extract_frames", lambda *a: calls.append(a[0].name) or original(*a)
    )
    again = prepare_frames(video_folder, out, FrameSampling(count=4))
    assert again.kept == 2 and again.frames == 8
    assert sorted(calls) == ["corrupt.mp4", "empty.mp4"]
    prepare_frames(video_folder, out, FrameSampling(count=2), overwrite=True)
    assert len(list((out / "real" / "a").iterdir())) == 2


def test_only_unreadable_videos_is_an_error_and_writes_no_index(tmp_path):
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "bad.avi").write_bytes(b"junk" * 100)
    with pytest.raises(DataError, match="none of the 1 video"):
        prepare_frames(tmp_path / "v", tmp_path / "out", FrameSampling())
    assert not (tmp_path / "out" / "frames.csv").exists()


def test_videos_sharing_an_output_folder_are_refused(tmp_path):
    grey_video(tmp_path / "v" / "a.avi", 3)
    grey_video(tmp_path / "v" / "a.mp4", 3)
    with pytest.raises(DataError, match="videos would share an output name: a.avi and a.mp4"):
        prepare_frames(tmp_path / "v", tmp_path / "out", FrameSampling())


def test_frames_command(video_folder, tmp_path, capsys):
    out = tmp_path / "frames"
    code = main(
        ["prepare", "frames", str(video_folder), str(out), "--every", "5", "--workers", "2"]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "6 frames from 2 of 4 videos" in captured.out
    assert "2 unreadable video(s)" in captured.err and "corrupt.mp4" in captured.err
    assert main(["prepare", "frames", str(video_folder), str(out), "--count", "0"]) == 2
    assert "argument --count: must be an integer in [1, 100000]" in capsys.readouterr().err
