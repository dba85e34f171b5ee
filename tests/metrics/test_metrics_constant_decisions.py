"""A detector whose decisions are all one class looks perfectly fair (every group's rates
are equal by construction): `metrics`, `report` and `compare` must say so, and the
comparison's Pareto front must leave such a model out."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "compare"))
from helpers_compare import model_frames, write_models  # noqa: E402

from fairdf.cli import main  # noqa: E402
from fairdf.report.compare_figures import pareto_front  # noqa: E402


def _all_fake(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Every score above 0.5 and unrelated to the label (AUC near 0.5)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "img_path": [f"faces/{i:05d}.png" for i in range(n)],
            "label": np.repeat(rng.integers(0, 2, n // 5 + 1), 5)[:n],
            "intersec_label": np.repeat(rng.integers(0, 8, n // 5 + 1), 5)[:n],
            "video": np.arange(n) // 5,
            "score": rng.uniform(0.55, 0.95, n).round(6),
        }
    )


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if "constant" in line]


def test_metrics_says_the_decisions_are_constant(tmp_path, capsys):
    csv, out = tmp_path / "all-fake.csv", tmp_path / "m.json"
    frame = _all_fake()
    frame.to_csv(csv, index=False)
    assert main(["metrics", str(csv), "--json", str(out), "--video-column", "video"]) == 0
    result = json.loads(out.read_text())
    # the trap: every fairness metric of the paper is exactly 0
    assert result["fairness"]["intersectional"]["F_FPR"] == 0.0
    assert result["meta"]["constant_decisions"] == "fake"
    assert result["video"]["meta"]["constant_decisions"] == "fake"
    lines = _warnings(capsys.readouterr().err)
    assert len(lines) == 1 and "fake" in lines[0] and "0.5" in lines[0]
    # an ordinary detector: no warning, null in the JSON
    frame.assign(score=np.where(frame["label"] == 1, 0.7, 0.3)).to_csv(csv, index=False)
    assert main(["metrics", str(csv), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["meta"]["constant_decisions"] is None
    assert not _warnings(capsys.readouterr().err)


def test_the_report_banner_says_it(tmp_path, capsys):
    csv, page = tmp_path / "all-fake.csv", tmp_path / "report.html"
    _all_fake().assign(score=0.2).to_csv(csv, index=False)  # every image called real
    assert main(["report", str(csv), "--out", str(page), "--bootstrap", "0"]) == 0
    html = page.read_text()
    banner = html.split('class="notice"')[1].lower()
    assert "constant decisions" in banner and "real" in banner.split("</div>")[0]
    assert len(_warnings(capsys.readouterr().err)) == 1


def test_compare_marks_the_model_and_the_front_leaves_it_out(tmp_path, capsys):
    frames = model_frames(n=300, models=2)
    constant = frames[0].assign(score=0.9)
    paths = write_models(tmp_path / "in", [*frames, constant])
    out = tmp_path / "compare.json"
    names = ["A", "B", "C"]
    code = main(["compare", *map(str, paths), "--names", *names, "--json", str(out)])
    assert code == 0
    captured = capsys.readouterr()
    assert json.loads(out.read_text())["models"]["C"]["meta"]["constant_decisions"] == "fake"
    rows = [line for line in captured.out.splitlines() if line.startswith("C")]
    assert rows and all("constant" in row for row in rows)
    assert len(_warnings(captured.err)) == 1 and "C" in _warnings(captured.err)[0]
    # C has the lowest unfairness (0) and would be on the front without the exclusion
    assert pareto_front([0.8, 0.9, 0.5], [0.3, 0.2, 0.0], [False, False, True]) == [1]
    page = tmp_path / "comparison.html"
    code = main(["report", *map(str, paths), "--names", *names, "--out", str(page)])
    assert code == 0
    assert "constant decisions" in page.read_text()


def test_a_ratio_of_zeros_names_its_reason():
    from fairdf.metrics import compute_metrics

    frame = _all_fake().assign(score=np.where(np.arange(300) % 2, 0.9, 0.1))
    frame.loc[frame["label"] == 0, "score"] = 0.1  # no false positive anywhere
    result = compute_metrics(frame.drop(columns="video"), "ffpp")
    assert np.isnan(result.fairness["intersectional"]["FPR_ratio"])
    reasons = {
        e["reason"] for e in result.excluded if e["metric"] == "FPR_ratio" and e["group"] is None
    }
    assert reasons == {"every group's FPR is 0: min / max is 0 / 0"}
