"""Issue 13 validation: numeric bounds, best_metric, YAML aliases, encodings, checkpoints."""

from __future__ import annotations

import json
import math
import time

import pytest
from helpers_reliability import assert_one_line_error, run_cli

from fairdf.bounds import BOUNDS
from fairdf.config import BEST_METRICS, load_config
from fairdf.errors import CheckpointError, ConfigError

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
)  # 10**9 leaves once expanded


def _outside(bound) -> list[float]:
    """Values just outside each end of `bound` (and the ends themselves when open)."""
    values = [bound.low if bound.open_low else bound.low - 1]
    values.append(bound.high if bound.open_high else bound.high * 2 + 1)
    return values


@pytest.mark.parametrize("key", sorted(BOUNDS))
def test_every_bounded_key_refuses_values_outside_and_non_finite(key):
    bound = BOUNDS[key]
    integer = key.split(".")[1] in {
        "workers", "max_image_pixels", "n_groups", "n_methods", "encoder_channels",
        "feature_channels", "hidden_dim", "image_size", "step_size", "epochs", "batch_size",
        "eval_batch_size", "seed", "max_steps_per_epoch", "fairness_warmup_epochs",
    }  # fmt: skip
    bad = [int(v) for v in _outside(bound)] if integer else [*_outside(bound), ".nan", ".inf"]
    for value in bad:
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_config(None, [f"{key}={value}"])


@pytest.mark.parametrize(
    "override",
    ["optim.lr=.nan", "optim.lr=.inf", "optim.rho=.nan", "optim.rho=-.inf", "optim.gamma=.nan",
     "optim.momentum=-0.1", "optim.momentum=1", "optim.weight_decay=-1e-4", "optim.rho=0",
     "model.image_size=20000", "loss.fuse_weight=.nan", "train.epochs=99999999999999999999999"],
)  # fmt: skip
def test_issue13_non_finite_or_out_of_range_config_values(override):
    key = override.split("=")[0]
    with pytest.raises(ConfigError, match=key):
        load_config(None, [override])


def test_in_range_values_are_accepted():
    config = load_config(None, ["optim.momentum=0", "optim.gamma=1", "model.image_size=1024"])
    assert (config.optim.momentum, config.optim.gamma, config.model.image_size) == (0, 1, 1024)


def test_issue13_unknown_best_metric_lists_the_valid_names():
    with pytest.raises(ConfigError, match="valid names: auc, acc"):
        load_config(None, ["train.best_metric=F_XYZ"])


def test_best_metrics_are_the_keys_validation_reports():
    """Oracle: the flat dict the training loop builds from compute_metrics."""
    import numpy as np
    import pandas as pd

    from fairdf.metrics import compute_metrics, prepare_predictions

    rng = np.random.default_rng(0)
    n = 64
    frame = pd.DataFrame({
        "label": np.arange(n) % 2, "score": rng.uniform(size=n), "intersec_label": np.arange(n) % 8,
    })  # fmt: skip
    result = compute_metrics(prepare_predictions(frame, "ffpp")).to_json_dict()
    keys = set(result["overall"]) | set(result["fairness"]["intersectional"])
    assert set(BEST_METRICS) == keys - {"n"}


def test_issue13_alias_bomb_is_refused_fast_in_a_config_file(tmp_path, capsys):
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB)
    started = time.perf_counter()
    status, _, err = run_cli(capsys, "train", "--config", path, "--out", tmp_path / "run")
    assert time.perf_counter() - started < 10
    assert status == 2
    assert_one_line_error(err, "bomb.yaml", "alias")
    assert len(err) < 400 and not (tmp_path / "run").exists()


def test_issue13_alias_in_set_value_is_refused():
    with pytest.raises(ConfigError, match="alias"):
        load_config(None, ["data.group_counts=[&a 1, *a, *a, *a, *a, *a, *a, *a]"])


