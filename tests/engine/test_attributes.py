"""A group scheme declared by three attributes: manifests, LDAM counts, one training epoch
of the demo config, and metrics per attribute and intersectionally."""

from __future__ import annotations

import json
import zlib
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from fairdf.cli import main
from fairdf.data.attributes import parse_attributes
from fairdf.errors import ConfigError

ATTRIBUTES = {"gender": ["male", "female"], "skin_tone": ["light", "dark"], "age": ["young", "old"]}
FLAG = ["--attributes", "gender=male,female", "skin_tone=light,dark", "age=young,old"]


def _with_attributes(frame: pd.DataFrame, root) -> pd.DataFrame:
    """Text attribute columns, the reference columns dropped; absolute image paths."""
    out = frame.drop(columns=["ismale", "isasian", "iswhite", "isblack", "intersec_label"])
    out["img_path"] = [str(root / p) for p in frame["img_path"]]
    out["gender"] = np.where(frame["ismale"] == 1, "Male", "female")  # case is ignored
    out["skin_tone"] = np.where((frame["iswhite"] == 1) | (frame["isasian"] == 1), "light", "dark")
    out["age"] = ["old" if zlib.crc32(i.encode()) % 3 == 0 else "young" for i in frame["identity"]]
    out["video"] = frame["identity"] + "-" + frame["label"].astype(str)  # label constant per video
    return out


@pytest.fixture(scope="module")
def custom_data(synthetic_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("custom")
    for name, path in synthetic_data.manifests.items():
        frame = pd.read_csv(path, dtype={"spe_label": "Int64"})
        _with_attributes(frame, synthetic_data.root).to_csv(folder / f"{name}.csv", index=False)
    return folder


def _config(custom_data, *extra):
    from fairdf.config import load_config

    demo = resources.files("fairdf") / "configs" / "demo.yaml"
    overrides = [
        f"data.root={custom_data}",
        "data.scheme=null",
        f"data.attributes={json.dumps(ATTRIBUTES)}",
        "model.encoder=tiny",
        "model.image_size=32",
        "model.encoder_channels=32",
        "model.feature_channels=16",
        "model.hidden_dim=32",
        "train.epochs=1",
        "train.max_steps_per_epoch=3",
        "train.progress=false",
        "train.device=cpu",
        *extra,
    ]
    return load_config(str(demo), overrides)


def test_training_counts_come_from_the_declared_attributes(custom_data):
    from fairdf.engine.data import load_training_data

    data = load_training_data(_config(custom_data))
    assert data.scheme.n_groups == 8 and data.scheme.group_names[0] == "male-light-young"
    frames = [pd.read_csv(custom_data / f"{n}.csv") for n in ("realtrain", "faketrain")]
    both = pd.concat(frames)
    expected = []
    for gender in ATTRIBUTES["gender"]:
        for tone in ATTRIBUTES["skin_tone"]:
            for age in ATTRIBUTES["age"]:
                mask = (both["gender"].str.lower() == gender) & (both["skin_tone"] == tone)
                expected.append(int((mask & (both["age"] == age)).sum()))
    assert data.group_counts == expected


def test_three_attribute_scheme_trains_tests_and_reports_every_view(custom_data, tmp_path):
    from fairdf.engine.train import train

    run_dir = train(_config(custom_data), tmp_path / "run")
    epoch = json.loads((run_dir / "metrics.jsonl").read_text().splitlines()[-1])
    assert "F_FPR" in epoch["val"]  # validation fairness over the declared groups
    checkpoint = run_dir / "checkpoints" / "best"
    assert json.loads((checkpoint / "checkpoint.json").read_text())["attributes"] == ATTRIBUTES
    out = tmp_path / "test"
    argv = ["test", "--checkpoint", str(checkpoint), "--manifest", str(custom_data / "test.csv")]
    assert main([*argv, "--out", str(out), "--device", "cpu", "--workers", "0"]) == 0
    metrics = json.loads((out / "test" / "metrics.json").read_text())
    assert set(metrics["fairness"]) == {"intersectional", "gender", "skin_tone", "age"}
    assert len(metrics["groups"]["intersectional"]) == 8
    assert set(metrics["video"]["fairness"]) == set(metrics["fairness"])
    predictions = pd.read_csv(out / "test" / "predictions.csv")
    dark = predictions["skin_tone"] == "dark"
    ours = metrics["groups"]["skin_tone"]["dark"]["auc"]
    assert ours == pytest.approx(
        roc_auc_score(predictions["label"][dark], predictions["score"][dark]), abs=1e-12
    )
    # fairdf metrics on the same file with the attributes on the command line
    again = tmp_path / "m.json"
    assert (
        main(["metrics", str(out / "test" / "predictions.csv"), *FLAG, "--json", str(again)]) == 0
    )
    assert json.loads(again.read_text())["groups"] == metrics["groups"]


def test_attribute_declarations_and_their_errors(tmp_path, capsys):
    scheme = parse_attributes(["gender=male,female", "age=young,old,middle"])
    assert scheme.n_groups == 6 and scheme.group_names[2] == "male-middle"
    path = tmp_path / "scheme.yaml"
    path.write_text("attributes:\n  gender: [male, female]\n  age: [young, old]\n")
    assert parse_attributes([str(path)]).to_dict() == {
        "gender": ["male", "female"],
        "age": ["young", "old"],
    }
    for bad, message in (
        (["gender=male"], "at least 2 distinct"),
        (["gender"], "no such file"),
        (["label=0,1"], "cannot be an attribute column"),
        (["age=young,old", "age=a,b"], "given twice"),
    ):
        with pytest.raises(ConfigError, match=message):
            parse_attributes(bad)
    frame = pd.DataFrame(
        {"label": [0, 1, 1], "score": [0.2, 0.7, 0.9], "gender": ["male", "female", "x"]}
    )
    frame.to_csv(tmp_path / "p.csv", index=False)
    assert main(["metrics", str(tmp_path / "p.csv"), "--attributes", "gender=male,female"]) == 2
    error = capsys.readouterr().err
    assert "line 4, column 'gender': 'x' is not a declared value; use one of male, female" in error
    with pytest.raises(ConfigError, match="give only one"):
        _config(tmp_path, "data.scheme=ffpp")
