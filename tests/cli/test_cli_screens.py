"""What the console shows: tables within 120 columns (whole with --wide), one unit, the
bootstrap count in the first line of every metrics output, no negative zero."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "compare"))
from helpers_compare import model_frames, write_models  # noqa: E402

from fairdf.cli import main  # noqa: E402

REFERENCE = Path(__file__).resolve().parent.parent / "reference" / "metrics_vector.csv"


def _lines(text: str) -> list[str]:
    return text.splitlines()


@pytest.mark.parametrize("bootstrap", ["0", "30"])
def test_metrics_fits_120_columns_and_states_the_resamples_first(tmp_path, capsys, bootstrap):
    csv = tmp_path / "p.csv"
    shutil.copyfile(REFERENCE, csv)
    args = ["metrics", str(csv), "--reference-convention", "--bootstrap", bootstrap]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in _lines(out)) <= 120
    first = _lines(out)[0]
    assert (f"from {bootstrap} resamples" if bootstrap != "0" else "bootstrap 0") in first
    assert "-0.0" not in out and "F_FPR (sum)" in out and "sums over groups" in out
    assert main([*args, "--wide"]) == 0
    assert max(len(line) for line in _lines(capsys.readouterr().out)) > 120


def test_compare_fits_120_columns_and_states_the_resamples_first(tmp_path, capsys):
    paths = write_models(tmp_path, model_frames(n=300, models=3))
    assert main(["compare", *map(str, paths), "--bootstrap", "40"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in _lines(out)) <= 120
    assert "40 paired bootstrap resamples" in _lines(out)[0]
