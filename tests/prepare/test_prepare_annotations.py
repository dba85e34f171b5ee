"""Importing attribute tables and matching them to crops."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fairdf.cli import main
from fairdf.errors import DataError
from fairdf.prepare.annotations import (
    import_annotations,
    match_rows,
    read_annotations,
    read_attribute_table,
    resolve_undefined,
)

VIDEOS = [
    "original_sequences/youtube/c23/videos/000.mp4",
    "original_sequences/youtube/c23/videos/001.mp4",
    "manipulated_sequences/Deepfakes/c23/videos/000_001.mp4",
    "manipulated_sequences/FaceSwap/c23/videos/000_001.mp4",
]


@pytest.fixture
def faces_csv(tmp_path) -> Path:
    rows = []
    for video in VIDEOS:
        stem = Path(video).with_suffix("")
        for frame in (0, 7):
            rows.append(
                {
                    "crop": f"{stem}/{frame:04d}.png",
                    "image": f"{stem}/{frame:04d}.png",
                    "video": video,
                }
            )
    path = tmp_path / "faces" / "faces.csv"
    path.parent.mkdir()
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n")
    return path


def test_match_rows_by_longest_tail():
    targets = [
        "original_sequences/youtube/c23/videos/000",
        "manipulated_sequences/Deepfakes/c23/videos/000_001",
        "manipulated_sequences/FaceSwap/c23/videos/000_001",
    ]
    keys = [
        "000.mp4",  # bare stem: the original only
        "000_001",  # bare stem: both fakes
        "FF++/manipulated_sequences/FaceSwap/c23/videos/000_001.mp4",  # prefixed: one fake
        "c23/videos/999.mp4",  # nothing
    ]
    assert match_rows(keys, targets, min_parts=1) == [[0], [1, 2], [2], []]


def test_path_keys_need_folder_and_file():
    targets = ["a/000_001/0000.png", "b/000_002/0000.png"]
    assert match_rows(["x/000_001/0000.jpg", "zzz/0000.png"], targets, min_parts=2) == [[0], []]


def test_table_columns_values_and_is_prefix(tmp_path):
    table = write_csv(
        tmp_path / "t.csv",
        "video,isMale,Asian,white,black,young,note\nv1.mp4,1,-1,1,-1,0,hello\nv2.mp4,-1,1,-1,-1,1,x",
    )
    frame, kind = read_attribute_table(table)
    assert kind == "video"
    assert list(frame.columns) == ["key", "male", "asian", "white", "black", "young"]
    assert frame["male"].tolist() == [1, -1] and frame["young"].tolist() == [0, 1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "video,male,white,black\nv1,1,2,-1\nv2,yes,1,-1",
            r"2 attribute value\(s\).*line 2 column 'white' value '2'",
        ),
        ("name,male,white,black\nv1,1,1,-1", "needs a 'path' or 'video' column"),
        ("video,male,black\nv1,1,1", "lacks attribute column"),
        ("", "is empty"),
    ],
)
def test_bad_tables_are_reported(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        read_attribute_table(write_csv(tmp_path / "t.csv", text))


def test_unreadable_table_is_reported(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xff\xfe\x00video\x00\xff,male\n\x80\x81")
    with pytest.raises(DataError, match="t.csv: cannot read annotation table as CSV"):
        read_attribute_table(path)
    with pytest.raises(DataError, match="not found"):
        read_attribute_table(tmp_path / "missing.csv")


def undefined_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": ["a", "b", "c", "d", "e", "f"],
            "male": [1, 0, -1, 1, 1, 0],
            "asian": [-1, -1, 0, 1, -1, 0],
            "white": [1, -1, 0, 1, -1, 0],
            "black": [0, -1, 0, -1, -1, 0],
        }
    )


def test_undefined_rows_dropped_or_kept():
    # a: white (black 0 is irrelevant); b: male undefined; c: race undefined;
    # d: two races (conflict); e: others; f: both undefined.
    dropped, undefined, conflicting = resolve_undefined(undefined_table(), "drop")
    assert (undefined, conflicting) == (4, 1)
    assert dropped["key"].tolist() == ["a", "e"]
    assert dropped.loc[0, ["male", "asian", "white", "black"]].tolist() == [1, -1, 1, -1]
    kept, undefined, _ = resolve_undefined(undefined_table(), "keep")
    assert undefined == 4 and len(kept) == 6
    assert kept["undefined"].tolist() == ["", "male", "race", "race", "", "male;race"]
    assert set(kept[["male", "asian", "white", "black"]].to_numpy().ravel()) == {1, -1}
    assert kept.loc[3, ["asian", "white", "black"]].tolist() == [-1, -1, -1]


def test_import_matches_videos_and_reports_unmatched_rows(tmp_path, faces_csv):
    table = write_csv(
        tmp_path / "ann.csv",
        """
video,male,asian,white,black,young
000.mp4,1,-1,1,-1,1
001.mp4,-1,-1,-1,1,0
manipulated_sequences/Deepfakes/c23/videos/000_001.mp4,1,-1,1,-1,1
missing_1.mp4,1,1,-1,-1,1
missing_2.mp4,0,1,-1,-1,1
""",
    )
    out = tmp_path / "annotations.csv"
    summary = import_annotations([table], faces_csv, out)
    assert summary.rows == 5 and summary.undefined == 1 and summary.dropped == 1
    assert summary.unmatched_rows == ["missing_1.mp4"]
    assert summary.crops == 8 and summary.annotated == 6  # the FaceSwap fake has no row
    frame, scheme = read_annotations(out)
    assert scheme.name == "ffpp"
    assert list(frame.columns[:5]) == ["crop", "ismale", "isasian", "iswhite", "isblack"]
    by_crop = dict(zip(frame["crop"], frame["isblack"], strict=True))
    assert by_crop["faces/original_sequences/youtube/c23/videos/001/0007.png"] == 1
    assert not any("FaceSwap" in crop for crop in frame["crop"])


def test_six_group_tables_give_the_celebdf_scheme(tmp_path, faces_csv):
    table = write_csv(tmp_path / "ann.csv", "video,male,white,black\n000_001,1,-1,1")
    out = tmp_path / "annotations.csv"
    import_annotations([table], faces_csv, out)
    frame, scheme = read_annotations(out)
    assert scheme.name == "celebdf" and len(frame) == 4 and "isasian" not in frame.columns


def test_no_match_at_all_is_an_error_and_writes_nothing(tmp_path, faces_csv):
    table = write_csv(tmp_path / "ann.csv", "path,male,white,black\nother/x.png,1,1,-1")
    out = tmp_path / "annotations.csv"
    with pytest.raises(DataError, match="none of the 1 annotation row"):
        import_annotations([table], faces_csv, out)
    assert not out.exists()


def test_annotations_command(tmp_path, faces_csv, capsys):
    table = write_csv(
        tmp_path / "ann.csv", "video,male,white,black\n000.mp4,1,1,-1\nnope.mp4,1,1,-1"
    )
    out = tmp_path / "annotations.csv"
    args = ["prepare", "annotations", str(table), "--faces", str(faces_csv), "--out", str(out)]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "2 of 8 crops annotated" in captured.out
    assert "1 annotation row(s) match no crop" in captured.err and "nope.mp4" in captured.err
    assert main([*args[:2], str(tmp_path / "nothing.csv"), *args[3:]]) == 2
    assert "annotation table not found" in capsys.readouterr().err
