"""`fairdf card` and `fairdf export --format hf`: the model card of a tested checkpoint."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import yaml

from fairdf.cli import main


@pytest.fixture(scope="module")
def tested(tiny_checkpoint, synthetic_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("card") / "results"
    manifest = synthetic_data.manifests["test"]
    args = ["--manifest", str(manifest), "--out", str(out), "--device", "cpu", "--workers", "0"]
    assert main(["test", "--checkpoint", str(tiny_checkpoint), *args]) == 0
    return out


def _front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_card_values_equal_metrics_json_and_every_group_has_its_interval(tested, tmp_path):
    card = tmp_path / "MODEL_CARD.md"
    assert main(["card", str(tested), "--out", str(card)]) == 0
    text = card.read_text()
    header = _front_matter(text)
    assert header["license"] == "TODO" and "TODO" in header["tags"]
    (model,) = header["model-index"]
    (result,) = model["results"]
    metrics = json.loads((tested / "test" / "metrics.json").read_text())
    values = {m["type"]: m["value"] for m in result["metrics"]}
    for key in ("auc", "acc", "eer", "ap"):
        assert values[key] == metrics["overall"][key]
    for key in ("F_FPR", "F_OAE", "F_DP", "F_MEO"):
        assert values[key] == metrics["fairness"]["intersectional"][key]
    for section in ("## Model details", "## Intended use", "## Factors", "## Metrics"):
        assert section in text
    predictions = pd.read_csv(tested / "test" / "predictions.csv")
    groups = metrics["groups"]["intersectional"]
    for group, row in groups.items():
        line = re.search(rf"^\| {re.escape(group)}( \*)? \| (\d+) \|.*$", text, re.M)
        assert line, group
        assert int(line.group(2)) == row["n"]
        if row["n_real"] and row["n_fake"]:
            assert "[" in line.group(0)  # its intervals
    assert len(predictions) == metrics["overall"]["n"]


def test_hf_folder_loads_and_scores_like_the_checkpoint(
    tiny_checkpoint, tested, tmp_path, synthetic_data
):
    import fairdf

    out = tmp_path / "hf"
    args = ["export", str(tiny_checkpoint), str(out), "--format", "hf", "--card", str(tested)]
    assert main(args) == 0
    assert {p.name for p in out.iterdir()} == {
        "model.safetensors",
        "checkpoint.json",
        "config.json",
        "README.md",
    }
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"] == {"0": "real", "1": "fake"}
    assert config["preprocessing"]["input_size"] == 32
    images = [str(p) for p in sorted((synthetic_data.root / "images").rglob("*.png"))[:4]]
    ours = fairdf.load_detector(out, device="cpu").predict(images, align=False)
    original = fairdf.load_detector(tiny_checkpoint, device="cpu").predict(images, align=False)
    assert list(ours["score"]) == list(original["score"])


def test_card_of_a_folder_without_tests_is_one_line(tmp_path, capsys):
    assert main(["card", str(tmp_path), "--out", str(tmp_path / "card.md")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "metrics.json" in err
    assert not (tmp_path / "card.md").exists()
