"""Issue 26 item 6: every JSON/YAML file is read within size and nesting bounds."""

from __future__ import annotations

import json
import time

import pytest
from helpers_reliability import assert_one_line_error, run_cli

from fairdf import bounds
from fairdf.documents import DocumentError, json_depth, read_json, read_yaml

DEEP_JSON = "[" * 100_000 + "]" * 100_000


def test_json_depth_skips_brackets_in_strings_and_escapes():
    assert json_depth('{"a": "[[[\\"[{", "b": [[1]]}') == 3
    assert json_depth('"unterminated [[[ \\') == 0
    assert json_depth("[" * 100_000) == 100_000
    assert json_depth('["é{", {"ü": []}]') == 3


def test_json_depth_is_fast_on_a_big_input():
    items = '"\\"[", ' * 5_000_000 + '[{"key": [1, "x]"]}], ' * 1_000_000
    text = f"[{items}1]"
    started = time.perf_counter()
    assert json_depth(text) == 4
    assert time.perf_counter() - started < 30


def test_deep_deepfakebench_json_is_one_line(tmp_path, capsys):
    source = tmp_path / "deep.json"
    source.write_text(DEEP_JSON)
    status, _, err = run_cli(capsys, "import", "deepfakebench", source, "--out", tmp_path / "m")
    assert status == 2
    assert_one_line_error(err, "deep.json", f"deeper than {bounds.MAX_NESTING} levels")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("text", ["- " * 20_000 + "x\n", "[" * 20_000 + "]" * 20_000])
def test_deep_attributes_yaml_is_one_line(tmp_path, capsys, text):
    (tmp_path / "p.csv").write_text("label,score,gender\n0,0.2,m\n1,0.8,f\n")
    (tmp_path / "deep.yaml").write_text(text)
    status, _, err = run_cli(
        capsys, "metrics", tmp_path / "p.csv", "--attributes", tmp_path / "deep.yaml"
    )
    assert status == 2
    assert_one_line_error(err, "deep.yaml", "line 1", f"deeper than {bounds.MAX_NESTING}")


def test_deep_config_yaml_is_one_line(tmp_path, capsys):
    path = tmp_path / "deep.yaml"
    path.write_text("train: " + "[" * 20_000 + "]" * 20_000 + "\n")
    status, _, err = run_cli(capsys, "train", "--config", path, "--out", tmp_path / "run")
    assert status == 2
    assert_one_line_error(err, "deep.yaml", "deeper than")
    assert not (tmp_path / "run").exists()


def test_deep_training_log_line_names_file_and_line(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    good = json.dumps({"epoch": 1, "train": {"total": 1.0}, "val": {"auc": 0.5}})
    (run / "metrics.jsonl").write_text(good + "\n" + DEEP_JSON + "\n")
    status, _, err = run_cli(capsys, "report", run, "--bootstrap", "0")
    assert status == 2
    assert_one_line_error(err, "metrics.jsonl:2", "deeper than")


def test_deep_checkpoint_json_is_one_line(tmp_path, capsys):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "checkpoint.json").write_text('{"format": ' + DEEP_JSON + "}")
    (tmp_path / "p.png").write_bytes(b"")
    status, _, err = run_cli(capsys, "predict", tmp_path / "p.png", "--checkpoint", folder)
    assert status == 2
    assert_one_line_error(err, "checkpoint.json", "deeper than")


def test_size_bounds_name_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(bounds, "MAX_JSON_BYTES", 10)
    monkeypatch.setattr(bounds, "MAX_YAML_BYTES", 10)
    (tmp_path / "a.json").write_text("[" + "1, " * 10 + "1]")
    (tmp_path / "a.yaml").write_text("key: " + "x" * 10)
    with pytest.raises(DocumentError, match="a.json: larger than 10 bytes"):
        read_json(tmp_path / "a.json")
    with pytest.raises(DocumentError, match="a.yaml: larger than 10 bytes"):
        read_yaml(tmp_path / "a.yaml")
    assert read_json(tmp_path / "a.json", limit=100) == [1] * 11
