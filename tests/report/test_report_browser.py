"""The page renders in headless Chromium with every figure loaded.

Skipped when /usr/bin/chromium is absent (install: apt-get install -y chromium). The
page's own inline script writes `data-images-loaded="loaded/total"` on <body> after
window.onload; `--dump-dom` shows it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from helpers_report import epoch_record, make_predictions, write_run, write_synthetic_marker

from fairdf.report import write_report

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install -y chromium)"
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=5000",
)


def images_loaded(page: Path, profile: Path) -> tuple[int, int]:
    """(loaded, total) images of `page` as Chromium reports them after window.onload."""
    command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    match = re.search(r'<body[^>]*data-images-loaded="(\d+)/(\d+)"', dom)
    assert match, f"no data-images-loaded on <body>; page not rendered?\n{dom[:500]}"
    return int(match.group(1)), int(match.group(2))


def test_bare_predictions_csv_renders(tmp_path):
    make_predictions(n=150).to_csv(tmp_path / "predictions.csv", index=False)
    paths = write_report(tmp_path / "predictions.csv", bootstrap=20, by=["age"])
    expected = len(list(paths.figures.glob("*.png")))
    assert images_loaded(paths.html, tmp_path / "profile") == (expected, expected)


def test_demo_layout_renders(tmp_path):
    write_synthetic_marker(tmp_path / "demo" / "data")
    write_run(tmp_path / "demo" / "run", [epoch_record(1), epoch_record(2)])
    make_predictions(n=150).to_csv(tmp_path / "demo" / "predictions.csv", index=False)
    paths = write_report(tmp_path / "demo", bootstrap=20)
    expected = len(list(paths.figures.glob("*.png")))
    assert expected >= 7  # ROC, 3 rate views, histograms, 2 training figures
    assert images_loaded(paths.html, tmp_path / "profile") == (expected, expected)


@pytest.mark.slow
def test_real_demo_run_renders(tmp_path):
    """End to end: `fairdf demo` output (tiny), then the report, then the browser."""
    from fairdf.demo import run_demo

    run_demo(
        tmp_path / "demo",
        n_images=200,
        epochs=1,
        overrides=[
            "model.encoder_channels=256",
            "model.feature_channels=128",
            "model.hidden_dim=256",
        ],
    )
    paths = write_report(tmp_path / "demo", bootstrap=50)
    text = paths.html.read_text(encoding="utf-8")
    assert "placeholders" in text and 'id="training"' in text and 'id="summary"' in text
    expected = len(list(paths.figures.glob("*.png")))
    assert images_loaded(paths.html, tmp_path / "profile") == (expected, expected)
