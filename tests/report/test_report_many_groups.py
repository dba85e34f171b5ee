"""Issue 26 item 7: a report over 1,000 declared groups finishes in seconds; its figures
and HTML group tables show the largest groups and say where the others are."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from fairdf.bounds import REPORT_GROUPS
from fairdf.cli import main
from fairdf.report import figures

N_GROUPS = 1000


def _predictions(path):
    rng = np.random.default_rng(0)
    sizes = np.repeat([12, 4], [10, N_GROUPS - 10])  # groups v0..v9 are the largest
    site = np.repeat([f"v{i}" for i in range(N_GROUPS)], sizes)
    label = np.tile([0, 1], site.size // 2)
    score = np.clip(0.5 + 0.3 * (label - 0.5) + rng.normal(0, 0.2, site.size), 0, 1)
    pd.DataFrame({"label": label, "score": score.round(4), "site": site}).to_csv(path, index=False)


def test_report_of_1000_groups_caps_figures_and_html_tables(tmp_path, capsys, monkeypatch):
    _predictions(tmp_path / "p.csv")
    drawn = []
    real_png = figures.png_bytes
    monkeypatch.setattr(figures, "png_bytes", lambda f: drawn.append(f) or real_png(f))
    declared = "site=" + ",".join(f"v{i}" for i in range(N_GROUPS))
    started = time.perf_counter()
    argv = ["report", str(tmp_path / "p.csv"), "--attributes", declared, "--bootstrap", "0"]
    assert main([*argv, "--out", str(tmp_path / "r.html")]) == 0
    assert time.perf_counter() - started < 120
    panels = max(len(figure.axes) for figure in drawn)
    assert panels <= REPORT_GROUPS + 2
    page = (tmp_path / "r.html").read_text()
    left_out = N_GROUPS - REPORT_GROUPS
    assert f"{left_out} smaller groups are left out" in page and "r.md" in page
    assert '"text">v9</td>' in page and '"text">v999</td>' not in page
    markdown = (tmp_path / "r.md").read_text()
    assert "| v999 |" in markdown and "| v0 |" in markdown
