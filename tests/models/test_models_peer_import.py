"""`fairdf import-checkpoint`: released checkpoints of DeepfakeBench and AI-Face-FairnessBench.

The oracle is `tests/reference/peers/` (see its README): key layouts of the sources'
detectors, a seeded weight recipe, and the logits the sources' own model code gives on
two test images. Weights are rebuilt here from the layout, saved as the source saves
them, imported, and scored through `fairdf predict` on the image files.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from peer_recipe import PEERS, read_layout, recipe_state

from fairdf.cli import main

VECTORS = json.loads((PEERS / "vectors.json").read_text())
# (source, detector) -> the vectors' model name
CASES = {
    ("deepfakebench", "xception"): "deepfakebench-xception",
    ("aiface", "xception"): "aiface-xception",
    ("aiface", "daw_fdd"): "aiface-xception",  # Ju et al.'s detectors share the network
    ("aiface", "dag_fdd"): "aiface-xception",
    ("deepfakebench", "efficientnetb4"): "deepfakebench-efficientnetb4",
    ("aiface", "efficientnet"): "aiface-efficientnet",
    ("deepfakebench", "ucf"): "deepfakebench-ucf",
    ("aiface", "ucf"): "aiface-ucf",
    ("aiface", "fair_df_detector"): "aiface-fair_df_detector",
}
# what each import drops: modules the source builds but never uses at inference
DROPPED = {
    "deepfakebench-xception": ("7 keys", "backbone.adjust_channel.*"),
    "aiface-xception": ("7 keys", "backbone.adjust_channel.*"),
    "deepfakebench-efficientnetb4": (None, None),
    "aiface-efficientnet": (None, None),
    "deepfakebench-ucf": ("4 keys", "encoder_c.last_linear.*, encoder_f.last_linear.*"),
    "aiface-ucf": ("4 keys", "encoder_c.last_linear.*, encoder_f.last_linear.*"),
    "aiface-fair_df_detector": ("12 keys", "block_fused.conv2d.*, encoder_c.last_linear.*"),
}


def _source_state(model: str) -> dict[str, torch.Tensor]:
    layout = read_layout(PEERS / f"{model}.tsv")
    return {k: torch.from_numpy(v) for k, v in recipe_state(layout).items()}


@pytest.fixture(scope="module")
def images() -> list[str]:
    return [str(PEERS / name) for name in VECTORS["images"]]


def _predict(checkpoint, images, tmp_path) -> pd.DataFrame:
    out = tmp_path / "scores.csv"
    code = main(
        ["predict", *images, "--checkpoint", str(checkpoint), "--no-align", "--out", str(out)]
    )
    assert code == 0
    return pd.read_csv(out)


@pytest.mark.parametrize(("source", "detector"), list(CASES), ids=lambda v: str(v))
def test_imported_logits_equal_the_sources(source, detector, images, tmp_path, capsys):
    model = CASES[(source, detector)]
    state = _source_state(model)
    # DataParallel prefixes and a wrapper, as training scripts save them
    saved = {"state_dict": {f"module.{k}": v for k, v in state.items()}}
    torch.save(saved, tmp_path / "released.pth")
    out = tmp_path / "imported"
    args = ["import-checkpoint", str(tmp_path / "released.pth"), str(out), "--from", source]
    assert main([*args, "--detector", detector]) == 0
    printed = capsys.readouterr().out
    count, modules = DROPPED[model]
    if count is None:
        assert "info: dropped" not in printed
    else:
        assert f"info: dropped {count}" in printed and modules in printed
    info = json.loads((out / "checkpoint.json").read_text())
    meta = info["metadata"]
    assert (meta["source"], meta["detector"]) == (source, detector)
    assert meta["preprocessing"]["input_size"] == VECTORS["image_size"]
    assert meta["preprocessing"]["mean"] == meta["preprocessing"]["std"] == [0.5] * 3
    scores = _predict(out, images, tmp_path)
    expected = np.asarray(VECTORS["logits"][model])
    if expected.shape[1] == 2:
        ours = scores[["logit_real", "logit_fake"]].to_numpy()
        probability = torch.softmax(torch.tensor(expected), dim=1)[:, 1].numpy()
    else:
        ours = scores[["logit_fake"]].to_numpy()
        assert (scores["logit_real"] == 0).all()
        probability = 1 / (1 + np.exp(-expected[:, 0]))
    # 1e-5 relative to the logits' scale (a logit near 0 has no relative precision)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5 * scale)
    np.testing.assert_allclose(scores["score"], probability, rtol=1e-5, atol=0)


def test_a_file_of_another_detector_names_it(tmp_path, capsys):
    torch.save(_source_state("deepfakebench-xception"), tmp_path / "dfb.pth")
    out = tmp_path / "imported"
    code = main(
        [
            "import-checkpoint",
            str(tmp_path / "dfb.pth"),
            str(out),
            "--from",
            "aiface",
            "--detector",
            "xception",
        ]
    )
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "backbone.last_linear.weight: file 2x2048 vs model 1x2048" in err
    assert "fits --from deepfakebench --detector xception" in err


@pytest.mark.parametrize("damage", ["truncated", "code", "missing_key"])
def test_bad_files_give_one_line_and_write_nothing(tmp_path, capsys, damage):
    path = tmp_path / "released.pth"
    state = _source_state("aiface-xception")
    if damage == "missing_key":
        del state["backbone.block3.rep.2.weight"]
        torch.save(state, path)
    else:
        torch.save(state, path)
        if damage == "truncated":
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        else:

            class Payload:
                def __reduce__(self):
                    return (print, ("code ran",))

            path.write_bytes(pickle.dumps({"state_dict": Payload()}))
    out = tmp_path / "imported"
    args = ["import-checkpoint", str(path), str(out), "--from", "aiface", "--detector", "xception"]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert "code ran" not in captured.out
    assert len(captured.err.strip().splitlines()) == 1 and str(path) in captured.err
    assert not out.exists() and list(tmp_path.iterdir()) == [path]
    if damage == "missing_key":
        assert "1 missing keys (backbone.block3.rep.2.weight)" in captured.err


def test_a_full_disk_while_writing_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    import safetensors.torch

    def full(*args, **kwargs):
        raise RuntimeError("[enforce fail at inline_container.cc:672] PytorchStreamWriter failed")

    monkeypatch.setattr(safetensors.torch, "save_file", full)
    torch.save(_source_state("aiface-xception"), tmp_path / "released.pth")
    out = tmp_path / "imported"
    args = ["import-checkpoint", str(tmp_path / "released.pth"), str(out), "--from", "aiface"]
    assert main([*args, "--detector", "xception"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "disk is full" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["released.pth"]
