"""`fairdf compare`: JSON layout, estimates from the point values, agreement with
`fairdf metrics`, test-set folders, and one-line errors that write nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers_compare import model_frames, write_models

from fairdf.cli import main


def run_json(tmp_path, paths, *options):
    out = tmp_path / "compare.json"
    code = main(["compare", *map(str, paths), "--json", str(out), *options])
    assert code == 0
    return json.loads(out.read_text())


def test_json_layout_and_estimates_are_exact_differences(tmp_path, capsys):
    paths = write_models(tmp_path, model_frames())
    result = run_json(
        tmp_path, paths, "--names", "A", "B", "C", "--baseline", "B", "--bootstrap", "150"
    )
    assert set(result) == {"models", "baseline", "differences", "meta"}
    assert result["baseline"] == "B" and set(result["differences"]) == {"A", "C"}
    models = result["models"]
    for name, diff in result["differences"].items():
        auc = diff["overall"]["auc"]
        assert set(auc) == {"estimate", "low", "high", "p_value", "p_holm"}
        assert auc["estimate"] == models[name]["overall"]["auc"] - models["B"]["overall"]["auc"]
        for view, metrics in diff["fairness"].items():
            for metric, d in metrics.items():
                ours, base = (
                    models[name]["fairness"][view][metric],
                    models["B"]["fairness"][view][metric],
                )
                if ours is None or base is None:
                    assert d["estimate"] is None
                else:
                    assert d["estimate"] == ours - base
                    assert d["low"] <= d["high"] and d["p_holm"] >= d["p_value"]
    text = capsys.readouterr().out
    assert "Fairness: intersectional" in text and "A - B" not in text and "  - B" in text


def test_model_metrics_equal_fairdf_metrics(tmp_path):
    """The first file keeps its row order, so its resamples are those of fairdf metrics."""
    paths = write_models(tmp_path, model_frames(models=2))
    result = run_json(tmp_path, paths, "--bootstrap", "100", "--seed", "4", "--by", "video")
    single = tmp_path / "metrics.json"
    main(
        [
            "metrics",
            str(paths[0]),
            "--bootstrap",
            "100",
            "--seed",
            "4",
            "--by",
            "video",
            "--video-column",
            "none",  # compare measures frames only
            "--json",
            str(single),
        ]
    )
    assert result["models"]["model0"] == json.loads(single.read_text())


def test_identical_files_give_zero_differences_and_p_one(tmp_path):
    frame = model_frames(models=1)[0]
    paths = write_models(tmp_path, [frame, frame.sample(frac=1.0, random_state=9)])
    result = run_json(tmp_path, paths, "--bootstrap", "200", "--cluster-by", "video")
    diff = result["differences"]["model1"]
    entries = [diff["overall"]["auc"], *(d for v in diff["fairness"].values() for d in v.values())]
    defined = [d for d in entries if d["estimate"] is not None]
    assert defined
    for d in defined:
        assert d["estimate"] == 0.0 and d["low"] <= 0.0 <= d["high"]
        assert d["p_value"] == 1.0 and d["p_holm"] == 1.0


def test_paired_resamples_use_the_same_clusters_for_every_model(tmp_path):
    """Cluster resampling: a model and its copy with reordered rows differ by exactly 0
    in every resample, so the interval collapses to 0."""
    frame = model_frames(models=1)[0]
    paths = write_models(tmp_path, [frame, frame.iloc[::-1]])
    result = run_json(tmp_path, paths, "--bootstrap", "50", "--cluster-by", "video")
    auc = result["differences"]["model1"]["overall"]["auc"]
    assert auc["low"] == auc["high"] == 0.0


def test_testset_folders_are_compared_set_by_set(tmp_path, capsys):
    for model in ("ours", "theirs"):
        for index, testset in enumerate(("ffpp", "celebdf")):
            frame = model_frames(n=300, models=2, seed=index)[model == "theirs"]
            write_models(tmp_path / model / testset, [frame], stem="predictions")
            (tmp_path / model / testset / "predictions0.csv").rename(
                tmp_path / model / testset / "predictions.csv"
            )
    result = run_json(tmp_path, [tmp_path / "ours", tmp_path / "theirs"], "--bootstrap", "50")
    assert set(result["testsets"]) == {"ffpp", "celebdf"}
    ffpp = result["testsets"]["ffpp"]
    assert ffpp["baseline"] == "ours" and set(ffpp["differences"]) == {"theirs"}
    text = capsys.readouterr().out
    assert "Side by side" in text and "ffpp: AUC" in text and "celebdf: F_FPR" in text


def mismatched(tmp_path):
    frames = model_frames(models=2)
    frames[1].loc[frames[1]["img_path"] == "faces/00007.png", "img_path"] = "faces/other.png"
    return write_models(tmp_path, frames)


def relabelled(tmp_path):
    frames = model_frames(models=2)
    row = frames[1].index[frames[1]["img_path"] == "faces/00003.png"][0]
    frames[1].loc[row, "label"] = 1 - frames[1].loc[row, "label"]
    return write_models(tmp_path, frames)


def regrouped(tmp_path):
    frames = model_frames(models=2)
    row = frames[1].index[frames[1]["img_path"] == "faces/00003.png"][0]
    frames[1].loc[row, "intersec_label"] = (frames[1].loc[row, "intersec_label"] + 1) % 8
    return write_models(tmp_path, frames)


@pytest.mark.parametrize(
    ("make", "options", "expected"),
    [
        (mismatched, [], "faces/00007.png' is not in"),
        (relabelled, [], "label"),
        (regrouped, [], "group"),
        (lambda p: write_models(p, model_frames(models=1)), [], "at least two"),
        (lambda p: write_models(p, model_frames(models=2)), ["--baseline", "X"], "--baseline X"),
        (lambda p: write_models(p, model_frames(models=2)), ["--names", "A", "A"], "twice"),
        (lambda p: write_models(p, model_frames(models=2)), ["--names", "A"], "2 inputs"),
    ],
)
def test_bad_inputs_give_one_line_errors_and_write_nothing(
    tmp_path, capsys, make, options, expected
):
    paths = make(tmp_path / "in")
    out, page = tmp_path / "out" / "c.json", tmp_path / "out" / "c.html"
    code = main(
        [
            "compare",
            *map(str, paths),
            "--json",
            str(out),
            "--report",
            str(page),
            "--bootstrap",
            "20",
            *options,
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert expected in err, err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_mismatch_message_names_the_rows(tmp_path, capsys):
    paths = relabelled(tmp_path)
    assert main(["compare", *map(str, paths), "--bootstrap", "10"]) == 2
    err = capsys.readouterr().err
    lines = [
        str(
            np.flatnonzero(
                __import__("pandas").read_csv(p)["img_path"].to_numpy() == "faces/00003.png"
            )[0]
            + 2
        )
        for p in paths
    ]
    assert f"line {lines[0]}" in err and f"line {lines[1]}" in err and "faces/00003.png" in err
