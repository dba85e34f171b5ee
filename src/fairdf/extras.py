"""Optional dependencies, checked before any work starts.

Each optional module belongs to an extra of the package; a command that needs one calls
`require` first, so a missing module costs one line (with the exact install command)
instead of a traceback after minutes of work.
"""

from __future__ import annotations

import importlib.util
import sys

from fairdf.errors import FairdfError

# module -> (extra that installs it, distribution name)
EXTRAS = {
    "onnx": ("export", "onnx"),
    "onnxruntime": ("export", "onnxruntime"),
    "dlib": ("prepare", "dlib-bin"),
    "cv2": ("prepare", "opencv-python-headless"),
    "face_recognition_models": ("prepare", "face-recognition-models"),
    "skimage": ("prepare", "scikit-image"),
}


class MissingDependencyError(FairdfError):
    """An optional module a command needs is not installed."""


def require(purpose: str, *modules: str) -> None:
    """Raise MissingDependencyError naming the extra unless every module imports."""
    for module in modules:
        if not _installed(module):
            extra, distribution = EXTRAS[module]
            raise MissingDependencyError(
                f"{purpose} needs {distribution}, which is not installed; "
                f"run: pip install 'fairdf[{extra}]'"
            ) from None


def _installed(module: str) -> bool:
    """Whether `module` can be found, without importing it (imports can be slow)."""
    if module in sys.modules:
        return sys.modules[module] is not None  # None: import blocked
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
