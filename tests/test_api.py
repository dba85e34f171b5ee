"""The Python API: one vocabulary with the CLI options, groups from plain columns, what
`dir(fairdf)` shows, and every Python snippet of the README and docs against the API."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate

import fairdf

ROOT = Path(__file__).resolve().parent.parent
SNIPPET = re.compile(r"```python\n(.*?)```", re.S)


def _fairlearn_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    gender = rng.choice(["female", "male", "nonbinary"], n)
    label = rng.integers(0, 2, n)
    shift = np.select([gender == "female", gender == "male"], [0.1, -0.1], 0.0)
    score = np.clip(0.5 + (label - 0.5) * 0.4 + shift + rng.normal(0, 0.2, n), 0, 1)
    return pd.DataFrame({"label": label, "score": score, "gender": gender})


def test_groups_from_plain_columns_match_fairlearn():
    frame = _fairlearn_frame()
    result = fairdf.compute_metrics(frame, attributes=["gender"])
    fairness = result.fairness["intersectional"]
    predicted = (frame["score"] > 0.5).astype(int)
    rates = MetricFrame(
        metrics={"fpr": false_positive_rate, "pr": selection_rate},
        y_true=frame["label"],
        y_pred=predicted,
        sensitive_features=frame["gender"],
    )
    assert fairness["FPR_gap"] == pytest.approx(rates.difference()["fpr"], abs=1e-12)
    overall_fpr = false_positive_rate(frame["label"], predicted)
    expected = (rates.by_group["fpr"] - overall_fpr).abs().sum()
    assert fairness["F_FPR"] == pytest.approx(expected, abs=1e-12)
    assert list(result.groups["intersectional"].index) == ["female", "male", "nonbinary"]
    declared = fairdf.compute_metrics(frame, attributes={"gender": ["male", "female", "nonbinary"]})
    assert declared.fairness["intersectional"]["FPR_gap"] == fairness["FPR_gap"]


def test_cli_option_names_are_the_keywords():
    frame = _fairlearn_frame()
    result = fairdf.compute_metrics(frame, attributes="gender", bootstrap=30, seed=1, ci=0.9)
    assert result.meta["n_bootstrap"] == 30 and result.intervals is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = fairdf.compute_metrics(frame, attributes="gender", n_bootstrap=30, seed=1, ci=0.9)
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    assert old.intervals == result.intervals
    options = inspect.signature(fairdf.MetricOptions).parameters
    accepted = inspect.signature(fairdf.compute_metrics).parameters
    assert set(options) <= set(accepted)


def test_measure_predictions_takes_option_keywords(tmp_path):
    csv = tmp_path / "p.csv"
    _fairlearn_frame().to_csv(csv, index=False)
    options = fairdf.MetricOptions(scheme=None, bootstrap=20)
    with pytest.raises(TypeError, match="unknown metric option 'n_resamples'"):
        fairdf.measure_predictions(csv, options, n_resamples=5)
    from fairdf.data.attributes import declared_scheme

    scheme = declared_scheme(pd.read_csv(csv), ["gender"])
    _, result = fairdf.measure_predictions(csv, scheme=scheme, bootstrap=20, by=["gender"])
    assert result.meta["n_bootstrap"] == 20 and "gender" in result.fairness


def test_dir_shows_the_public_api():
    names = dir(fairdf)
    for name in ("load_detector", "compute_metrics", "measure_predictions", "MetricOptions"):
        assert name in names and callable(getattr(fairdf, name))


def _snippets() -> list[tuple[str, str]]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [
        (f"{path.name}#{index}", code)
        for path in files
        for index, code in enumerate(SNIPPET.findall(path.read_text(encoding="utf-8")))
    ]


class _Names(ast.NodeVisitor):
    """Resolve `import` / `from fairdf... import` names and check each call's keywords."""

    def __init__(self, where: str):
        self.where, self.bound = where, {}

    def visit_Import(self, node):
        for alias in node.names:
            self.bound[alias.asname or alias.name] = importlib.import_module(alias.name)

    def visit_ImportFrom(self, node):
        module = importlib.import_module(node.module)
        for alias in node.names:
            assert hasattr(module, alias.name), f"{self.where}: {node.module}.{alias.name}"
            self.bound[alias.asname or alias.name] = getattr(module, alias.name)

    def _resolve(self, node):
        if isinstance(node, ast.Name):
            return self.bound.get(node.id)
        if isinstance(node, ast.Attribute):
            owner = self._resolve(node.value)
            if inspect.ismodule(owner):
                assert hasattr(owner, node.attr), f"{self.where}: {owner.__name__}.{node.attr}"
                return getattr(owner, node.attr)
        return None

    def visit_Call(self, node):
        target = self._resolve(node.func)
        if callable(target) and target.__module__.startswith("fairdf"):
            parameters = inspect.signature(target).parameters
            open_ended = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
            for keyword in node.keywords:
                if keyword.arg and not open_ended:
                    assert keyword.arg in parameters, f"{self.where}: {keyword.arg}="
        self.generic_visit(node)


@pytest.mark.parametrize(("where", "code"), _snippets(), ids=[w for w, _ in _snippets()])
def test_doc_snippets_use_the_api_as_it_is(where, code):
    _Names(where).visit(ast.parse(code))


def test_the_metrics_snippets_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "results" / "celebdf-test"
    folder.mkdir(parents=True)
    frame = _fairlearn_frame().drop(columns="gender")
    frame["intersec_label"] = (np.arange(len(frame)) // 4) % 8
    frame["age"] = np.where((np.arange(len(frame)) // 4) % 3, "young", "old")
    frame["video"] = np.arange(len(frame)) // 4
    frame["label"] = frame.groupby("video")["label"].transform("first")
    frame.to_csv(folder / "predictions.csv", index=False)
    frame.to_csv(tmp_path / "predictions.csv", index=False)
    ran = 0
    for where, code in _snippets():
        if "measure_predictions" in code and "predictions.csv" in code:
            exec(compile(code, where, "exec"), {})
            ran += 1
    assert ran >= 2  # docs/metrics.md and the README
