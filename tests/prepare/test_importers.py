"""fairdf import: AI-Face-FairnessBench CSVs and DeepfakeBench JSON into manifests."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import yaml

from fairdf.cli import main
from fairdf.data.attributes import parse_attributes
from fairdf.data.manifest import read_manifest


def _aiface(path, n=12):
    rng = np.random.default_rng(0)
    pd.DataFrame(
        {
            "Image Path": [f"imgs/{i}.png" for i in range(n)],
            "Uncertainty Score Gender": rng.random(n).round(3),
            "Ground Truth Gender": rng.integers(0, 2, n),
            "Ground Truth Age": rng.integers(0, 5, n),
            "Ground Truth Skin Tone": rng.integers(1, 4, n),
            "Intersection": rng.integers(0, 6, n),
            "Target": rng.integers(0, 2, n),
        }
    ).to_csv(path, index=False)


def test_aiface_csv_becomes_a_manifest_with_its_attribute_names(tmp_path, capsys):
    source, out = tmp_path / "test.csv", tmp_path / "manifest.csv"
    _aiface(source)
    assert main(["import", "aiface", str(source), "--out", str(out)]) == 0
    raw, frame = pd.read_csv(source), pd.read_csv(out)
    assert list(frame["img_path"]) == list(raw["Image Path"])
    assert list(frame["label"]) == list(raw["Target"])
    assert list(frame["skin_tone"]) == list(raw["Ground Truth Skin Tone"])  # Monk scale
    assert {"gender", "age", "intersection", "uncertainty_score_gender"} <= set(frame.columns)
    # the README's codes (version 2): gender 1 male, 0 female; age 0 child ... 5 senior
    genders = {0: "female", 1: "male"}
    assert list(frame["gender"]) == [genders[g] for g in raw["Ground Truth Gender"]]
    ages = {0: "child", 1: "youth", 3: "adult", 4: "middle-aged"}
    assert list(frame["age"].astype(str)) == [ages.get(a, str(a)) for a in raw["Ground Truth Age"]]
    assert "age=2" in capsys.readouterr().err  # a code the README does not name
    declared = yaml.safe_load((tmp_path / "manifest.attributes.yaml").read_text())["attributes"]
    assert set(declared["age"]) == {ages.get(a, str(a)) for a in raw["Ground Truth Age"]}
    scheme = parse_attributes([str(tmp_path / "manifest.attributes.yaml")])
    manifest = read_manifest(out, scheme, role="test", check_files=False)
    expected = [
        scheme.group_names.index(f"{g}-{a}-{s}")
        for g, a, s in zip(frame["gender"], frame["age"], frame["skin_tone"], strict=True)
    ]
    assert list(manifest.frame["group"]) == expected


def test_deepfakebench_json_becomes_one_manifest_per_split(tmp_path):
    document = {
        "FaceForensics++": {
            "FF-real": {"test": {"c23": {"000": {"label": "FF-real", "frames": ["a/0.png", "a/1.png"]}}}},
            "FF-DF": {
                "test": {"c23": {"000_003": {"label": "FF-DF", "frames": ["b/0.png"]}}},
                "train": {"c23": {"001_002": {"label": "FF-DF", "frames": ["c/0.png", "c/1.png", "c/2.png"]}}},
            },
        }
    }  # fmt: skip
    source, out = tmp_path / "FaceForensics++.json", tmp_path / "manifests"
    source.write_text(json.dumps(document))
    assert main(["import", "deepfakebench", str(source), "--out", str(out)]) == 0
    test = pd.read_csv(out / "test.csv")
    assert list(test["img_path"]) == ["a/0.png", "a/1.png", "b/0.png"]
    assert list(test["label"]) == [0, 0, 1]
    assert list(test["video"]) == ["FaceForensics++/000"] * 2 + ["FaceForensics++/000_003"]
    assert set(test["compression"]) == {"c23"}
    assert len(pd.read_csv(out / "train.csv")) == 3


def test_other_layouts_are_one_line_errors_naming_the_expected_columns(tmp_path, capsys):
    other = tmp_path / "other.csv"
    pd.DataFrame({"path": ["x.png"], "label": [1]}).to_csv(other, index=False)
    assert main(["import", "aiface", str(other), "--out", str(tmp_path / "m.csv")]) == 2
    error = capsys.readouterr().err.strip()
    assert "expected columns Image Path, Target, Ground Truth" in error and "\n" not in error
    assert not (tmp_path / "m.csv").exists()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"FF": {"FF-real": {"test": {"000": {"label": "FF-real"}}}}}))
    assert main(["import", "deepfakebench", str(bad), "--out", str(tmp_path / "d")]) == 2
    assert "expected {dataset: {label_name:" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_aiface_version_1_codes_root_and_raw_codes(tmp_path, capsys):
    source = tmp_path / "v1.csv"
    pd.DataFrame(
        {
            "Image Path": ["a/1.png", "/abs/2.png"],
            "Ground Truth Gender": [1, 0],
            "Ground Truth Age": [2, 3],
            "Ground Truth Race": [0, 2],
            "Target": [0, 1],
        }
    ).to_csv(source, index=False)
    out = tmp_path / "m.csv"
    assert (
        main(["import", "aiface", str(source), "--out", str(out), "--root", str(tmp_path / "imgs")])
        == 0
    )
    frame = pd.read_csv(out)
    assert list(frame["race"]) == ["asian", "black"] and list(frame["age"]) == ["senior", "others"]
    assert list(frame["img_path"]) == [str(tmp_path / "imgs" / "a" / "1.png"), "/abs/2.png"]
    raw = tmp_path / "raw.csv"
    assert main(["import", "aiface", str(source), "--out", str(raw), "--codes"]) == 0
    assert list(pd.read_csv(raw)["race"]) == [0, 2]
