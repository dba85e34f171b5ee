"""`fairdf export --quantize int8`: a real int8 ONNX file, its accuracy check and its refusals.

The oracles are independent of the code under test: scores come from our own ONNX Runtime
sessions, AUCs from counting ordered (real, fake) pairs, and "int8" from the graph that
ONNX Runtime actually runs.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from fairdf.cli import main
from fairdf.engine.checkpoint import save_checkpoint
from fairdf.errors import FairdfError
from fairdf.inference import quantize as quantize_module
from fairdf.inference.quantize import export_quantized, read_calibration, split_calibration
from fairdf.models.config import DetectorConfig
from fairdf.models.detector import FairDetector

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")

SIZE = 32
TINY = dict(
    encoder="tiny", image_size=SIZE, encoder_channels=64, feature_channels=32, hidden_dim=32
)
N_IMAGES = 48
CALIBRATION = 16


def pair_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Share of (real, fake) pairs in which the fake scores higher; ties count one half."""
    real, fake = scores[labels == 0], scores[labels == 1]
    greater = (fake[:, None] > real[None, :]).sum()
    ties = (fake[:, None] == real[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(real) * len(fake)))


def drawn_image(kind: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth colour gradient (kind 0) or the same with a one-pixel checkerboard (kind 1)."""
    y, x = np.mgrid[0:SIZE, 0:SIZE] / (SIZE - 1)
    base = np.stack([y * rng.uniform(), x * rng.uniform(), (x + y) / 2 * rng.uniform()], -1)
    image = 0.2 + 0.6 * base + rng.normal(0, 0.05, base.shape)
    if kind:
        checker = (np.indices((SIZE, SIZE)).sum(0) % 2)[..., None] * 2 - 1
        image += 0.1 * rng.uniform() * checker
    return np.clip(image * 255, 0, 255).astype(np.uint8)


def to_input(images: list[np.ndarray]) -> np.ndarray:
    """Independent of fairdf's loader: HWC uint8 -> NCHW float32 in [-1, 1] (images are S x S)."""
    return (np.stack(images).transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1).copy()


@pytest.fixture(scope="module")
def calibration(tmp_path_factory):
    """A manifest of 48 drawn images: reals are gradients, fakes carry a faint checkerboard."""
    root = tmp_path_factory.mktemp("calibration")
    rng = np.random.default_rng(0)
    labels = np.arange(N_IMAGES) % 2
    (root / "images").mkdir()
    images = {}
    for index, label in enumerate(labels):
        name = f"images/{index:02d}.png"
        images[name] = drawn_image(label, rng)
        Image.fromarray(images[name]).save(root / name)
    manifest = root / "val.csv"
    pd.DataFrame({"img_path": list(images), "label": labels}).to_csv(manifest, index=False)
    return {"manifest": manifest, "images": images, "labels": labels, "root": root}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, calibration) -> SimpleNamespace:
    """The tiny detector after 8 full-batch steps on the drawn images (AUC about 0.98), so
    that its activations look like a trained model's and a damaged copy loses AUC."""
    torch.manual_seed(0)
    model = FairDetector(DetectorConfig(**TINY))
    scorer = model.inference_module()
    images = torch.from_numpy(to_input(list(calibration["images"].values())))
    labels = torch.from_numpy(calibration["labels"])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # on a busy 2-core machine, 2 threads made this 1 s take 20 s
    try:
        for _ in range(8):
            loss = torch.nn.functional.cross_entropy(scorer(images)[0], labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            for _ in range(10):  # BN running statistics of the final weights
                scorer(images)
    finally:
        torch.set_num_threads(threads)
    folder = tmp_path_factory.mktemp("trained") / "checkpoint"
    save_checkpoint(folder, model, scheme="ffpp")
    return SimpleNamespace(model=model.eval(), folder=folder)


def run_cli(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["export", *map(str, args)])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def quantized(tmp_path_factory, trained, calibration):
    """The command's int8 file and printed lines (calibrating on 16 of the 48 images)."""
    out = tmp_path_factory.mktemp("int8") / "detector.onnx"
    code, printed, err = run_cli(
        trained.folder,
        out,
        "--quantize",
        "int8",
        "--calibration",
        calibration["manifest"],
        "--calibration-images",
        CALIBRATION,
    )
    assert code == 0, err
    return out, printed


def session(path):
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def metadata(path) -> dict:
    return {entry.key: entry.value for entry in onnx.load(str(path)).metadata_props}


def check_rows(calibration) -> tuple[list[str], list[str]]:
    """img_path of the calibration and of the check images (the split's own properties are
    tested below)."""
    split = read_calibration([calibration["manifest"]], CALIBRATION)
    return split.calibration["img_path"].tolist(), split.check["img_path"].tolist()


def test_the_reported_auc_is_the_int8_files_auc_on_the_held_out_images(quantized, calibration):
    out, printed = quantized
    calibration_names, check_names = check_rows(calibration)
    assert len(calibration_names) == CALIBRATION and len(check_names) == N_IMAGES - CALIBRATION
    assert not set(calibration_names) & set(check_names)
    table = pd.read_csv(calibration["manifest"]).set_index("img_path")
    labels = table.loc[check_names, "label"].to_numpy()
    images = to_input([calibration["images"][name] for name in check_names])
    p_int8 = session(out).run(["p_fake"], {"images": images})[0]
    match = re.search(
        r"int8 check on (\d+) images held out from the (\d+) calibration images: AUC "
        r"([\d.]+) float, ([\d.]+) int8, change ([-+][\d.]+) \(allowed drop 0\.005\); "
        r"largest \|p_fake difference\| ([\d.]+)",
        printed,
    )
    assert match, printed
    images_n, calibration_n = int(match[1]), int(match[2])
    auc_float, auc_int8, change, max_dp = map(float, match.groups()[2:])
    assert (images_n, calibration_n) == (N_IMAGES - CALIBRATION, CALIBRATION)
    assert auc_int8 == pytest.approx(pair_auc(labels, p_int8), abs=5e-5)
    assert change == pytest.approx(auc_int8 - auc_float, abs=1e-4)
    assert auc_float > 0.9
    stored = json.loads(metadata(out)["fairdf.quantization"])
    assert stored["check"]["auc_int8"] == pytest.approx(pair_auc(labels, p_int8), abs=1e-9)
    assert stored["check"]["max_abs_dp"] == pytest.approx(max_dp, abs=5e-5)
    assert stored["calibration_images"] == CALIBRATION and stored["check"]["held_out"]


def test_float_and_int8_scores_agree(quantized, trained, calibration):
    out, _ = quantized
    images = to_input(list(calibration["images"].values()))
    logits, p_int8 = session(out).run(None, {"images": images})
    with torch.no_grad():
        expected = trained.model.score(torch.from_numpy(images))
    assert logits.shape == (N_IMAGES, 2) and p_int8.shape == (N_IMAGES,)
    assert np.abs(p_int8 - expected.p_fake.numpy()).max() < 0.05
    assert np.abs(p_int8 - expected.p_fake.numpy()).mean() < 0.01
    # Batch size stays free: one image at a time gives the same scores.
    single = [session(out).run(["p_fake"], {"images": images[i : i + 1]})[0] for i in range(3)]
    np.testing.assert_allclose(np.concatenate(single), p_int8[:3], atol=1e-6)


def test_the_file_is_int8_and_keeps_its_metadata(quantized, tmp_path):
    out, _ = quantized
    model = onnx.load(str(out))
    ops = {node.op_type for node in model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv"} <= ops
    int8 = onnx.TensorProto.INT8
    conv_weights = [t for t in model.graph.initializer if t.data_type == int8 and len(t.dims) == 4]
    assert len(conv_weights) >= 8  # both encoders' trunks
    # What ONNX Runtime runs: its optimised graph computes the convolutions in int8.
    options = onnxruntime.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "optimised.onnx")
    onnxruntime.InferenceSession(str(out), options, providers=["CPUExecutionProvider"])
    optimised = {node.op_type for node in onnx.load(str(tmp_path / "optimised.onnx")).graph.node}
    assert "QLinearConv" in optimised
    # The head stays float: logits and p_fake are computed from float values.
    assert not any(
        node.op_type == "QuantizeLinear" and "fused_head" in node.name for node in model.graph.node
    )
    stored = metadata(out)
    assert stored["fairdf.image_size"] == str(SIZE) and stored["fairdf.encoder"] == "tiny"
    settings = json.loads(stored["fairdf.quantization"])
    assert settings["type"] == "int8" and settings["format"] == "QDQ"
    assert settings["calibration_manifests"][0].endswith("val.csv")


def test_a_damaged_int8_model_is_refused_and_out_is_untouched(
    trained, calibration, tmp_path, monkeypatch
):
    original = quantize_module.quantize_file

    def damaging(source, target, frame, size, work):
        original(source, target, frame, size, work)
        model = onnx.load(str(target))
        rng = np.random.default_rng(0)
        for tensor in model.graph.initializer:
            if tensor.data_type == onnx.TensorProto.INT8 and len(tensor.dims) == 4:
                noise = rng.integers(-127, 128, size=tuple(tensor.dims), dtype=np.int8)
                tensor.CopyFrom(onnx.numpy_helper.from_array(noise, tensor.name))
        onnx.save(model, str(target))

    monkeypatch.setattr(quantize_module, "quantize_file", damaging)
    out = tmp_path / "detector.onnx"
    out.write_bytes(b"the previous export")
    with pytest.raises(FairdfError, match=r"below the float model's .*nothing was written"):
        export_quantized(trained.folder, out, [calibration["manifest"]], calibration_images=16)
    assert out.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["detector.onnx"]


def test_intermediate_files_stay_beside_out_and_are_removed(
    trained, calibration, tmp_path, monkeypatch
):
    """The float model and ONNX Runtime's own temporaries go to a hidden folder beside OUT
    (a user-named place), never to the system's temporary folder, and are gone after."""
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(system_tmp))
    seen = []
    original = quantize_module.quantize_file

    def spying(source, target, frame, size, work):
        seen.append(sorted(p.name for p in work.iterdir()))
        assert work.parent == out.parent and work.name.startswith(".detector.onnx.")
        original(source, target, frame, size, work)

    created = []
    mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(*args, **kwargs):  # ONNX Runtime's TemporaryDirectory uses it
        created.append(Path(mkdtemp(*args, **kwargs)))
        return str(created[-1])

    monkeypatch.setattr(quantize_module, "quantize_file", spying)
    monkeypatch.setattr("tempfile.mkdtemp", recording_mkdtemp)
    out = tmp_path / "out" / "detector.onnx"
    out.parent.mkdir()
    export_quantized(trained.folder, out, [calibration["manifest"]], calibration_images=16)
    assert seen == [["float.onnx"]]
    assert created and all(folder.parent.parent == out.parent for folder in created), created
    assert list(system_tmp.iterdir()) == []
    assert [p.name for p in out.parent.iterdir()] == ["detector.onnx"]


