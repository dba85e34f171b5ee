"""int8 quantization of the exported ONNX scoring model (`fairdf export --quantize int8`).

The float ONNX export (checked against PyTorch, see `fairdf.inference.export`) is
preprocessed as ONNX Runtime recommends (`quant_pre_process`: shape inference and graph
optimisation) and quantized statically with ONNX Runtime: activation ranges come from
calibration images read from manifests through fairdf's own image loading (RGB, resized
to the checkpoint's size, scaled to [-1, 1]), so no range is estimated at run time.

Only the convolutional trunks are quantized (Conv and the ReLU / LeakyReLU / Add /
MaxPool between convolutions, reached from the input through such nodes only). The
AdaIN statistics, the pooled MLP head and the softmax stay in float: they cost nothing
next to the convolutions, and an int8 `logits` output would give `p_fake` a few hundred
distinct values, i.e. ties that change the AUC.

Before OUT is written, the float and the int8 model score a held-out part of the
calibration manifests' images (those not used for calibration, when there are any): the
AUC of each, its change and the largest |p_fake difference| are reported and stored in
the file's metadata (`fairdf.quantization`). The int8 file replaces OUT only when the
AUC drops by at most `max_auc_drop` (0.005).
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fairdf.errors import ConfigError, FairdfError
from fairdf.inference.export import (
    INPUT_NAME,
    TOLERANCE,
    ExportResult,
    export_checkpoint,
    format_for,
)
from fairdf.io import atomic_path, scratch_folder

QUANTIZE_TYPES = ("int8",)
CALIBRATION_IMAGES = 200  # default number of calibration images
MAX_CHECK_IMAGES = 1000  # held-out images scored by the accuracy check, at most
MAX_AUC_DROP = 0.005
SPLIT_SEED = 0
# Images per calibration run (4 at 256 px): the memory of ONNX Runtime's calibration run
# grows with the batch (an Xception at 256 px peaked at 6.1 GiB at batch 16, 3.8 at 4).
CALIBRATION_PIXELS = 4 * 256 * 256
CHECK_BATCH = 16

# Settings measured on the development machine (AMD EPYC, AVX2 + FMA, no AVX-512 / VNNI),
# one thread, ONNX Runtime 1.32, CPU time per image of the demo model (tiny32, 64 px) and
# of a random Xception at 256 px; docs/faq.md has the resulting speed table.
# - QDQ: ONNX Runtime fuses DequantizeLinear -> Conv (-> Relu) -> QuantizeLinear into its
#   int8 kernels. QOperator was no faster with uint8 activations, and 3-9x slower than
#   fp32 with int8 activations.
# - The ReLUs, Adds and MaxPools between convolutions are quantized too: with Conv alone
#   every ReLU runs in float between a Dequantize and a Quantize, and the demo model was
#   slower in int8 (2.4 ms/image) than in fp32 (1.9 ms) instead of faster (1.3 ms).
# - uint8 activations, int8 weights: AVX2's int8 kernels multiply u8 by s8; with int8
#   activations the Xception was 20-30% slower (about 250 vs 196 ms/image at batch 16).
# - per-channel weights with `reduce_range` (7-bit weights): without it, per-channel
#   weights saturate the 16-bit sums of AVX2's u8 x s8 instruction (the demo model's
#   p_fake moved by up to 0.30); with it the demo moved by at most 0.015, the smallest of
#   all settings, at the speed of per-tensor weights (differences within the noise).
# - MinMax calibration: the ranges that cover every calibration image.
SETTINGS = {
    "format": "QDQ",
    "activations": "uint8",
    "weights": "int8",
    "per_channel": True,
    "reduce_range": True,
    "calibration": "MinMax",
    "op_types": ["Conv", "Relu", "LeakyRelu", "Add", "MaxPool"],
}


@dataclass
class CalibrationSplit:
    """Rows (of the concatenated manifests) for calibration and for the accuracy check."""

    calibration: pd.DataFrame
    check: pd.DataFrame
    held_out: bool  # whether the check rows are disjoint from the calibration rows
    manifests: list[Path]


@dataclass
class QuantizationCheck:
    """Float vs int8 scores on the check images."""

    images: int
    held_out: bool
    auc_float: float | None  # None when the check images are all of one class
    auc_int8: float | None
    max_abs_dp: float
    max_auc_drop: float

    @property
    def auc_change(self) -> float | None:
        if self.auc_float is None or self.auc_int8 is None:
            return None
        return self.auc_int8 - self.auc_float

    def as_dict(self) -> dict:
        return {**asdict(self), "auc_change": self.auc_change}


@dataclass
class QuantizedExport:
    path: Path
    float_export: ExportResult  # the float model's check against PyTorch
    calibration_images: int
    check: QuantizationCheck
    settings: dict = field(default_factory=lambda: dict(SETTINGS))


def interleaved_order(labels: np.ndarray, seed: int = SPLIT_SEED) -> np.ndarray:
    """A seeded shuffle of the rows in which each label keeps its share in every prefix.

    Each label's rows are shuffled and spread evenly over [0, 1]; sorting by that position
    interleaves the labels, so the first N rows (calibration) and the rest (check) both
    hold reals and fakes in the manifests' proportion.
    """
    rng = np.random.default_rng(seed)
    position = np.empty(len(labels))
    for value in np.unique(labels):
        rows = np.flatnonzero(labels == value)
        position[rng.permutation(rows)] = (np.arange(len(rows)) + 0.5) / len(rows)
    return np.lexsort((labels, position))


def split_calibration(
    frame: pd.DataFrame, n_images: int, seed: int = SPLIT_SEED
) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """(calibration rows, check rows, held_out).

    Calibration takes at most `n_images` rows and at most half of them, so that the check
    keeps enough images for its AUC to resolve a change of a few thousandths (with 20
    reals and 20 fakes one swapped pair moves it by 0.0025); the check takes up to
    MAX_CHECK_IMAGES of the others. A single row is both (held_out False).
    """
    order = interleaved_order(frame["label"].to_numpy(), seed)
    count = min(n_images, max(1, len(order) // 2))
    calibration = frame.iloc[order[:count]]
    rest = order[count : count + MAX_CHECK_IMAGES]
    if len(rest) == 0:
        return calibration, calibration, False
    return calibration, frame.iloc[np.sort(rest)], True


def read_calibration(
    manifests: Sequence[str | Path], n_images: int = CALIBRATION_IMAGES
) -> CalibrationSplit:
    """Read the calibration manifests (any labels; demographic columns are not needed),
    check that the chosen images decode, and split them (`split_calibration`)."""
    from fairdf.data.manifest import read_manifest
    from fairdf.data.transforms import verify_image
    from fairdf.errors import ImageError

    if not manifests:
        raise ConfigError("--quantize int8 needs calibration images: pass --calibration MANIFEST")
    if not n_images >= 1:
        raise ConfigError(f"--calibration-images must be 1 or more, got {n_images}")
    frames = []
    for path in manifests:
        manifest = read_manifest(path, role="test", groups=False)
        frames.append(manifest.frame.assign(_manifest=str(manifest.source)))
    frame = pd.concat(frames, ignore_index=True)
    if len(frame) == 0:
        raise ConfigError(f"--calibration: {', '.join(map(str, manifests))} lists no images")
    calibration, check, held_out = split_calibration(frame, n_images)
    chosen = pd.concat([calibration, check]).drop_duplicates("path")
    for path, source in zip(chosen["path"], chosen["_manifest"], strict=True):
        reason = verify_image(path)
        if reason is not None:
            raise ImageError(
                f"{source}: calibration image {path} cannot be read ({reason}); "
                "replace or remove it"
            )
    sources = [Path(str(source)) for source in dict.fromkeys(frame["_manifest"])]
    return CalibrationSplit(calibration, check, held_out, sources)


def image_batches(frame: pd.DataFrame, size: int, batch: int) -> Iterator[np.ndarray]:
    """The rows' images as `(B, 3, size, size)` float32 arrays, preprocessed as for scoring."""
    import torch

    from fairdf.data.datasets import ImageDataset

    dataset = ImageDataset(frame, size)
    for start in range(0, len(dataset), batch):
        items = [dataset[index] for index in range(start, min(start + batch, len(dataset)))]
        yield torch.stack([item["image"] for item in items]).numpy()


