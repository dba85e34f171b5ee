"""AUC per manipulation method: each method's fakes against all reals, checked with
scikit-learn on masks; intervals, video level, held-out marks, console and report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from fairdf.cli import main
from fairdf.metrics import compute_metrics

METHODS = ("Deepfakes", "Face2Face", "NeuralTextures")


def _frame(n_videos: int = 90, frames: int = 3, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    video = np.repeat(np.arange(n_videos), frames)
    label = np.repeat(rng.integers(0, 2, n_videos), frames)
    method = np.where(label == 1, np.repeat(rng.choice(METHODS, n_videos), frames), "real")
    strength = pd.Series(method).map({"Deepfakes": 1.5, "Face2Face": 0.8, "NeuralTextures": 0.2})
    score = 1 / (
        1 + np.exp(-(label * strength.fillna(0).to_numpy() + rng.normal(0, 1, len(video))))
    )
    return pd.DataFrame(
        {
            "label": label,
            "score": score.round(6),
            "intersec_label": np.repeat(rng.integers(0, 8, n_videos), frames),
            "method_name": method,
            "video": video,
        }
    )


def test_each_method_against_all_reals_matches_sklearn():
    frame = _frame()
    result = compute_metrics(frame, "ffpp", bootstrap=200, seed=1, held_out=["NeuralTextures"])
    methods = result.to_json_dict()["methods"]
    assert methods["column"] == "method_name" and set(methods["rows"]) == set(METHODS)
    real = frame["label"] == 0
    for name, row in methods["rows"].items():
        mask = real | (frame["method_name"] == name)
        assert row["auc"] == pytest.approx(
            roc_auc_score(frame["label"][mask], frame["score"][mask]), abs=1e-12
        )
        assert row["n_fake"] == int((frame["method_name"] == name).sum())
        low, high = row["interval"]
        assert low <= row["auc"] <= high
        assert row["held_out"] == (name == "NeuralTextures")


def test_video_level_and_spe_label_ids():
    frame = _frame()
    result = compute_metrics(frame, "ffpp", video_column="video")
    videos = result.video.methods["rows"]
    per_video = frame.groupby("video").agg(
        label=("label", "first"), score=("score", "mean"), method=("method_name", "first")
    )
    for name, row in videos.items():
        mask = (per_video["label"] == 0) | (per_video["method"] == name)
        assert row["auc"] == pytest.approx(
            roc_auc_score(per_video["label"][mask], per_video["score"][mask]), abs=1e-12
        )
    ids = frame.assign(
        spe_label=frame["method_name"].map({"real": 0, **{m: i + 1 for i, m in enumerate(METHODS)}})
    )
    by_id = compute_metrics(ids.drop(columns="method_name"), "ffpp").methods
    assert by_id["column"] == "spe_label" and set(by_id["rows"]) == {"1", "2", "3"}
    assert compute_metrics(frame.drop(columns="method_name"), "ffpp").methods is None


def test_console_json_and_report(tmp_path, capsys):
    csv = tmp_path / "p.csv"
    _frame().to_csv(csv, index=False)
    out = tmp_path / "m.json"
    assert main(["metrics", str(csv), "--json", str(out), "--held-out", "Face2Face"]) == 0
    printed = capsys.readouterr().out
    assert "AUC per manipulation method" in printed and "Face2Face (held out)" in printed
    assert json.loads(out.read_text())["methods"]["rows"]["Face2Face"]["held_out"] is True
    page = tmp_path / "r.html"
    assert (
        main(
            ["report", str(csv), "--out", str(page), "--bootstrap", "20", "--held-out", "Face2Face"]
        )
        == 0
    )
    html = page.read_text()
    assert 'id="summary-methods"' in html and 'id="summary-methods-videos"' in html
    assert "Face2Face (held out)" in html
