"""`fairdf prepare sample`: the worked example's video set, written whole or not at all."""

import cv2
import pandas as pd

from fairdf.cli import main


def test_sample_writes_videos_and_attributes(tmp_path, capsys):
    out = tmp_path / "raw"
    assert main(["prepare", "sample", str(out), "--identities", "4", "--frames", "3"]) == 0
    videos = sorted((out / "videos").rglob("*.mp4"))
    assert len(videos) == 4 * 3  # 4 originals + 4 fakes for each of 2 methods
    table = pd.read_csv(out / "annotations.csv")
    on_disk = {p.relative_to(out / "videos").as_posix() for p in videos}
    assert {name for name in table["video"] if "/" in name} <= on_disk
    capture = cv2.VideoCapture(str(videos[0]))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    capture.release()
    assert "wrote 12 videos" in capsys.readouterr().out


def test_sample_refuses_odd_identities_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "raw"
    assert main(["prepare", "sample", str(out), "--identities", "3"]) == 2
    error = capsys.readouterr().err.strip()
    assert "even number" in error and len(error.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_sample_refuses_an_existing_folder(tmp_path, capsys):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "keep.txt").write_text("mine")
    assert main(["prepare", "sample", str(tmp_path / "raw")]) == 2
    assert "exists" in capsys.readouterr().err
    assert (tmp_path / "raw" / "keep.txt").read_text() == "mine"