def calibration_batch(size: int) -> int:
    return max(1, min(CHECK_BATCH, CALIBRATION_PIXELS // (size * size)))


def trunk_nodes(model, op_types: Sequence[str]) -> list[str]:
    """Names of the nodes of `op_types` whose every input is the graph input, a weight or
    an output of such a node: the convolutional trunks, without the pooled head."""
    weights = {initializer.name for initializer in model.graph.initializer}
    trunk = {model.graph.input[0].name}
    names = []
    for node in model.graph.node:  # ONNX graphs are stored in topological order
        data = [name for name in node.input if name and name not in weights]
        if node.op_type in op_types and data and all(name in trunk for name in data):
            names.append(node.name)
            trunk.update(node.output)
    return names


def _reader(frame: pd.DataFrame, size: int):
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._batches = image_batches(frame, size, calibration_batch(size))

        def get_next(self) -> dict | None:
            images = next(self._batches, None)
            return None if images is None else {INPUT_NAME: images}

    return Reader()


def quantize_file(
    source: Path, target: Path, calibration: pd.DataFrame, size: int, work: Path
) -> None:
    """Quantize the float ONNX file `source` into `target` with SETTINGS (module docstring).

    `work` is an existing folder for the intermediate model.
    """
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    types = {"int8": QuantType.QInt8, "uint8": QuantType.QUInt8}
    prepared = work / "prepared.onnx"
    with _quiet_onnxruntime(), _temporary_files_in(work):
        quant_pre_process(str(source), str(prepared))
        nodes = trunk_nodes(onnx.load(str(prepared)), SETTINGS["op_types"])
        if not nodes:
            raise FairdfError(
                "the exported model has no convolution that takes the input images "
                "directly, so fairdf cannot quantize it; export it without --quantize"
            )
        quantize_static(
            str(prepared),
            str(target),
            _reader(calibration, size),
            quant_format=getattr(QuantFormat, SETTINGS["format"]),
            per_channel=SETTINGS["per_channel"],
            reduce_range=SETTINGS["reduce_range"],
            activation_type=types[SETTINGS["activations"]],
            weight_type=types[SETTINGS["weights"]],
            nodes_to_quantize=nodes,
            op_types_to_quantize=SETTINGS["op_types"],
            calibrate_method=getattr(CalibrationMethod, SETTINGS["calibration"]),
        )


@contextlib.contextmanager
def _temporary_files_in(folder: Path) -> Iterator[None]:
    """Send ONNX Runtime's own temporary files (`tempfile`) into `folder`, not /tmp."""
    saved = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield
    finally:
        tempfile.tempdir = saved


@contextlib.contextmanager
def _quiet_onnxruntime() -> Iterator[None]:
    """Silence the quantizer's advice on the root logger (it is not addressed to users)."""
    level = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(level)


def _session(path: Path):
    import onnxruntime

    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def compare_scores(
    float_path: Path, int8_path: Path, frame: pd.DataFrame, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """p_fake of the float and the int8 model on the rows' images."""
    float_session, int8_session = _session(float_path), _session(int8_path)
    scores = {"float": [], "int8": []}
    for images in image_batches(frame, size, CHECK_BATCH):
        for name, session in (("float", float_session), ("int8", int8_session)):
            scores[name].append(session.run(["p_fake"], {INPUT_NAME: images})[0])
    return np.concatenate(scores["float"]), np.concatenate(scores["int8"])


def auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """ROC AUC, or None when only one class is present."""
    from sklearn.metrics import roc_auc_score

    if len(np.unique(labels)) < 2:
        return None
    return float(roc_auc_score(labels, scores))


def _add_metadata(path: Path, float_path: Path, quantization: dict) -> None:
    import onnx

    model = onnx.load(str(path))
    source = {entry.key: entry.value for entry in onnx.load(str(float_path)).metadata_props}
    kept = [e for e in model.metadata_props if not e.key.startswith("fairdf.")]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    source["fairdf.quantization"] = json.dumps(quantization, sort_keys=True)
    for key, value in source.items():
        if key.startswith("fairdf."):
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
    onnx.save(model, str(path))


def export_quantized(
    checkpoint: str | Path,
    out: str | Path,
    calibration: Sequence[str | Path],
    *,
    format: str | None = None,
    calibration_images: int = CALIBRATION_IMAGES,
    max_auc_drop: float = MAX_AUC_DROP,
    tolerance: float = TOLERANCE,
    seed: int = 0,
) -> QuantizedExport:
    """Export a checkpoint's scoring branches to an int8 ONNX file (module docstring).

    Raises FairdfError, leaving `out` as it was, when the float export differs from
    PyTorch, an image cannot be read, or the int8 model's AUC on the check images is
    more than `max_auc_drop` below the float model's.
    """
    if format_for(out, format) != "onnx":
        raise ConfigError(
            "--quantize int8 writes ONNX only, not TorchScript; name OUT .onnx (and drop "
            "--format torchscript)"
        )
    if not max_auc_drop >= 0:
        raise ConfigError(f"--max-auc-drop must be 0 or more, got {max_auc_drop}")
    split = read_calibration(calibration, calibration_images)
    out = Path(out)
    with scratch_folder(out) as folder:
        float_path = folder / "float.onnx"
        float_export = export_checkpoint(
            checkpoint,
            float_path,
            "onnx",
            tolerance=tolerance,
            seed=seed,
        )
        size = _image_size(float_path)
        with atomic_path(out) as tmp:
            quantize_file(float_path, tmp, split.calibration, size, folder)
            p_float, p_int8 = compare_scores(float_path, tmp, split.check, size)
            labels = split.check["label"].to_numpy()
            check = QuantizationCheck(
                images=len(split.check),
                held_out=split.held_out,
                auc_float=auc(labels, p_float),
                auc_int8=auc(labels, p_int8),
                max_abs_dp=float(np.abs(p_int8.astype(np.float64) - p_float).max()),
                max_auc_drop=max_auc_drop,
            )
            change = check.auc_change
            if change is not None and -change > max_auc_drop + 1e-12:  # 1e-12: rounding
                where = "held out from calibration" if check.held_out else "also calibrated on"
                raise FairdfError(
                    f"{out}: the int8 model's AUC on the {check.images} check images ({where}) "
                    f"is {check.auc_int8:.4f}, {-change:.4f} below the float model's "
                    f"{check.auc_float:.4f} (more than --max-auc-drop {max_auc_drop:g}); "
                    "nothing was written; calibrate on more or more representative images "
                    "(--calibration, --calibration-images) or export without --quantize"
                )
            quantization = {
                "type": "int8",
                "method": "onnxruntime static",
                **SETTINGS,
                "calibration_manifests": [str(path) for path in split.manifests],
                "calibration_images": len(split.calibration),
                "check": check.as_dict(),
                "float_max_abs_diff": float_export.max_abs_diff,
            }
            _add_metadata(tmp, float_path, quantization)
    return QuantizedExport(out, float_export, len(split.calibration), check)


def _image_size(path: Path) -> int:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    metadata = {entry.key: entry.value for entry in model.metadata_props}
    return int(metadata["fairdf.image_size"])
