"""Scoring images and videos with a trained checkpoint, and exporting the scorer.

`load_detector(path)` returns a `Detector` with `predict(images)` and
`predict_video(path)`; `export_checkpoint` writes ONNX or TorchScript files.
"""

from __future__ import annotations

from fairdf.inference.detector import Detector, VideoPrediction, load_detector

__all__ = ["Detector", "VideoPrediction", "load_detector"]
