"""Small ONNX classifiers that are not fairdf models, and an independent way to score images
with them: PIL decoding and bilinear resizing, (pixel/255 - mean)/std, ONNX Runtime."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class TinyClassifier(nn.Module):
    """conv -> relu -> conv -> global pool -> linear, ending as `head` says:
    'two' (N, 2) logits, 'logit' (N,) one logit, 'logit1' (N, 1), 'prob' (N, 1) sigmoid."""

    def __init__(self, head: str, bias: float = 0.0, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.head = head
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2),
            nn.ReLU(),
            nn.Conv2d(8, 8, 3),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.linear = nn.Linear(8, 2 if head == "two" else 1)
        with torch.no_grad():
            self.linear.weight.mul_(8.0)  # scores that vary visibly from image to image
            self.linear.bias.add_(bias)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        out = self.linear(self.features(images))
        if self.head == "logit":
            return out[:, 0]
        return torch.sigmoid(out) if self.head == "prob" else out


class ChannelsLast(nn.Module):
    """A model that takes (N, H, W, 3) images."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.inner(images.permute(0, 3, 1, 2))


def export_classifier(
    path: Path,
    head: str,
    *,
    size: int = 32,
    batch: int | None = None,
    free_size: bool = False,
    nhwc: bool = False,
    bias: float = 0.0,
) -> Path:
    """Export a TinyClassifier: batch axis free unless `batch`; H, W free with `free_size`;
    `nhwc` exports a model taking (N, H, W, 3)."""
    model = TinyClassifier(head, bias).eval()
    example = torch.rand(batch or 2, 3, size, size)
    if nhwc:
        model, example = ChannelsLast(model).eval(), example.permute(0, 2, 3, 1).contiguous()
    axes = {} if batch else {"x": {0: "n"}, "y": {0: "n"}}
    if free_size:
        axes.setdefault("x", {}).update({2: "h", 3: "w"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example,),
            str(path),
            input_names=["x"],
            output_names=["y"],
            dynamic_axes=axes or None,
            dynamo=False,
        )
    return path


def model_inputs(paths, size: int, mean, std) -> np.ndarray:
    """Images -> (N, 3, size, size) float32 = (pixel/255 - mean)/std, bilinear resizing."""
    arrays = []
    for path in paths:
        image = Image.open(path).convert("RGB")
        if image.size != (size, size):
            image = image.resize((size, size), Image.BILINEAR)
        pixels = np.asarray(image, dtype=np.float64) / 255.0
        arrays.append(((pixels - np.asarray(mean)) / np.asarray(std)).transpose(2, 0, 1))
    return np.stack(arrays).astype(np.float32)


def run_directly(model: Path, inputs: np.ndarray) -> np.ndarray:
    """The model's first output, one image at a time (a model of a fixed batch size gets
    the image repeated to fill it)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    batch = session.get_inputs()[0].shape[0]
    repeat = batch if isinstance(batch, int) else 1
    outputs = [session.run(None, {"x": np.repeat(x[None], repeat, axis=0)})[0][0] for x in inputs]
    return np.asarray(outputs, dtype=np.float64).reshape(len(inputs), -1)


def expected_scores(raw: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(logit_real, logit_fake, p_fake) the documented conventions give for raw outputs."""
    if kind == "two_logits":
        real, fake = raw[:, 0], raw[:, 1]
        return real, fake, 1.0 / (1.0 + np.exp(real - fake))
    value = raw[:, 0]
    if kind == "fake_logit":
        return np.zeros_like(value), value, 1.0 / (1.0 + np.exp(-value))
    return np.log(1.0 - value), np.log(value), value