def test_split_is_fixed_disjoint_and_keeps_both_labels():
    frame = pd.DataFrame({"label": [0] * 30 + [1] * 10, "path": [f"{i}.png" for i in range(40)]})
    calibration, check, held_out = split_calibration(frame, 8)
    again = split_calibration(frame, 8)
    assert held_out and calibration.index.tolist() == again[0].index.tolist()
    assert len(calibration) == 8 and len(check) == 32
    assert not set(calibration.index) & set(check.index)
    assert calibration["label"].sum() == 2 and check["label"].sum() == 8  # 1 in 4 fake
    # At most half of the images calibrate, so that the check keeps enough of them.
    calibration, check, _ = split_calibration(frame, 200)
    assert len(calibration) == len(check) == 20
    assert quantize_module.auc(np.zeros(5), np.arange(5.0)) is None  # one class: no AUC
    one = frame.iloc[:1]
    calibration, check, held_out = split_calibration(one, 200)
    assert not held_out and check.index.tolist() == calibration.index.tolist() == [0]


def assert_one_line(err: str, *fragments: str) -> None:
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, err


def test_cli_errors_are_one_line_and_write_nothing(trained, calibration, tmp_path):
    out = tmp_path / "out" / "detector.onnx"
    manifest = calibration["manifest"]
    cases = [
        (("--quantize", "int8", "--format", "torchscript", "--calibration", manifest),
         ("ONNX only",)),
        (("--quantize", "int8"), ("--calibration MANIFEST",)),
        (("--calibration", manifest), ("--calibration", "only with --quantize")),
        (("--quantize", "int8", "--calibration", tmp_path / "nope.csv"), ("nope.csv",)),
        (("--quantize", "int8", "--calibration", manifest, "--calibration-images", "0"),
         ("--calibration-images",)),
        (("--quantize", "int8", "--calibration", manifest, "--max-auc-drop", "-0.1"),
         ("--max-auc-drop",)),
    ]  # fmt: skip
    for args, fragments in cases:
        code, printed, err = run_cli(trained.folder, out, *args)
        assert code == 2 and printed == "", (args, printed)
        assert_one_line(err, *fragments)
    code, printed, err = run_cli(
        trained.folder, tmp_path / "detector.pt", "--quantize", "int8", "--calibration", manifest
    )
    assert code == 2 and printed == ""
    assert_one_line(err, "ONNX only", "name OUT .onnx")
    assert list(tmp_path.iterdir()) == []


def test_a_corrupt_calibration_image_is_named(trained, calibration, tmp_path):
    table = pd.read_csv(calibration["manifest"])
    table["img_path"] = [str(calibration["root"] / name) for name in table["img_path"]]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    table.loc[len(table)] = [str(broken), 1]
    manifest = tmp_path / "with-broken.csv"
    table.to_csv(manifest, index=False)
    out = tmp_path / "detector.onnx"
    code, _, err = run_cli(trained.folder, out, "--quantize", "int8", "--calibration", manifest)
    assert code == 2
    assert_one_line(err, "broken.png", "with-broken.csv")
    assert not out.exists()
