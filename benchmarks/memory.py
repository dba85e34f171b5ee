"""Peak resident memory of the current process, for the benchmark tables."""

from __future__ import annotations

import contextlib
import resource
from pathlib import Path


def peak_rss_mib() -> float:
    """VmHWM (which /proc/self/clear_refs can reset between phases), else ru_maxrss."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
