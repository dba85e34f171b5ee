"""fairdf: fairness-preserving, generalizable deepfake detection.

detector = fairdf.load_detector("runs/ffpp/checkpoints/best")
detector.predict(["face.png"])          # one row per image: score = p(fake)
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load_detector"]


def __getattr__(name: str):
    if name == "load_detector":  # imported on first use: `import fairdf` stays light
        from fairdf.inference import load_detector

        return load_detector
    raise AttributeError(f"module 'fairdf' has no attribute {name!r}")
