"""`fairdf metrics --reference-convention` reproduces the reference metric script's output."""

from __future__ import annotations

import json

import pytest
from helpers_metrics import read_json

from fairdf.cli import main

VIEWS = ("intersectional", "gender", "race")
PERCENT_KEYS = {
    "FPR_gap_pct": "FPR_gap",
    "AUC_gap_pct": "AUC_gap",
    "ErrorRate_gap_pct": "ErrorRate_gap",
    "F_OAE_pct": "F_OAE",
    "F_DP_pct": "F_DP",
    "F_MEO_pct": "F_MEO",
}
SUM_KEYS = {"F_FPR_sum": "F_FPR", "F_EO_sum": "F_EO"}


@pytest.fixture(scope="module")
def reference_run(reference_dir, tmp_path_factory):
    """(expected, our JSON, our printed tables) for metrics_vector.csv."""
    out = tmp_path_factory.mktemp("reference") / "metrics.json"
    csv = reference_dir / "metrics_vector.csv"
    expected = json.loads((reference_dir / "metrics_vector.expected.json").read_text())
    return expected, csv, out


def test_reference_numbers_to_printed_precision(reference_run, capsys):
    expected, csv, out = reference_run
    assert main(["metrics", str(csv), "--reference-convention", "--json", str(out)]) == 0
    ours = read_json(out)
    for key in ("auc", "fpr", "tpr", "acc"):
        assert ours["overall"][key] == pytest.approx(expected["overall"][key], abs=1e-12)
    for view in VIEWS:
        fairness = ours["fairness"][view]
        for key, name in PERCENT_KEYS.items():
            assert round(100 * fairness[name], 3) == expected[view][key], (view, key)
        for key, name in SUM_KEYS.items():
            assert round(fairness[name], 5) == expected[view][key], (view, key)
            unrounded = expected["unrounded"][f"{key}_{view}"]
            assert fairness[name] == pytest.approx(unrounded, abs=1e-12)
    assert ours["excluded"] == []
    assert ours["meta"]["scheme"] == "ffpp"
    assert ours["meta"]["convention"].startswith("score = sigmoid(logit_fake)")
    printed = capsys.readouterr().out
    assert "74.059" in printed and "41.078" in printed  # F_FPR and FPR gap, in percent


def test_reference_file_needs_the_convention_flag(reference_run, tmp_path, capsys):
    _, csv, _ = reference_run
    out = tmp_path / "metrics.json"
    assert main(["metrics", str(csv), "--json", str(out)]) == 2
    error = capsys.readouterr().err
    assert "--reference-convention" in error and "metrics_vector.csv" in error
    assert len(error.strip().splitlines()) == 1
    assert not out.exists()


def test_group_names_and_ids_are_cross_checked(reference_run, tmp_path, capsys):
    _, csv, _ = reference_run
    lines = csv.read_text().splitlines()
    lines[3] = lines[3].replace("0,male,asian", "0,male,white")  # data row 3 = line 4
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(lines) + "\n")
    assert main(["metrics", str(broken), "--reference-convention"]) == 2
    error = capsys.readouterr().err
    assert "line 4" in error and "male-white" in error and "male-asian" in error
