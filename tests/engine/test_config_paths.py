"""Paths in a config file are relative to that file; paths given with --set to the CWD."""

from __future__ import annotations

from pathlib import Path

from fairdf.config import load_config


def test_file_paths_follow_the_file_and_set_paths_follow_the_working_directory(
    tmp_path, monkeypatch
):
    folder, work = tmp_path / "configs", tmp_path / "work"
    folder.mkdir()
    work.mkdir()
    config_file = folder / "run.yaml"
    config_file.write_text("data:\n  root: data\nmodel:\n  encoder: tiny\n  pretrained: w.pth\n")
    monkeypatch.chdir(work)
    from_file = load_config(config_file)
    assert Path(from_file.data.root) == (folder / "data").resolve()
    assert Path(from_file.model.pretrained) == (folder / "w.pth").resolve()
    overridden = load_config(
        Path("..") / "configs" / "run.yaml",
        ["data.root=fairdf-demo/data", "model.pretrained=weights/x.pth"],
    )
    assert Path(overridden.data.root) == (work / "fairdf-demo" / "data").resolve()
    assert Path(overridden.model.pretrained) == (work / "weights" / "x.pth").resolve()
    absolute = load_config(config_file, [f"data.root={tmp_path / 'abs'}"])
    assert Path(absolute.data.root) == tmp_path / "abs"
