"""Every method trains under the one engine: gradients, CLI train + test, resume."""

import json
from pathlib import Path

import pandas as pd
import pytest
import torch
from safetensors.torch import load_file
from sklearn.metrics import roc_auc_score

from fairdf.cli import main
from fairdf.config import load_config
from fairdf.engine.train import train
from fairdf.errors import CheckpointError, ConfigError
from fairdf.losses import LossConfig
from fairdf.methods import get_method, method_names
from fairdf.models import DetectorConfig

# The tiny encoder at 32 px with narrow adapters and heads: fast on a CPU.
TINY_MODEL = [
    "model.encoder=tiny",
    "model.image_size=32",
    "model.encoder_channels=64",
    "model.feature_channels=32",
    "model.hidden_dim=64",
]
DEMO_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def easy_batch(half: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """B reals then B fakes `(2B, 3, 32, 32)`: fakes carry a faint checkerboard in one channel.

    Learnable in a few steps by any method; groups and methods cycle over their ranges.
    """
    images = torch.rand(2 * half, 3, 32, 32, generator=generator) * 1.6 - 0.8
    checker = (torch.arange(32).view(1, 32) + torch.arange(32).view(32, 1)) % 2 * 2 - 1
    images[half:, 1] += 0.15 * checker
    return {
        "image": images,
        "label": torch.tensor([0] * half + [1] * half),
        "method": torch.tensor([0] * half + [1 + i % 5 for i in range(half)]),
        "group": torch.arange(2 * half) % 8,
    }


@pytest.mark.parametrize("method", method_names())
def test_method_gets_finite_gradients_everywhere_and_learns(method):
    """Every parameter gets a finite gradient; 8 SGD steps beat chance on held-out images."""
    spec = get_method(method)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    config = DetectorConfig(
        method=method,
        encoder="tiny",
        image_size=32,
        encoder_channels=32,
        feature_channels=16,
        hidden_dim=32,
    )
    model = spec.build_model(config).train()
    loss = spec.build_loss(LossConfig(), [5, 9, 3, 4, 6, 2, 8, 1])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    for step in range(8):
        batch = easy_batch(8, generator)
        optimizer.zero_grad()
        loss(model(batch["image"]), batch).total.backward()
        if step == 0:
            for name, parameter in model.named_parameters():
                assert parameter.grad is not None, f"{method}: {name} gets no gradient"
                assert torch.isfinite(parameter.grad).all(), f"{method}: {name}"
        optimizer.step()
    model.eval()
    held_out = easy_batch(32, generator)
    scores = model.score(held_out["image"]).p_fake
    auc = roc_auc_score(held_out["label"].numpy(), scores.numpy())
    assert auc > 0.75, f"{method}: held-out AUC {auc:.3f} after 8 steps"


@pytest.mark.parametrize("method", method_names())
def test_cli_trains_each_method_and_its_best_checkpoint_tests(method, method_data, tmp_path):
    run_dir, out = tmp_path / "run", tmp_path / "test"
    settings = [
        f"model.method={method}",
        f"data.root={method_data.root}",
        *TINY_MODEL,
        "train.epochs=1",
        "train.max_steps_per_epoch=2",
        "train.fairness_warmup_epochs=0",
        "train.batch_size=8",
        "train.progress=false",
        "train.device=cpu",
    ]
    overrides = [part for setting in settings for part in ("--set", setting)]
    assert main(["train", "--config", str(DEMO_CONFIG), *overrides, "--out", str(run_dir)]) == 0
    best = run_dir / "checkpoints" / "best"
    assert json.loads((best / "checkpoint.json").read_text())["method"] == method
    test_manifest = str(Path(method_data.root) / "test.csv")
    command = ["test", "--checkpoint", str(best), "--manifest", test_manifest, "--out", str(out)]
    assert main([*command, "--device", "cpu", "--workers", "0"]) == 0
    predictions = pd.read_csv(out / "test" / "predictions.csv")
    metrics = json.loads((out / "test" / "metrics.json").read_text())
    auc = roc_auc_score(predictions["label"], predictions["score"])
    assert metrics["overall"]["auc"] == pytest.approx(auc)
    assert set(predictions["method_name"]) >= {"real", "smoothing"}  # held-out method tested


def _tiny_run(root: str, *extra: str):
    settings = [
        f"data.root={root}",
        *TINY_MODEL,
        "data.workers=0",
        "train.epochs=2",
        "train.batch_size=8",
        "train.max_steps_per_epoch=4",
        "train.progress=false",
        "train.device=cpu",
        "optim.lr=0.01",
    ]
    return load_config(None, [*settings, *extra])


@pytest.mark.parametrize("method", ["xception", "daw_fdd"])
def test_resume_equals_uninterrupted_run(method, method_data, tmp_path):
    extra = (f"model.method={method}",)
    full = train(_tiny_run(method_data.root, *extra), tmp_path / "full")
    part = train(_tiny_run(method_data.root, *extra, "train.epochs=1"), tmp_path / "part")
    train(_tiny_run(method_data.root, *extra), part, resume=True)
    expected = load_file(full / "checkpoints" / "last" / "model.safetensors")
    resumed = load_file(part / "checkpoints" / "last" / "model.safetensors")
    assert expected.keys() == resumed.keys()
    for key in expected:
        assert torch.equal(expected[key], resumed[key]), key


def test_resuming_with_another_method_is_one_line_error(method_data, tmp_path):
    part = train(
        _tiny_run(method_data.root, "model.method=xception", "train.epochs=1"), tmp_path / "r"
    )
    # the resume rules refuse the changed key before any weights are read
    with pytest.raises(
        ConfigError, match="'model.method'.*'xception', asked for 'dag_fdd'"
    ) as error:
        train(_tiny_run(method_data.root, "model.method=dag_fdd"), part, resume=True)
    assert "\n" not in str(error.value)


def test_checkpoint_of_another_architecture_is_one_line_error(method_data, tmp_path):
    from fairdf.engine.checkpoint import load_checkpoint

    run = train(_tiny_run(method_data.root, "model.method=ucf", "train.epochs=1"), tmp_path / "r")
    info_path = run / "checkpoints" / "best" / "checkpoint.json"
    info = json.loads(info_path.read_text())
    info["detector"]["method"] = "pg_fdd"  # weights of ucf described as the paper's detector
    info_path.write_text(json.dumps(info))
    with pytest.raises(CheckpointError, match="method pg_fdd") as error:
        load_checkpoint(info_path.parent)
    assert "\n" not in str(error.value) and "missing" in str(error.value)


def test_group_free_methods_train_on_manifests_without_demographic_columns(method_data, tmp_path):
    import pandas as pd

    from fairdf.errors import ManifestError

    demographic = ["ismale", "isasian", "iswhite", "isblack", "intersec_label"]
    root = tmp_path / "plain"
    root.mkdir()
    for name in ("realtrain", "faketrain", "realval", "fakeval"):
        frame = pd.read_csv(Path(method_data.root) / f"{name}.csv")
        frame["img_path"] = [str(Path(method_data.root) / p) for p in frame["img_path"]]
        frame.drop(columns=demographic).to_csv(root / f"{name}.csv", index=False)
    run = train(_tiny_run(str(root), "model.method=dag_fdd", "train.epochs=1"), tmp_path / "dag")
    record = json.loads((run / "metrics.jsonl").read_text().splitlines()[0])
    assert 0.0 <= record["val"]["auc"] <= 1.0 and "F_FPR" not in record["val"]
    with pytest.raises(ManifestError, match="missing column"):
        train(_tiny_run(str(root), "model.method=daw_fdd", "train.epochs=1"), tmp_path / "daw")
    assert not (tmp_path / "daw").exists()
