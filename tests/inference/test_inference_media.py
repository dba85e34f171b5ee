"""Walking PATH arguments and sampling video frames in memory."""

from __future__ import annotations

import numpy as np
import pytest

from fairdf.errors import DataError
from fairdf.inference import media
from fairdf.inference.media import MediaFile, collect_media, sample_video
from fairdf.prepare.sample import write_video


def test_collect_media_walks_folders_and_keeps_argument_order(tmp_path):
    for name in ("b/2.jpg", "b/1.PNG", "b/clip.avi", "b/.hidden/3.png", "b/notes.txt", "a.mov"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "odd.raw").write_bytes(b"x")
    found = collect_media(
        [tmp_path / "odd.raw", tmp_path / "b", tmp_path / "a.mov", tmp_path / "b/2.jpg"]
    )
    assert found == [
        MediaFile(tmp_path / "odd.raw", "image"),  # named directly: tried as an image
        MediaFile(tmp_path / "b/1.PNG", "image"),
        MediaFile(tmp_path / "b/2.jpg", "image"),
        MediaFile(tmp_path / "b/clip.avi", "video"),
        MediaFile(tmp_path / "a.mov", "video"),
    ]  # b/2.jpg is not repeated


def test_missing_paths_are_named_before_anything_is_read(tmp_path):
    (tmp_path / "here.png").write_bytes(b"x")
    with pytest.raises(DataError, match=r"2 path\(s\) not found: .*gone\.png, .*away"):
        collect_media([tmp_path / "gone.png", tmp_path / "here.png", tmp_path / "away"])


@pytest.fixture()
def numbered_video(tmp_path):
    """Ten frames whose grey level encodes the frame index (index * 20)."""
    frames = [np.full((32, 32, 3), index * 20, np.uint8) for index in range(10)]
    return write_video(tmp_path / "numbered.avi", frames)


def frame_number(rgb: np.ndarray) -> int:
    return int(round(float(rgb.mean()) / 20))


def test_sample_video_takes_evenly_spaced_frames(numbered_video):
    for count, expected in ((4, [0, 3, 6, 9]), (1, [0]), (30, list(range(10)))):
        results = sample_video(numbered_video, count, frame_number)
        assert list(results) == expected
        assert list(results.values()) == expected  # the decoded pixels are those frames


def test_sample_video_resamples_when_the_container_overstates_its_length(
    numbered_video, monkeypatch
):
    monkeypatch.setattr(media, "_reported_count", lambda path: 25)
    calls = []
    results = sample_video(numbered_video, 4, lambda rgb: calls.append(1) or frame_number(rgb))
    expected = np.linspace(0, 9, 4).round().astype(int).tolist()
    assert list(results) == expected and list(results.values()) == expected
    assert len(calls) <= 8  # frames sampled twice are not processed twice


def test_unreadable_video_raises(tmp_path):
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(DataError, match="cannot open the video"):
        sample_video(path, 4, frame_number)
