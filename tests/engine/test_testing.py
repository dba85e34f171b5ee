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
    assert "NaN" not in printed and "n/a: realval AUC: no fake images" in printed
    predictions = pd.read_csv(out / "test" / "predictions.csv")
    manifest = pd.read_csv(test_csv)
    assert len(predictions) == len(manifest)
    assert set(manifest.columns) <= set(predictions.columns)
    assert {"logit_real", "logit_fake", "score"} <= set(predictions.columns)
    metrics = json.loads((out / "test" / "metrics.json").read_text())
    expected = roc_auc_score(predictions["label"], predictions["score"])
    assert metrics["overall"]["auc"] == pytest.approx(expected, abs=1e-12)
    assert (out / "realval" / "metrics.json").is_file()  # one class only: AUC left out, no crash
    recorded = metrics["meta"]["checkpoint"]
    written = json.loads((checkpoint / "checkpoint.json").read_text())["metadata"]
    assert recorded["path"] == str(checkpoint.resolve()) and recorded["name"] == "best"
    assert recorded["epoch"] == written["epoch"] == 1
    assert recorded["best_metric"] == written["best_metric"]
    assert recorded["best_value"] == written["best_value"]


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


def test_skip_corrupt_reports_the_dropped_images(checkpoint, synthetic_data, tmp_path, capsys):
    test_csv = synthetic_data.manifests["test"]
    frame = pd.read_csv(test_csv)
    frame["img_path"] = [str((test_csv.parent / p).resolve()) for p in frame["img_path"]]
    broken = [tmp_path / "broken-0.png", tmp_path / "broken-1.png"]
    for index, path in enumerate(broken):
        path.write_bytes(b"not an image")
        frame.loc[index, "img_path"] = str(path)
    manifest = tmp_path / "test.csv"
    frame.to_csv(manifest, index=False)
    out = tmp_path / "results"
    options = ["--device", "cpu", "--workers", "0", "--skip-corrupt"]
    code = main(
        ["test", "--checkpoint", str(checkpoint), "--manifest", str(manifest), "--out", str(out)]
        + options
    )
    assert code == 0
    err = capsys.readouterr().err
    metrics = json.loads((out / "test" / "metrics.json").read_text())
    assert metrics["skipped_images"] == {"count": 2, "images": [str(p) for p in broken]}
    assert metrics["overall"]["n"] == len(frame) - 2
    assert "2 unreadable image(s) skipped" in err and str(broken[1]) in err


def test_a_detector_calling_everything_fake_gets_a_warning(
    checkpoint, synthetic_data, tmp_path, capsys
):
    import shutil

    from safetensors.numpy import load_file, save_file

    degenerate = tmp_path / "always-fake"
    shutil.copytree(checkpoint, degenerate)
    weights = load_file(degenerate / "model.safetensors")
    weights["fused_head.mlp.2.weight"][:] = 0.0  # the score no longer depends on the image
    weights["fused_head.mlp.2.bias"][:] = (-5.0, 5.0)  # (real, fake) logits
    save_file(weights, degenerate / "model.safetensors")
    out = tmp_path / "results"
    test_csv = synthetic_data.manifests["test"]
    args = ["--manifest", str(test_csv), "--out", str(out), "--device", "cpu", "--workers", "0"]
    assert main(["test", "--checkpoint", str(degenerate), *args]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "constant decisions" in line]
    assert len(lines) == 1 and lines[0].startswith("warning: test: ")
    metrics = json.loads((out / "test" / "metrics.json").read_text())
    assert metrics["meta"]["constant_decisions"] == "fake"
    assert metrics["fairness"]["intersectional"]["F_FPR"] == 0.0
