"""The comparison report: `fairdf report A.csv B.csv --names ...` writes one page with the
comparison tables, trade-off planes, heatmaps and ROC curves; it renders in Chromium."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "compare"))
from helpers_compare import model_frames, write_models  # noqa: E402
from test_report_browser import CHROMIUM, images_loaded  # noqa: E402

from fairdf.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """One comparison page (baseline B) shared by the checks of this module."""
    return write_page(tmp_path_factory.mktemp("comparison"), "--baseline", "B")


def write_page(tmp_path: Path, *extra: str) -> Path:
    paths = write_models(tmp_path / "in", model_frames(n=300, models=3))
    page = tmp_path / "out" / "comparison.html"
    code = main(
        [
            "report",
            *map(str, paths),
            "--names",
            "A",
            "B",
            "C",
            "--bootstrap",
            "40",
            "--out",
            str(page),
            *extra,
        ]
    )
    assert code == 0
    return page


def test_comparison_page_holds_every_part(page):
    text = page.read_text(encoding="utf-8")
    for table in ("compare-overall", "compare-intersectional", "compare-gender", "compare-race"):
        assert f'id="{table}"' in text
    assert "A - B" in text and "C - B" in text and "B - A" not in text
    figures = sorted(p.stem for p in (page.parent / "comparison_files").glob("*.png"))
    assert figures == [
        "heatmap-intersectional",
        "roc-models",
        "tradeoff-f-dp",
        "tradeoff-f-fpr",
        "tradeoff-f-meo",
        "tradeoff-f-oae",
    ]
    assert "Pareto front" in text


def test_comparison_report_errors_write_nothing(tmp_path, capsys):
    paths = write_models(tmp_path / "in", model_frames(n=100, models=2))
    page = tmp_path / "out" / "comparison.html"
    code = main(["report", *map(str, paths), "--names", "A", "A", "--out", str(page)])
    assert code == 2 and "twice" in capsys.readouterr().err
    assert not page.exists() and not (tmp_path / "out" / "comparison_files").exists()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_comparison_page_renders_in_chromium(page, tmp_path):
    assert images_loaded(page, tmp_path / "profile") == (6, 6)


def test_comparison_tables_stay_narrow(page):
    """No table of the page carries more than six metric columns (it fits 1400 px)."""
    import re

    text = page.read_text(encoding="utf-8")
    for table in text.split("<table")[1:]:
        header = table.split("</tr>")[0]
        assert len(re.findall(r"<th[ >]", header)) <= 7
    assert 'id="compare-intersectional-more"' in text
