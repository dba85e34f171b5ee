"""Video-level metrics against scikit-learn on per-video aggregated scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers_metrics import brute_force_fairness, read_json, sklearn_group_metrics
from scipy.special import expit
from sklearn.metrics import roc_auc_score

from fairdf.cli import main
from fairdf.errors import DataError
from fairdf.metrics import compute_metrics

CROSS_VIEW = {"F_S", "F_A", "F_COV"}


def _frames(n_videos: int = 80, seed: int = 0) -> pd.DataFrame:
    """Frames of videos of 1..9 frames; label and group constant per video."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 10, n_videos)
    label = rng.integers(0, 2, n_videos)
    group = rng.integers(0, 8, n_videos)
    video = np.repeat(np.arange(n_videos), lengths)
    logit = rng.normal(0, 1.5, len(video)) + (2 * label[video] - 1) * (0.3 + 0.1 * group[video])
    frame = pd.DataFrame(
        {
            "video": [f"v{v:03d}" for v in video],
            "label": label[video],
            "intersec_label": group[video],
            "score": expit(logit),
        }
    )
    frame["ismale"] = np.where(frame["intersec_label"] < 4, 1, -1)
    for index, name in enumerate(("isasian", "iswhite", "isblack")):
        frame[name] = np.where(frame["intersec_label"] % 4 == index, 1, -1)
    return frame.sample(frac=1.0, random_state=1).reset_index(drop=True)  # frames interleaved


@pytest.mark.parametrize("aggregate", ["mean", "median", "max"])
def test_video_metrics_equal_sklearn_on_aggregated_scores(aggregate):
    frame = _frames()
    result = compute_metrics(frame, "ffpp", video_column="video", video_aggregate=aggregate)
    videos = frame.groupby("video").agg(
        label=("label", "first"), group=("intersec_label", "first"), score=("score", aggregate)
    )
    label, score, group = (videos[c].to_numpy() for c in ("label", "score", "group"))
    video = result.to_json_dict()["video"]
    assert set(video) >= {"overall", "fairness", "groups", "excluded"}
    assert video["overall"]["n"] == frame["video"].nunique()
    assert video["overall"]["auc"] == pytest.approx(roc_auc_score(label, score), abs=1e-12)
    overall = sklearn_group_metrics(label, score)
    names = ["male-asian", "male-white", "male-black", "male-others"]
    names += [n.replace("male", "nonmale") for n in names]
    expected_groups = []
    for index, name in enumerate(names):
        mask = group == index
        expected = sklearn_group_metrics(label[mask], score[mask])
        expected_groups.append(expected)
        for key, value in video["groups"]["intersectional"][name].items():
            want = expected[key]
            assert value == (None if want is None else pytest.approx(want, abs=1e-12)), key
    expected_fairness = brute_force_fairness(expected_groups, overall)
    for key, value in video["fairness"]["intersectional"].items():
        if key not in CROSS_VIEW:
            assert value == pytest.approx(expected_fairness[key], abs=1e-12), key
    # frame level is untouched by the video section
    assert result.overall["n"] == len(frame)
    assert result.overall["auc"] == pytest.approx(
        roc_auc_score(frame["label"], frame["score"]), abs=1e-12
    )


def test_video_bootstrap_resamples_videos():
    frame = _frames(n_videos=50, seed=2)
    result = compute_metrics(frame, "ffpp", video_column="video", bootstrap=30, seed=7)
    videos = frame.groupby("video", sort=False).first().reset_index()
    videos["score"] = frame.groupby("video", sort=False)["score"].mean().to_numpy()
    direct = compute_metrics(videos, "ffpp", bootstrap=30, seed=7)
    assert result.video.intervals == direct.intervals
    assert result.video.meta["n_bootstrap"] == 30


def test_mixed_label_or_group_video_is_refused(tmp_path):
    frame = _frames(n_videos=20, seed=3)
    rows = np.flatnonzero(frame["video"] == "v004")
    assert len(rows) >= 2
    mixed = frame.copy()
    mixed.loc[rows[-1], "label"] = 1 - mixed.loc[rows[-1], "label"]
    with pytest.raises(DataError, match=r"video 'v004' \(column 'video'\) has label") as error:
        compute_metrics(mixed, "ffpp", video_column="video")
    assert "\n" not in str(error.value)
    regrouped = frame.copy()
    new_group = (regrouped.loc[rows[-1], "intersec_label"] + 1) % 4  # same gender, other race
    regrouped.loc[rows[-1], ["isasian", "iswhite", "isblack"]] = -1
    if new_group < 3:
        regrouped.loc[rows[-1], ["isasian", "iswhite", "isblack"][new_group]] = 1
    regrouped.loc[rows[-1], "intersec_label"] += (
        new_group - regrouped.loc[rows[-1], "intersec_label"] % 4
    )
    with pytest.raises(DataError, match="video 'v004'.* has group"):
        compute_metrics(regrouped, "ffpp", video_column="video")
    path, out = tmp_path / "pred.csv", tmp_path / "m.json"
    mixed.to_csv(path, index=False)
    assert main(["metrics", str(path), "--json", str(out)]) == 2
    assert not out.exists()


def test_cli_reports_videos_by_default_and_can_turn_them_off(tmp_path, capsys):
    frame = _frames(n_videos=30, seed=4)
    path = tmp_path / "pred.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "m.json"
    assert main(["metrics", str(path), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "intersectional (videos)" in printed and "\nvideos " in printed
    result = read_json(out)
    assert result["video"]["overall"]["n"] == 30
    assert result["meta"]["video_column"] == "video"
    off = tmp_path / "off.json"
    assert main(["metrics", str(path), "--video-column", "none", "--json", str(off)]) == 0
    assert "video" not in read_json(off)
    assert main(["metrics", str(path), "--video-column", "clip"]) == 2
    assert "no video column 'clip'" in capsys.readouterr().err


def test_report_shows_video_tables_beside_frame_tables(tmp_path):
    from fairdf.report import write_report

    frame = _frames(n_videos=40, seed=5)
    frame.to_csv(tmp_path / "pred.csv", index=False)
    paths = write_report(tmp_path / "pred.csv", tmp_path / "r.html", bootstrap=0)
    page = paths.html.read_text()
    for key in ("summary-overall", "summary-overall-videos", "summary-fairness-videos"):
        assert f'id="{key}"' in page
    videos = frame.groupby("video").agg(label=("label", "first"), score=("score", "mean"))
    auc = f"{100 * roc_auc_score(videos['label'], videos['score']):.2f}"
    section = page.split('id="summary-overall-videos"')[1].split("</table>")[0]
    assert ">40<" in section and auc in section
