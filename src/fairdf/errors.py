"""User-facing errors.

Every error a user can cause (bad file, bad value, unknown name) is a `FairdfError`
whose message is one line naming the file, row or key and saying what to do. The CLI
prints it and exits with status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class FairdfError(Exception):
    """Base class of all errors a user can cause."""

    exit_code = 2
    quiet = False  # True: already reported by another process, print nothing


class ReportedElsewhere(FairdfError):
    """Another process of the same torchrun job failed and reports why; this one stops."""

    quiet = True


class ManifestError(FairdfError):
    """A manifest (CSV) is malformed or inconsistent; `problems` lists each one."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class ImageError(FairdfError):
    """An image file is missing or cannot be decoded."""


class ConfigError(FairdfError):
    """A configuration key is unknown or its value is invalid."""


class UnknownNameError(FairdfError):
    """A name (encoder, scheme, format, ...) is not one of the valid names."""

    def __init__(self, kind: str, name: str, valid: list[str] | tuple[str, ...]):
        valid_list = ", ".join(sorted(valid))
        super().__init__(f"unknown {kind} '{name}'; valid names: {valid_list}")
        self.kind, self.name, self.valid = kind, name, list(valid)


class CheckpointError(FairdfError):
    """A weights file or checkpoint does not fit the model or cannot be read."""


class DataError(FairdfError):
    """Input data (predictions, videos, annotations) is unusable as given."""


class PathError(FairdfError):
    """An output path cannot be written, or an input's name gives no safe output name."""
