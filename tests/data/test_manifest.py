import re
from pathlib import Path

import pandas as pd
import pytest
from helpers_manifest import HEADER8, write_csv

from fairdf.cli import main
from fairdf.data.manifest import read_manifest, write_manifest
from fairdf.errors import ManifestError

GOOD_ROWS = ["a.png,0,1,-1,1,-1,1", "b.png,1,-1,1,-1,-1,4", "c.png,1,-1,-1,-1,-1,7"]


def run_validate(capsys, *args):
    code = main(["validate", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out + err


def test_reads_reference_layout_with_extras(tmp_path):
    path = write_csv(tmp_path / "test.csv", HEADER8 + ",age", [r + ",young" for r in GOOD_ROWS])
    manifest = read_manifest(path)
    assert manifest.scheme.n_groups == 8
    frame = manifest.frame
    assert frame["group"].tolist() == [1, 4, 7]
    assert frame["label"].tolist() == [0, 1, 1]
    assert frame["age"].tolist() == ["young"] * 3
    assert Path(frame["path"].iloc[0]) == tmp_path / "a.png"


def test_six_group_file_without_asian_column(tmp_path):
    header = "img_path,label,ismale,iswhite,isblack,intersec_label"
    path = write_csv(tmp_path / "test.csv", header, ["a.png,0,1,1,-1,0", "b.png,1,-1,-1,-1,5"])
    manifest = read_manifest(path)
    assert manifest.scheme.n_groups == 6
    assert manifest.frame["group"].tolist() == [0, 5]


def test_columns_in_other_order(tmp_path):
    header = "intersec_label,isblack,iswhite,isasian,ismale,label,img_path"
    path = write_csv(tmp_path / "t.csv", header, ["1,-1,1,-1,1,0,a.png"], images=False)
    (tmp_path / "a.png").write_bytes(b"")
    assert read_manifest(path).frame["group"].tolist() == [1]


def test_write_read_round_trip(tmp_path):
    write_csv(tmp_path / "faketrain.csv", HEADER8 + ",spe_label", [r + ",2" for r in GOOD_ROWS[1:]])
    manifest = read_manifest(tmp_path / "faketrain.csv")
    out = write_manifest(manifest.frame, tmp_path / "copy" / "faketrain.csv")
    header = out.read_text().splitlines()[0]
    assert header == HEADER8 + ",spe_label"
    original = pd.read_csv(tmp_path / "faketrain.csv")
    copied = pd.read_csv(out)
    pd.testing.assert_frame_equal(original, copied)


@pytest.mark.parametrize(
    "header,rows,line,column,words",
    [
        (
            "img_path,label,ismale,isasian,iswhite,intersec_label",
            ["a.png,0,1,-1,1,1"],
            None,
            "isblack",
            "missing column",
        ),
        (HEADER8, [GOOD_ROWS[0], "b.png,2,1,-1,1,-1,1"], 3, "label", "not one of [0, 1]"),
        (HEADER8, ["a.png,0,0,-1,1,-1,1"], 2, "ismale", "not one of [-1, 1]"),
        (HEADER8, ["a.png,0,1,-1,1,-1,5"], 2, "intersec_label", "disagrees"),
        (HEADER8, ["a.png,0,1,-1,1,-1,9"], 2, "intersec_label", "not one of"),
        (HEADER8, [GOOD_ROWS[0], GOOD_ROWS[0]], 3, "img_path", "duplicate of line 2"),
    ],
)
def test_each_error_class_names_line_and_column(
    tmp_path, capsys, header, rows, line, column, words
):
    path = write_csv(tmp_path / "test.csv", header, rows)
    code, output = run_validate(capsys, path, "--scheme", "ffpp")
    assert code == 2
    expected = f"line {line}, column '{column}'" if line else f"column '{column}'"
    assert expected in output and words in output
    assert "Traceback" not in output


def test_spe_label_required_on_fake_training_rows(tmp_path, capsys):
    path = write_csv(
        tmp_path / "faketrain.csv",
        HEADER8 + ",spe_label",
        ["b.png,1,-1,1,-1,-1,4,", "c.png,1,-1,-1,-1,-1,7,6"],
    )
    code, output = run_validate(capsys, path)
    assert code == 2
    assert "line 2, column 'spe_label': value (empty)" in output
    assert "line 3, column 'spe_label': value 6" in output
    # the same rows are fine in a test file, and with more methods allowed
    assert read_manifest(path, role="test").frame["method"].tolist() == [0, 6]
    assert read_manifest(path, n_methods=6, role="test").frame["method"].tolist() == [0, 6]


def test_missing_spe_column_in_faketrain(tmp_path):
    path = write_csv(tmp_path / "fakeval.csv", HEADER8, GOOD_ROWS[1:])
    with pytest.raises(ManifestError, match="missing column 'spe_label'"):
        read_manifest(path)


def test_missing_and_corrupt_images(tmp_path, capsys):
    path = write_csv(tmp_path / "test.csv", HEADER8, GOOD_ROWS)
    (tmp_path / "b.png").unlink()
    (tmp_path / "c.png").write_bytes(b"not a png at all")
    code, output = run_validate(capsys, path)
    assert code == 2 and "line 3, column 'img_path': image not found" in output
    assert "corrupt image" not in output  # only decoded on request
    code, output = run_validate(capsys, path, "--check-images")
    assert "line 4, column 'img_path': corrupt image" in output


def test_valid_manifest_prints_counts_and_warnings(tmp_path, capsys):
    path = write_csv(tmp_path / "test.csv", HEADER8, GOOD_ROWS)
    code, output = run_validate(capsys, path)
    assert code == 0
    assert "male-white" in output and "3 images" in output
    assert "group nonmale-asian has no real images" in output
    assert "group male-asian has no images" in output


@pytest.mark.parametrize("content", ["", 'img_path,label\n"unclosed,0\n'])
def test_unreadable_csv(tmp_path, capsys, content):
    path = tmp_path / "test.csv"
    path.write_text(content)
    code, output = run_validate(capsys, path)
    assert code == 2 and "test.csv" in output and "Traceback" not in output


def test_missing_manifest_file(tmp_path, capsys):
    code, output = run_validate(capsys, tmp_path / "nope.csv")
    assert code == 2 and "nope.csv" in output


def test_validate_reports_every_problem_kind_in_one_pass(tmp_path, capsys):
    from helpers_manifest import HEADER8, write_csv

    from fairdf.cli import main

    rows = [
        "a.png,x,1,-1,1,-1,1",  # label is not 0/1
        "b.png,0,1,-1,1,-1,5",  # male-white is group 1, not 5
        "c.png,1,-1,-1,-1,1,6",  # fine: nonmale-black
    ]
    csv = write_csv(tmp_path / "test.csv", HEADER8, rows)
    assert main(["validate", str(csv), "--scheme", "ffpp"]) == 2
    out = capsys.readouterr().out
    assert "INVALID" in out and "2 problem(s)" in out
    assert "line 2, column 'label'" in out
    assert "line 3, column 'intersec_label': value 5 disagrees" in out


def test_validate_names_the_methods_from_methods_json(tmp_path, capsys):
    import json

    from helpers_manifest import HEADER8, write_csv

    from fairdf.cli import main

    rows = ["a.png,1,1,-1,1,-1,1,1", "b.png,1,-1,-1,-1,1,6,2", "c.png,1,-1,-1,-1,1,6,2"]
    csv = write_csv(tmp_path / "faketrain.csv", HEADER8 + ",spe_label", rows)
    (tmp_path / "methods.json").write_text(json.dumps({"Deepfakes": 1, "FaceSwap": 2}))
    assert main(["validate", str(csv), "--scheme", "ffpp", "--n-methods", "2"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"1 Deepfakes\s+1", out) and re.search(r"2 FaceSwap\s+2", out)
