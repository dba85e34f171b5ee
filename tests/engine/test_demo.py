import json

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from fairdf.cli import main


def test_demo_leaves_run_predictions_and_metrics(tmp_path, capsys):
    out = tmp_path / "demo"
    code = main([
        "demo", "--out", str(out), "--n", "120", "--epochs", "1",
        "--set", "model.image_size=32", "--set", "model.encoder_channels=64",
        "--set", "model.feature_channels=32", "--set", "model.hidden_dim=64",
        "--set", "train.progress=false", "--set", "train.device=cpu",
    ])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "AUC per manipulation method" in printed and "smoothing" in printed
    predictions = pd.read_csv(out / "predictions.csv")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["overall"]["auc"] == pytest.approx(
        roc_auc_score(predictions["label"], predictions["score"])
    )
    assert (out / "run" / "checkpoints" / "best" / "model.safetensors").is_file()
    assert set(predictions["method_name"]) >= {"real", "smoothing"}  # the held-out method is tested


def test_demo_refuses_a_folder_it_did_not_write(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["demo", "--out", str(tmp_path)]) == 2
    assert "not an earlier demo output" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine"
