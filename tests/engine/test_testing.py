import json

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from fairdf.cli import main


@pytest.fixture()
def checkpoint(tiny_checkpoint):
    return tiny_checkpoint


def test_scores_several_manifests_and_writes_predictions_and_metrics(
    checkpoint, synthetic_data, tmp_path, capsys
):
    test_csv = synthetic_data.manifests["test"]
    val_csv = synthetic_data.manifests["realval"]
    out = tmp_path / "results"
    code = main(
        [
            "test",
            "--checkpoint",
            str(checkpoint),
            "--manifest",
            str(test_csv),
            "--manifest",
            str(val_csv),
            "--out",
            str(out),
            "--device",
            "cpu",
            "--workers",
            "0",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "AUC" in printed and "F_FPR" in printed
    predictions = pd.read_csv(out / "test" / "predictions.csv")
    manifest = pd.read_csv(test_csv)
    assert len(predictions) == len(manifest)
    assert set(manifest.columns) <= set(predictions.columns)
    assert {"logit_real", "logit_fake", "score"} <= set(predictions.columns)
    metrics = json.loads((out / "test" / "metrics.json").read_text())
    expected = roc_auc_score(predictions["label"], predictions["score"])
    assert metrics["overall"]["auc"] == pytest.approx(expected, abs=1e-12)
    assert (out / "realval" / "metrics.json").is_file()  # one class only: AUC left out, no crash


def test_missing_manifest_exits_2_and_writes_nothing(checkpoint, tmp_path, capsys):
    out = tmp_path / "results"
    code = main(
        [
            "test",
            "--checkpoint",
            str(checkpoint),
            "--manifest",
            str(tmp_path / "nope.csv"),
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "nope.csv" in err and "Traceback" not in err
    assert not out.exists()


def test_not_a_checkpoint_exits_2(tmp_path, synthetic_data, capsys):
    code = main(
        [
            "test",
            "--checkpoint",
            str(tmp_path),
            "--manifest",
            str(synthetic_data.manifests["test"]),
            "--out",
            str(tmp_path / "results"),
        ]
    )
    assert code == 2 and "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "results").exists()
