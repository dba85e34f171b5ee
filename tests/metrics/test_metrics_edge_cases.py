"""Defined results for awkward data, and one-line errors (exit 2, no output) for bad data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers_metrics import (
    brute_force_fairness,
    read_json,
    sklearn_group_metrics,
    synthetic_predictions,
)

from fairdf.cli import main
from fairdf.errors import DataError
from fairdf.metrics import compute_metrics, format_report, prepare_predictions, read_predictions
from fairdf.metrics.fairness import METRIC_TERMS


def _excluded(result: dict, view: str, group: str | None) -> dict[str, str]:
    return {
        e["metric"]: e["reason"]
        for e in result["excluded"]
        if e["view"] == view and e["group"] == group
    }


def test_groups_with_one_class_are_left_out_and_listed():
    frame = synthetic_predictions(n=800, seed=1)
    group = frame["intersec_label"].to_numpy()
    frame = frame[~((group == 2) & (frame["label"] == 1)) & ~((group == 5) & (frame["label"] == 0))]
    computed = compute_metrics(frame, "ffpp")
    printed = format_report(computed)
    assert (
        "male-black (no fake images): undefined tpr, fnr, auc, eer, ap; left out of F_EO" in printed
    )
    result = computed.to_json_dict()
    groups = result["groups"]["intersectional"]
    assert groups["male-black"]["tpr"] is None and groups["male-black"]["auc"] is None
    assert groups["male-black"]["fpr"] is not None
    assert groups["nonmale-white"]["fpr"] is None and groups["nonmale-white"]["tpr"] is not None
    only_real = _excluded(result, "intersectional", "male-black")
    assert {"tpr", "fnr", "auc", "eer", "ap"} <= set(only_real)
    assert only_real["tpr"] == "no fake images"
    assert {"F_EO", "F_MEO", "AUC_gap", "ErrorRate_gap"} <= set(only_real)
    assert "F_FPR" not in only_real and "F_OAE" not in only_real
    only_fake = _excluded(result, "intersectional", "nonmale-white")
    assert {"fpr", "tnr", "F_FPR", "FPR_gap", "F_EO"} <= set(only_fake)
    # each rate term runs over the groups where that rate is defined (brute force)
    label, score, ids = (
        frame["label"].to_numpy(),
        frame["score"].to_numpy(),
        frame["intersec_label"].to_numpy(),
    )
    overall = sklearn_group_metrics(label, score)
    per_group = {g: sklearn_group_metrics(label[ids == g], score[ids == g]) for g in range(8)}
    with_fpr = [m for m in per_group.values() if m["fpr"] is not None]
    with_tpr = [m for m in per_group.values() if m["tpr"] is not None]
    fairness = result["fairness"]["intersectional"]
    assert fairness["F_FPR"] == pytest.approx(
        sum(abs(m["fpr"] - overall["fpr"]) for m in with_fpr), abs=1e-12
    )
    expected_eo = fairness["F_FPR"] + sum(abs(m["tpr"] - overall["tpr"]) for m in with_tpr)
    assert fairness["F_EO"] == pytest.approx(expected_eo, abs=1e-12)
    both = [m for m in per_group.values() if m["auc"] is not None]
    assert fairness["AUC_gap"] == pytest.approx(
        brute_force_fairness(both, overall)["AUC_gap"], abs=1e-12
    )


def test_absent_group_and_one_image_group():
    frame = synthetic_predictions(n=500, seed=2)
    frame = frame[frame["intersec_label"] != 0]
    single = frame[frame["intersec_label"] == 6].iloc[:1]
    frame = pd.concat([frame[frame["intersec_label"] != 6], single])
    result = compute_metrics(frame, "ffpp").to_json_dict()
    absent = result["groups"]["intersectional"]["male-asian"]
    assert absent["n"] == 0 and all(
        absent[k] is None for k in absent if k not in ("n", "n_real", "n_fake")
    )
    assert _excluded(result, "intersectional", "male-asian") == {"all": "no images"}
    one = result["groups"]["intersectional"]["nonmale-black"]
    assert one["n"] == 1 and one["acc"] in (0.0, 1.0) and one["auc"] is None
    assert result["fairness"]["intersectional"]["F_OAE"] is not None


def test_metric_undefined_with_fewer_than_two_groups():
    frame = synthetic_predictions(n=400, seed=4)
    male = frame["ismale"] == 1
    frame = frame[~(~male & (frame["label"] == 0))]  # every real image is male
    result = compute_metrics(frame, "ffpp").to_json_dict()
    gender = result["fairness"]["gender"]
    assert gender["F_FPR"] is None and gender["FPR_gap"] is None and gender["F_MEO"] is None
    assert gender["F_OAE"] is not None and gender["F_DP"] is not None
    reasons = _excluded(result, "gender", None)
    assert reasons["F_FPR"] == "fewer than 2 groups with a defined FPR"
    assert reasons["ErrorRate_gap"] == "fewer than 2 groups with a defined balanced error rate"


def test_one_class_overall_has_null_auc():
    frame = synthetic_predictions(n=200, seed=6)
    frame = frame[frame["label"] == 1]
    result = compute_metrics(frame, "ffpp").to_json_dict()
    assert result["overall"]["auc"] is None and result["overall"]["fpr"] is None
    assert result["overall"]["tpr"] is not None
    assert _excluded(result, "overall", "all")["auc"] == "no real images"
    # without reals, exactly the metrics built from FPR, TNR, AUC or the error rate are null
    needs_reals = {"fpr", "tnr", "auc", "ber"}
    for key, value in result["fairness"]["race"].items():
        assert (value is None) == bool(needs_reals & set(METRIC_TERMS[key])), key


def test_logits_scheme_detection_and_names(tmp_path):
    frame = synthetic_predictions(n=300, seed=7, scheme="celebdf")
    frame["logit_real"] = 0.3
    frame["logit_fake"] = np.log(frame["score"] / (1 - frame["score"])) + 0.3
    path = tmp_path / "pred.csv"
    frame.drop(columns=["score"]).to_csv(path, index=False)
    table = read_predictions(path)
    assert table.scheme.name == "celebdf"  # no isasian column: 6-group layout
    np.testing.assert_allclose(table.score, frame["score"], atol=1e-12)
    names = frame[["label", "score"]].assign(
        gender=np.where(frame["ismale"] == 1, "Male", "female"),
        race=table.frame["race"].astype(str).str.upper(),
    )
    renamed = prepare_predictions(names, "celebdf")
    np.testing.assert_array_equal(renamed.group, frame["intersec_label"])


def test_in_memory_errors_name_the_row():
    frame = synthetic_predictions(n=20, seed=8)
    frame.loc[3, "score"] = np.nan
    with pytest.raises(DataError, match=r"row 3, column 'score'"):
        compute_metrics(frame, "ffpp")


def _write(tmp_path, frame: pd.DataFrame | None, text: str | None = None):
    path = tmp_path / "pred.csv"
    if text is not None:
        path.write_text(text)
    else:
        frame.to_csv(path, index=False)
    return path


BAD_CELLS = [
    ("score", np.nan, "column 'score'"),
    ("score", 1.5, "not a number in [0, 1]"),
    ("score", "abc", "'abc'"),
    ("label", 2, "column 'label'"),
    ("intersec_label", 9, "not an integer in 0..7"),
    ("iswhite", 1, "disagrees"),
]


@pytest.mark.parametrize(("column", "value", "message"), BAD_CELLS)
def test_bad_values_exit_2_naming_file_line_and_column(tmp_path, capsys, column, value, message):
    frame = synthetic_predictions(n=30, seed=9).astype({column: object})
    frame.loc[4, column] = value
    if column == "iswhite":  # a non-white row marked white as well: two races at once
        frame.loc[4, ["isasian", "isblack"]] = -1
        frame.loc[4, "intersec_label"] = 3 if frame.loc[4, "ismale"] == 1 else 7
    path = _write(tmp_path, frame)
    out = tmp_path / "m.json"
    assert main(["metrics", str(path), "--scheme", "ffpp", "--json", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "Traceback" not in error
    assert "pred.csv" in error and "line 6" in error and message in error
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        ("img_path,label,intersec_label,score\n", "no rows"),
        ("img_path,intersec_label,score\na.png,1,0.5\n", "no 'label' column"),
        ("img_path,label,score\na.png,1,0.5\n", "no group columns"),
        ("label,intersec_label\n1,3\n", "no 'score' column"),
    ],
)
def test_unusable_files_exit_2(tmp_path, capsys, text, message):
    path = _write(tmp_path, None, text)
    assert main(["metrics", str(path), "--scheme", "ffpp"]) == 2
    error = capsys.readouterr().err
    assert message in error and "pred.csv" in error


def test_reference_convention_needs_logit_fake(tmp_path, capsys):
    path = _write(tmp_path, synthetic_predictions(n=30, seed=10))
    assert main(["metrics", str(path), "--reference-convention"]) == 2
    assert "no 'logit_fake' column" in capsys.readouterr().err


def test_bad_options_exit_2(tmp_path, capsys):
    path = _write(tmp_path, synthetic_predictions(n=30, seed=10))
    for options, message in [
        (["--by", "height"], "no column 'height'"),
        (["--cluster-by", "age"], "--bootstrap"),
        (["--threshold", "1.5"], "threshold"),
        (["--scheme", "nope"], "--scheme: invalid choice: 'nope'"),
        (["--json", str(tmp_path)], "is a folder"),
    ]:
        assert main(["metrics", str(path), *options]) == 2, options
        assert message in capsys.readouterr().err


def test_missing_by_values_are_errors(tmp_path, capsys):
    frame = synthetic_predictions(n=30, seed=11)
    frame.loc[7, "age"] = None
    path = _write(tmp_path, frame)
    assert main(["metrics", str(path), "--by", "age"]) == 2
    assert "line 9, column 'age': value is missing" in capsys.readouterr().err


def test_json_has_the_documented_shape(tmp_path):
    path = _write(tmp_path, synthetic_predictions(n=300, seed=12))
    out = tmp_path / "m.json"
    assert main(["metrics", str(path), "--by", "age", "--json", str(out)]) == 0
    result = read_json(out)
    assert set(result) == {"overall", "fairness", "groups", "excluded", "meta", "disparity"}
    assert set(result["overall"]) == {"n", "auc", "acc", "eer", "ap", "fpr", "tpr"}
    assert result["overall"]["n"] == 300 and isinstance(result["overall"]["n"], int)
    assert isinstance(result["groups"]["race"]["white"]["n_real"], int)
    assert set(result["fairness"]) == {"intersectional", "gender", "race", "age"}
    assert set(result["fairness"]["age"]) == {
        "F_FPR",
        "F_EO",
        "F_OAE",
        "F_DP",
        "F_MEO",
        "FPR_gap",
        "AUC_gap",
        "ErrorRate_gap",
        *("PPV_gap", "NPV_gap", "PR_ratio", "FPR_ratio", "TPR_ratio", "F_G"),
        *("ECE_gap", "F_S", "F_A", "F_COV"),
    }
    assert set(result["groups"]["age"]) == {"young", "middle", "old"}
    assert set(result["groups"]["race"]["white"]) == {
        "n",
        "n_real",
        "n_fake",
        "auc",
        "acc",
        "fpr",
        "tpr",
        "tnr",
        "fnr",
        "pr",
        "eer",
        "ap",
        "ppv",
        "npv",
        "ece",
    }
    assert set(result["disparity"]["race"]["groups"]["white"]["pass"]) == {
        "pr",
        "fpr",
        "tpr",
        "fnr",
        "ppv",
        "npv",
    }
    assert result["meta"]["threshold"] == 0.5 and result["meta"]["n_bootstrap"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "pred.csv"]  # no temp left
