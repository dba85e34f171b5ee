"""Any ONNX detector as a scorer (`fairdf test --model M.onnx`, `fairdf predict --model`).

fairdf's data pipeline gives RGB images `(N, 3, S, S)` in [-1, 1], i.e. pixel/127.5 - 1.
The model gets `(pixel / 255 - mean) / std` per channel, an exact affine map of that
tensor, and its first output is read as one of three kinds (`--output`):

    two_logits  (N, 2) logits [real, fake]; p(fake) = softmax(logits)[:, 1]
    fake_logit  (N, 1) or (N,) one logit z; p(fake) = sigmoid(z); recorded logits (0, z)
    fake_prob   (N, 1) or (N,) p(fake) in [0, 1]; recorded logits (log(1 - p), log(p))

In every case softmax(recorded logits)[1] is p(fake), so predictions files look and
read exactly like a checkpoint's. The model runs in ONNX Runtime on the CPU. Its input
and output shapes are checked against the options when it is opened, before any image
is read; an output that contradicts `--output` only at run time (a shape left open in
the file, probabilities outside [0, 1]) stops the run at the first batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fairdf.bounds import OPTIONS
from fairdf.errors import CheckpointError, ConfigError, DataError
from fairdf.models.detector import ScoreOutput

OUTPUT_KINDS = ("two_logits", "fake_logit", "fake_prob")
FAIRDF_MEAN = FAIRDF_STD = (0.5, 0.5, 0.5)  # the normalisation of fairdf's own models
FLOAT_OUTPUTS = ("tensor(float)", "tensor(double)")


@dataclass(frozen=True)
class OnnxOptions:
    """How to feed an ONNX model and read its output (`--output`, `--mean`, `--std`,
    `--input-size`; None: the model's static input size)."""

    output: str
    mean: tuple[float, float, float] = FAIRDF_MEAN
    std: tuple[float, float, float] = FAIRDF_STD
    input_size: int | None = None


def _shape_text(shape) -> str:
    return "(" + ", ".join("?" if not isinstance(d, int) else str(d) for d in shape) + ")"


def _ort_errors() -> tuple[type[BaseException], ...]:
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    names = ("Fail", "InvalidArgument", "InvalidProtobuf", "InvalidGraph", "NoSuchFile")
    names += ("NotImplemented", "RuntimeException", "ModelLoaded", "EngineError", "EPFail")
    return tuple(getattr(state, name) for name in names if hasattr(state, name))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= 200 else f"{line[:197]}..."


def open_session(path: Path):
    """An ONNX Runtime CPU session of `path`; one-line errors for missing or broken files."""
    import onnxruntime

    if not path.is_file():
        raise DataError(f"ONNX model not found: {path}; check --model")
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: ONNX Runtime's advice is not for users
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except _ort_errors() as exc:
        raise CheckpointError(
            f"{path}: ONNX Runtime cannot load it ({_first_line(exc)}); check --model"
        ) from None


def check_input(session, path: Path, requested: int | None) -> tuple[str, int, int | None]:
    """(input name, image size, fixed batch size or None) of a model fed `(N, 3, S, S)`."""
    inputs = session.get_inputs()
    if len(inputs) != 1:
        names = ", ".join(i.name for i in inputs)
        raise ConfigError(
            f"{path}: the model has {len(inputs)} inputs ({names}); fairdf "
            "feeds one image tensor (N, 3, S, S)"
        )
    first, shape = inputs[0], list(inputs[0].shape or [])
    where = f"{path}: input '{first.name}' {first.type} {_shape_text(shape)}"
    if first.type != "tensor(float)":
        raise ConfigError(f"{where}: fairdf feeds float32 images; re-export it with a float input")
    if len(shape) != 4 or (isinstance(shape[1], int) and shape[1] != 3):
        raise ConfigError(f"{where}: fairdf feeds RGB images as (N, 3, S, S) (NCHW)")
    sides = {d for d in shape[2:] if isinstance(d, int)}
    if len(sides) > 1:
        raise ConfigError(f"{where}: not square; fairdf feeds square S x S face crops")
    static = sides.pop() if sides else None
    if static is not None and requested is not None and static != requested:
        raise ConfigError(
            f"{where}: takes {static} x {static} images, not --input-size {requested}; "
            f"drop --input-size or pass {static}"
        )
    if static is None and requested is None:
        raise ConfigError(f"{where}: the image size is not fixed in the file; pass --input-size")
    size = static if static is not None else requested
    bound = OPTIONS["--input-size"]
    if not bound.contains(size):
        raise ConfigError(f"{where}: fairdf scores images of {bound.describe()} px, not {size}")
    return first.name, size, shape[0] if isinstance(shape[0], int) else None


def kinds_fitting(shape: list) -> list[str]:
    """The --output kinds a (possibly partly unknown) output shape allows."""
    if not shape:  # rank unknown: settled at run time
        return list(OUTPUT_KINDS)
    if len(shape) == 1:
        return ["fake_logit", "fake_prob"]
    if len(shape) != 2:
        return []
    last = shape[1]
    if not isinstance(last, int):
        return list(OUTPUT_KINDS)
    return {1: ["fake_logit", "fake_prob"], 2: ["two_logits"]}.get(last, [])


def check_output(session, path: Path, kind: str) -> str:
    """The name of the model's first output, refused when its shape contradicts `kind`."""
    if kind not in OUTPUT_KINDS:
        raise ConfigError(f"--output {kind}: use one of {', '.join(OUTPUT_KINDS)}")
    first = session.get_outputs()[0]
    shape = list(first.shape or [])
    where = f"{path}: output '{first.name}' {first.type} {_shape_text(shape)}"
    if first.type not in FLOAT_OUTPUTS:
        raise ConfigError(f"{where}: fairdf reads float scores")
    fitting = kinds_fitting(shape)
    if kind not in fitting:
        hint = f"--output {' or '.join(fitting)}" if fitting else "an (N, 2) or (N, 1) output"
        raise ConfigError(f"{where} does not fit --output {kind}; it fits {hint}")
    return first.name


def recorded_logits(raw: np.ndarray, kind: str, count: int, path: Path) -> torch.Tensor:
    """The model's output for `count` images -> `(count, 2)` logits (module docstring)."""
    values = np.asarray(raw, dtype=np.float64)
    if kind != "two_logits" and values.shape in ((count, 1), (count,)):
        values = values.reshape(count)
    elif kind != "two_logits" or values.shape != (count, 2):
        expected = "(N, 2)" if kind == "two_logits" else "(N, 1) or (N,)"
        raise DataError(
            f"{path}: the model returned shape {values.shape} for {count} images; "
            f"--output {kind} expects {expected}"
        )
    if kind == "fake_logit":
        values = np.stack([np.zeros_like(values), values], axis=1)
    elif kind == "fake_prob":
        if ((values < 0) | (values > 1)).any():
            raise DataError(
                f"{path}: the model returned values outside [0, 1], so not "
                "probabilities; try --output fake_logit or two_logits"
            )
        with np.errstate(divide="ignore"):
            values = np.stack([np.log1p(-values), np.log(values)], axis=1)
    return torch.from_numpy(values.astype(np.float32))


class OnnxScorer:
    """An ONNX model behind the scoring interface of fairdf's inference modules:
    `score(images (N, 3, S, S) in [-1, 1]) -> ScoreOutput(logits (N, 2), p_fake (N,))`."""

    training = False  # eval()/train() are no-ops: the graph has no training mode

    def __init__(self, path: str | Path, options: OnnxOptions):
        from fairdf.extras import require

        require("scoring an ONNX model (--model)", "onnxruntime")
        if min(options.std) <= 0:
            raise ConfigError(f"--std must be > 0 per channel, got {options.std}")
        self.path, self.options = Path(path), options
        self.session = open_session(self.path)
        self.input_name, self.input_size, self.fixed_batch = check_input(
            self.session, self.path, options.input_size
        )
        self.output_name = check_output(self.session, self.path, options.output)
        std = torch.tensor(options.std, dtype=torch.float64).view(1, 3, 1, 1)
        mean = torch.tensor(options.mean, dtype=torch.float64).view(1, 3, 1, 1)
        # (pixel/255 - mean)/std with pixel/255 = (x + 1)/2: x * 0.5/std + (0.5 - mean)/std
        self.scale, self.shift = (0.5 / std).float(), ((0.5 - mean) / std).float()

    def eval(self) -> OnnxScorer:
        return self

    def train(self, mode: bool = True) -> OnnxScorer:
        return self

    def to(self, *args, **kwargs) -> OnnxScorer:
        return self

    def model_input(self, images: torch.Tensor) -> np.ndarray:
        """fairdf's `[-1, 1]` images -> the model's `(pixel/255 - mean)/std`, float32."""
        return (images.detach().float().cpu() * self.scale + self.shift).numpy()

    def _run(self, batch: np.ndarray) -> np.ndarray:
        try:
            return self.session.run([self.output_name], {self.input_name: batch})[0]
        except _ort_errors() as exc:
            raise CheckpointError(
                f"{self.path}: ONNX Runtime failed on a batch of {len(batch)} images "
                f"({_first_line(exc)}); check --model and --input-size"
            ) from None

    def raw_output(self, images: torch.Tensor) -> np.ndarray:
        """The model's first output for `images`, in batches of its fixed size if it has one."""
        batch = self.model_input(images)
        if self.fixed_batch is None or len(batch) == self.fixed_batch:
            return self._run(batch)
        parts = []
        for start in range(0, len(batch), self.fixed_batch):
            chunk = batch[start : start + self.fixed_batch]
            padding = np.repeat(chunk[-1:], self.fixed_batch - len(chunk), axis=0)
            parts.append(self._run(np.concatenate([chunk, padding]))[: len(chunk)])
        return np.concatenate(parts) if parts else np.empty((0, 2), np.float32)

    def score(self, images: torch.Tensor) -> ScoreOutput:
        if len(images) == 0:
            return ScoreOutput(torch.empty(0, 2), torch.empty(0))
        raw = self.raw_output(images)
        logits = recorded_logits(raw, self.options.output, len(images), self.path)
        return ScoreOutput(logits, torch.softmax(logits.double(), dim=1)[:, 1].float())

    def provenance(self) -> dict:
        """Which model scored and how it was fed, as recorded in metrics.json (`meta.model`)."""
        options = self.options
        return {
            "format": "onnx",
            "path": str(self.path.resolve()),
            "name": self.path.name,
            "output": options.output,
            "output_name": self.output_name,
            "input_name": self.input_name,
            "input_size": self.input_size,
            "mean": list(options.mean),
            "std": list(options.std),
        }


def load_onnx_detector(
    path: str | Path,
    options: OnnxOptions,
    *,
    face_detector: str = "hog",
    upsample: int | None = None,
    margin: float = 1.3,
    batch_size: int = 32,
):
    """A `fairdf.inference.Detector` (predict, predict_video, predict_paths) whose scores
    come from the ONNX model at `path` (module docstring), run on the CPU."""
    from fairdf.inference.detector import Detector
    from fairdf.prepare.faces import CropOptions

    CropOptions(detector=face_detector, margin=margin, upsample=upsample)  # fail before loading
    scorer = OnnxScorer(path, options)
    return Detector(
        scorer,  # type: ignore[arg-type]
        None,
        torch.device("cpu"),
        face_detector=face_detector,
        upsample=upsample,
        margin=margin,
        batch_size=batch_size,
        image_size=scorer.input_size,
    )