def test_issue13_alias_in_a_run_config_read_by_report(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(ALIAS_BOMB)
    (run / "metrics.jsonl").write_text(
        json.dumps({"epoch": 1, "train": {"total": 1.0}, "val": {"auc": 0.5}}) + "\n"
    )
    status, _, err = run_cli(capsys, "report", run, "--bootstrap", "0")
    assert status == 2
    assert_one_line_error(err, "config.yaml", "alias")


def test_issue13_config_with_a_non_utf8_byte(tmp_path, capsys):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"train:\n  epochs: 3 # caf\xe9\n")
    status, _, err = run_cli(capsys, "train", "--config", path, "--out", tmp_path / "run")
    assert status == 2
    assert_one_line_error(err, "latin.yaml", "UTF-8")


def _checkpoint(tmp_path, **detector):
    from fairdf.engine.checkpoint import FORMAT, INFO_FILE, VERSION

    folder = tmp_path / "ckpt"
    folder.mkdir(exist_ok=True)
    info = {"format": FORMAT, "version": VERSION, "scheme": "ffpp", "detector": detector}
    (folder / INFO_FILE).write_text(json.dumps(info))
    return folder


@pytest.mark.parametrize(
    "detector",
    [{"image_size": 30000}, {"image_size": 8}, {"head_dropout": math.nan},
     {"hidden_dim": "512"}, {"n_groups": 10**30}, {"encoder": "nope"}],
)  # fmt: skip
def test_issue13_untrusted_checkpoint_json_is_validated_like_a_config(tmp_path, detector):
    from fairdf.engine.checkpoint import read_checkpoint_info

    with pytest.raises(CheckpointError, match="checkpoint.json"):
        read_checkpoint_info(_checkpoint(tmp_path, **{"encoder": "tiny", **detector}))


def test_issue13_checkpoint_json_via_the_cli(tmp_path, capsys):
    folder = _checkpoint(tmp_path, encoder="tiny", image_size=30000)
    status, _, err = run_cli(capsys, "export", folder, tmp_path / "m.pt")
    assert status == 2
    assert_one_line_error(err, "checkpoint.json", "model.image_size")


def test_issue13_malicious_training_state_is_one_line(tmp_path, monkeypatch):
    import os
    from types import SimpleNamespace

    import torch
    from safetensors.torch import save_file

    from fairdf.engine import training_state

    last = training_state.checkpoint_dir(tmp_path, "last")
    last.mkdir(parents=True)
    model = torch.nn.Linear(2, 2)
    save_file(model.state_dict(), str(last / "model.safetensors"))

    class Payload:
        def __reduce__(self):
            return (os.system, ("echo owned > " + str(tmp_path / "owned"),))

    config = SimpleNamespace(model=SimpleNamespace(method="pg_fdd"))
    trainer = SimpleNamespace(model=model, optimizer=None, scheduler=None, config=config)
    # the folder passes as complete, so the state file itself is what gets read
    monkeypatch.setattr(training_state.layout, "folder_epoch", lambda *args: 1)
    monkeypatch.setattr(training_state, "_check_method", lambda *args: None)
    for state in (Payload(), {"epoch": "3", "optimizer": {}, "scheduler": {}}, [1, 2]):
        torch.save(state, last / training_state.STATE_FILE)
        with pytest.raises(CheckpointError, match="cannot resume from"):
            training_state.load(tmp_path, trainer)
    (last / training_state.STATE_FILE).write_bytes(b"\x80\x02garbage")
    with pytest.raises(CheckpointError, match="training_state.pt"):
        training_state.load(tmp_path, trainer)
    assert not (tmp_path / "owned").exists()


def test_check_state_accepts_a_real_state():
    from fairdf.engine.training_state import check_state

    assert check_state({"epoch": 2, "best": 0.5, "optimizer": {}, "scheduler": {}}) == (2, 0.5)
    for best in (math.nan, math.inf, "x", True):
        with pytest.raises(CheckpointError):
            check_state({"epoch": 2, "best": best, "optimizer": {}, "scheduler": {}})


def test_docs_list_every_bound():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text()
    for key, bound in BOUNDS.items():
        assert f"| `{key}` | {bound.describe()} |" in page, key
    for name in BEST_METRICS:
        assert f"`{name}`" in page
