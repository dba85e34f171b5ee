"""ONNX and TorchScript exports match the original PyTorch model on random inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from fairdf.errors import FairdfError
from fairdf.inference import export as export_module
from fairdf.inference.export import export_checkpoint

SIZE = 32
TOLERANCE = 1e-4


def random_batch(batch: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(batch, 3, SIZE, SIZE, generator=generator) * 2 - 1


def assert_matches_original(model, outputs, images) -> None:
    expected = model.score(images)
    logits, p_fake = (np.asarray(o, dtype=np.float64) for o in outputs)
    assert logits.shape == (len(images), 2) and p_fake.shape == (len(images),)
    assert np.abs(logits - expected.logits.double().numpy()).max() <= TOLERANCE
    assert np.abs(p_fake - expected.p_fake.double().numpy()).max() <= TOLERANCE


def test_onnx_matches_pytorch_with_a_dynamic_batch(saved_model, tmp_path):
    onnx = pytest.importorskip("onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    out = tmp_path / "detector.onnx"
    result = export_checkpoint(saved_model.folder, out)
    assert result.format == "onnx" and 0 <= result.max_abs_diff <= TOLERANCE
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for batch in (1, 7):
        images = random_batch(batch, seed=100 + batch)
        outputs = session.run(None, {"images": images.numpy()})
        assert_matches_original(saved_model.model, outputs, images)
    model = onnx.load(str(out))
    assert [o.name for o in model.graph.output] == ["logits", "p_fake"]
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param and [d.dim_value for d in dims[1:]] == [3, SIZE, SIZE]
    metadata = {entry.key: entry.value for entry in model.metadata_props}
    assert metadata["fairdf.image_size"] == str(SIZE) and metadata["fairdf.encoder"] == "tiny"
    # Only the scoring branches: no decoder or content encoder weights in the graph.
    names = {initializer.name for initializer in model.graph.initializer}
    assert not any("decoder" in n or "content_encoder" in n for n in names)


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
def test_torchscript_matches_pytorch(saved_model, tmp_path):
    out = tmp_path / "detector.bin"
    result = export_checkpoint(saved_model.folder, out, "torchscript")
    assert result.format == "torchscript" and result.max_abs_diff <= TOLERANCE
    extra = {"fairdf.json": ""}
    loaded = torch.jit.load(str(out), _extra_files=extra)
    assert json.loads(extra["fairdf.json"])["image_size"] == SIZE
    parameter_names = [name for name, _ in loaded.named_parameters()]
    assert not any("decoder" in n or "content_encoder" in n for n in parameter_names)
    for batch in (1, 6):
        images = random_batch(batch, seed=200 + batch)
        with torch.no_grad():
            outputs = [o.numpy() for o in loaded(images)]
        assert_matches_original(saved_model.model, outputs, images)


def test_export_that_differs_is_refused_and_leaves_nothing(saved_model, tmp_path, monkeypatch):
    original = export_module.RUNNERS["torchscript"]

    def drifting(path):
        run = original(path)
        return lambda images: [output + 1e-3 for output in run(images)]

    monkeypatch.setitem(export_module.RUNNERS, "torchscript", drifting)
    out = tmp_path / "detector.pt"
    with pytest.raises(FairdfError, match=r"differs from PyTorch by 0\.001 \(> 0\.0001\)"):
        export_checkpoint(saved_model.folder, out)
    assert list(tmp_path.iterdir()) == []
