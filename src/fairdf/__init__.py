"""fairdf: fairness-preserving, generalizable deepfake detection.

detector = fairdf.load_detector("runs/ffpp/checkpoints/best")
detector.predict(["face.png"])          # one row per image: score = p(fake)

table, result = fairdf.measure_predictions("predictions.csv", bootstrap=1000)
result = fairdf.compute_metrics(frame, attributes=["gender"])   # label, score, gender
print(fairdf.format_report(result))
"""

__version__ = "0.1.0"

# imported on first use, so that `import fairdf` stays light
_LAZY = {
    "load_detector": "fairdf.inference",
    "compute_metrics": "fairdf.metrics",
    "measure_predictions": "fairdf.metrics",
    "format_report": "fairdf.metrics",
    "MetricOptions": "fairdf.metrics",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'fairdf' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
