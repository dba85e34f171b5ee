"""The method registry: names, errors, and what each method builds and scores with."""

import pytest
import torch

from fairdf.cli import main
from fairdf.errors import UnknownNameError
from fairdf.methods import METHODS, build_model, get_method, method_names
from fairdf.models import DetectorConfig

BASELINES = {"pg_fdd", "xception", "daw_fdd", "dag_fdd", "ucf"}


def tiny(method: str) -> DetectorConfig:
    return DetectorConfig(
        method=method,
        encoder="tiny",
        image_size=32,
        encoder_channels=32,
        feature_channels=16,
        hidden_dim=32,
    )


def test_registry_holds_every_method_and_defaults_to_the_paper():
    assert set(method_names()) >= BASELINES
    assert DetectorConfig().method == "pg_fdd"


def test_unknown_method_lists_the_valid_ones(tmp_path, capsys):
    with pytest.raises(UnknownNameError) as error:
        get_method("resnet")
    assert all(name in str(error.value) for name in METHODS)
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  method: daw\n")
    assert main(["train", "--config", str(config), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown method 'daw'" in err and "dag_fdd" in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("method", method_names())
def test_inference_module_is_a_strict_subset_for_branching_methods(method):
    model = build_model(tiny(method)).eval()
    full, scoring = model.state_dict(), model.inference_module().state_dict()
    assert scoring.keys() <= full.keys()
    images = torch.rand(3, 3, 32, 32) * 2 - 1
    output = model.score(images)
    assert output.logits.shape == (3, 2)
    expected = torch.softmax(output.logits.double(), dim=1)[:, 1]
    assert torch.allclose(output.p_fake.double(), expected, atol=1e-6)
    if method in ("xception", "daw_fdd", "dag_fdd"):
        assert scoring.keys() == full.keys()  # the whole baseline is its scoring branch
    else:  # the content encoder, the decoder and the other heads never run at inference
        unused = {key.split(".")[0] for key in full.keys() - scoring.keys()}
        assert {"content_encoder", "decoder", "specific_head"} <= unused


@pytest.mark.parametrize("method", ["ucf", "pg_fdd_no_demographic"])
def test_branches_without_demographics_hold_no_demographic_modules(method):
    names = {key.split(".")[0] for key in build_model(tiny(method)).state_dict()}
    assert not {n for n in names if "demographic" in n or "fused" in n}


@pytest.mark.parametrize("method", ["xception", "ucf"])
def test_load_detector_and_export_use_the_scoring_branch(method, tmp_path):
    import numpy as np

    import fairdf
    from fairdf.engine.checkpoint import save_checkpoint
    from fairdf.inference.export import export_checkpoint

    torch.manual_seed(0)
    model = build_model(tiny(method)).eval()
    save_checkpoint(tmp_path / "ckpt", model, scheme="ffpp")
    detector = fairdf.load_detector(tmp_path / "ckpt", device="cpu")
    assert type(detector.model) is type(model.inference_module())
    pixels = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    row = detector.predict(pixels, align=False).iloc[0]
    crop = detector.crop(pixels, align=False).pixels.unsqueeze(0)
    assert row["score"] == pytest.approx(float(model.score(crop).p_fake[0]), abs=1e-6)
    for suffix in (".onnx", ".pt"):
        result = export_checkpoint(tmp_path / "ckpt", tmp_path / f"model{suffix}")
        assert result.max_abs_diff <= 1e-4 and result.path.is_file()
