"""Issue 13 manifests and predictions: bad labels, duplicate columns, real-only files."""

from __future__ import annotations

import pytest
from helpers_reliability import HEADER8, assert_one_line_error, run_cli, write_manifest

from fairdf.data.manifest import read_manifest
from fairdf.errors import DataError, ManifestError
from fairdf.metrics import read_predictions


@pytest.mark.parametrize("label", ["inf", "-inf", "nan", "2", "0.5", "1e400", ""])
def test_issue13_manifest_label_not_0_or_1_names_file_and_line(tmp_path, label):
    path = write_manifest(
        tmp_path / "test.csv", ["a.png,0,1,-1,1,-1,1", f"b.png,{label},1,-1,1,-1,1"]
    )
    with pytest.raises(ManifestError) as caught:
        read_manifest(path)
    assert "test.csv, line 3, column 'label'" in str(caught.value)


@pytest.mark.parametrize("label", ["inf", "nan", "2"])
def test_issue13_predictions_label_not_0_or_1(tmp_path, label):
    path = tmp_path / "p.csv"
    path.write_text(f"label,score,intersec_label\n0,0.1,0\n{label},0.9,1\n")
    with pytest.raises(DataError, match="line 3"):
        read_predictions(path, "ffpp")


@pytest.mark.parametrize("column", ["label", "score"])
def test_issue13_duplicate_columns_are_refused(tmp_path, capsys, column):
    path = tmp_path / "p.csv"
    header = "label,score,intersec_label," + column
    path.write_text(f"{header}\n0,0.1,0,1\n1,0.9,1,0\n")
    status, _, err = run_cli(capsys, "metrics", path, "--scheme", "ffpp")
    assert status == 2
    assert_one_line_error(err, "repeats column", f"'{column}'")


def test_issue13_duplicate_manifest_column(tmp_path):
    path = write_manifest(tmp_path / "test.csv", ["a.png,0,1,-1,1,-1,1,1"], HEADER8 + ",label")
    with pytest.raises(ManifestError, match="repeats column.*'label'"):
        read_manifest(path)


def test_duplicate_after_stripping_spaces(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("label,score, score,intersec_label\n0,0.1,0.2,0\n")
    with pytest.raises(DataError, match="repeats column"):
        read_predictions(path, "ffpp")


def _training_folder(tmp_path, real_rows):
    good_fake = ["f.png,1,1,-1,1,-1,1,1"]
    header = HEADER8 + ",spe_label"
    write_manifest(tmp_path / "realtrain.csv", real_rows, header)
    write_manifest(tmp_path / "faketrain.csv", good_fake, header)
    write_manifest(tmp_path / "realval.csv", ["rv.png,0,1,-1,1,-1,1,"], header)
    write_manifest(tmp_path / "fakeval.csv", ["fv.png,1,1,-1,1,-1,1,2"], header)
    config = tmp_path / "run.yaml"
    config.write_text(
        "data:\n  scheme: ffpp\nmodel:\n  encoder: tiny\n  image_size: 32\ntrain:\n  device: cpu\n"
    )
    return config


def test_issue13_empty_realtrain_says_it_has_no_rows(tmp_path, capsys):
    config = _training_folder(tmp_path, [])
    status, _, err = run_cli(capsys, "train", "--config", config, "--out", tmp_path / "run")
    assert status == 2
    assert_one_line_error(err, "realtrain.csv", "has no rows")
    assert not (tmp_path / "run").exists()


def test_issue13_fake_row_in_realtrain_says_only_reals(tmp_path, capsys):
    config = _training_folder(tmp_path, ["r.png,0,1,-1,1,-1,1,", "x.png,1,1,-1,1,-1,1,"])
    status, _, err = run_cli(capsys, "train", "--config", config, "--out", tmp_path / "run")
    assert status == 2
    assert_one_line_error(err, "realtrain.csv", "line 3", "must hold only real images")
    assert "spe_label" not in err


def test_issue13_manifest_named_dots_csv(tmp_path, capsys):
    from fairdf.engine.testing import test_set_names

    names = test_set_names([tmp_path / "...csv", tmp_path / "a" / "...csv"])
    assert len(set(names)) == 2 and all(n not in ("", ".", "..") and "/" not in n for n in names)
    path = write_manifest(tmp_path / "...csv", ["a.png,0,1,-1,1,-1,1"])
    status, out, err = run_cli(capsys, "validate", path)
    assert status == 0 and "Traceback" not in err and "OK" in out
