"""Issue 13 path policy: outputs checked before any write; derived names never leave OUT."""

from __future__ import annotations

import os

import pytest
from helpers_reliability import assert_one_line_error, run_cli

from fairdf.errors import PathError
from fairdf.io import atomic_path
from fairdf.paths import (
    check_output_file,
    check_output_folder,
    derived_output,
    remove_empty_tree,
    safe_stem,
    unsafe_reason,
    without_suffix,
)


@pytest.mark.parametrize(
    "name", ["..", ".", "", "a/../b", "../x", "/etc/passwd", "a//b", "a/./b", "a\\b", "x\x00y"]
)
def test_unsafe_derived_names_are_refused(tmp_path, name):
    assert unsafe_reason(name) is not None
    with pytest.raises(PathError, match="rename the input"):
        derived_output(tmp_path, name, "input.mp4")


@pytest.mark.parametrize("name", ["a", "a/b/c.png", "...mp4", "a b/ c", "é/ü.png"])
def test_plain_derived_names_stay_inside_out(tmp_path, name):
    target = derived_output(tmp_path, name, "input")
    assert target.resolve().is_relative_to(tmp_path.resolve())
    assert target.resolve() != tmp_path.resolve()


def test_derived_name_through_a_symlink_out_of_out_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PathError, match="symbolic link"):
        derived_output(out, "link/clip", "clip.mp4")


@pytest.mark.parametrize(
    ("name", "stem"),
    [("...mp4", "...mp4"), ("..mp4", "..mp4"), ("a.mp4", "a"), ("d/...mp4", "d/...mp4"),
     ("d/x.y.mp4", "d/x.y"), (".mp4", ".mp4")],
)  # fmt: skip
def test_without_suffix_never_yields_dot_or_dotdot(name, stem):
    assert without_suffix(name) == stem
    assert unsafe_reason(without_suffix(name)) is None


@pytest.mark.parametrize("name", ["...csv", "..csv", ".csv", "..", "a/..", "test.csv"])
def test_safe_stem_is_a_plain_name(name):
    stem = safe_stem(name)
    assert stem not in ("", ".", "..") and "/" not in stem


def test_atomic_path_refuses_a_dotdot_target(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(ValueError), atomic_path(tmp_path / "out" / ".."):
        pass
    assert (tmp_path / "keep.txt").is_file()


def test_output_file_checks(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(PathError, match="is a folder"):
        check_output_file(tmp_path / "folder")
    with pytest.raises(PathError, match="is a file, not a folder"):
        check_output_file(tmp_path / "file" / "out.json")
    with pytest.raises(PathError, match="mkdir -p"):
        check_output_file(tmp_path / "a" / "b" / "out.json")
    with pytest.raises(PathError, match="longer than"):
        check_output_file(tmp_path / ("x" * 300 + ".json"))
    assert check_output_file(tmp_path / "new" / "out.json").parent == tmp_path / "new"
    assert not (tmp_path / "new").exists()  # checking writes nothing


def test_output_folder_checks(tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "exists").mkdir()
    with pytest.raises(PathError, match="is a file"):
        check_output_folder(tmp_path / "file")
    with pytest.raises(PathError, match="exists"):
        check_output_folder(tmp_path / "exists", must_not_exist=True)
    with pytest.raises(PathError, match="mkdir -p"):
        check_output_folder("/nonexistent-fairdf/a/b")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_parent_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PathError, match="not writable"):
            check_output_file(folder / "out.json")
    finally:
        folder.chmod(0o700)


def test_remove_empty_tree_never_removes_files(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "keep.txt").write_text("x")
    remove_empty_tree(tmp_path / "a")
    remove_empty_tree(tmp_path / "c")
    assert not (tmp_path / "a").exists() and (tmp_path / "c" / "keep.txt").is_file()


# --- findings of issue 13 -------------------------------------------------------------


def test_issue13_prepare_frames_on_dots_mp4_keeps_the_folder_above_out(tmp_path, capsys):
    import numpy as np

    from fairdf.prepare.sample import write_video

    home = tmp_path / "home"
    home.mkdir()
    (home / "precious.txt").write_text("user data")
    video = write_video(home / "...mp4", [np.full((32, 32, 3), 9 * i, np.uint8) for i in range(6)])
    out = home / "frames"
    code, _, err = run_cli(capsys, "prepare", "frames", video, out, "--count", "3")
    assert (home / "precious.txt").read_text() == "user data" and video.is_file()
    assert code == 0, err
    assert sorted(p.name for p in (out / "...mp4").iterdir()) == [
        "0000.png",
        "0002.png",
        "0005.png",
    ]


def test_issue13_prepare_frames_only_corrupt_videos_leave_no_out(tmp_path, capsys):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "a.mp4").write_bytes(b"not a video")
    (videos / "b.avi").write_bytes(b"")
    out = tmp_path / "frames"
    code, _, err = run_cli(capsys, "prepare", "frames", videos, out)
    assert code == 2
    assert_one_line_error(err, "none of the 2 video(s) could be read")
    assert not out.exists()


def _folder_in_the_way(tmp_path):
    (tmp_path / "taken").mkdir()
    return tmp_path / "taken"


def _file_as_parent(tmp_path):
    (tmp_path / "f").write_text("x")
    return tmp_path / "f" / "out.json"


def _missing_chain(tmp_path):
    return tmp_path / "no" / "such" / "out.json"


@pytest.mark.parametrize("make_out", [_folder_in_the_way, _file_as_parent, _missing_chain])
def test_issue13_metrics_json_output_of_the_wrong_kind(tmp_path, capsys, make_out):
    from helpers_reliability import write_predictions

    predictions = write_predictions(tmp_path / "p.csv")
    target = make_out(tmp_path)
    code, out, err = run_cli(capsys, "metrics", predictions, "--json", target)
    assert code == 2 and out == ""
    assert_one_line_error(err, "--json")
    assert not list(tmp_path.rglob(".*.tmp"))


def test_issue13_report_md_existing_as_folder_leaves_nothing(tmp_path, capsys):
    from helpers_reliability import write_predictions

    predictions = write_predictions(tmp_path / "p.csv")
    (tmp_path / "report.md").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = run_cli(capsys, "report", predictions, "--bootstrap", "0")
    assert code == 2
    assert_one_line_error(err, "report.md", "is a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no report_files/, no html


def test_issue13_export_predict_test_refuse_outputs_of_the_wrong_kind(tmp_path, capsys):
    (tmp_path / "model.onnx").mkdir()
    (tmp_path / "preds.csv").mkdir()
    (tmp_path / "file").write_text("x")
    cases = [
        (["export", tmp_path / "ckpt", tmp_path / "model.onnx"], "is a folder"),
        (["predict", tmp_path, "--checkpoint", tmp_path, "--out", tmp_path / "preds.csv"],
         "is a folder"),
        (["test", "--checkpoint", tmp_path, "--manifest", "m.csv", "--out", tmp_path / "file"],
         "is a file"),
        (["import-reference", tmp_path / "r.pth", tmp_path / "file"], "is a file"),
        (["synth", tmp_path / "file"], "is a file"),
        (["demo", "--out", tmp_path / "a" / "b" / "c"], "mkdir -p"),
        (["prepare", "split", tmp_path / "f.csv", tmp_path / "model.onnx", "--dataset", "ffpp"],
         "is a folder"),
    ]  # fmt: skip
    for args, fragment in cases:
        code, _, err = run_cli(capsys, *args)
        assert code == 2, args
        assert_one_line_error(err, fragment)
