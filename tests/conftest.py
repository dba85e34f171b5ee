"""Shared test setup: offline hubs, few threads, opt-in slow and GPU checks."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TIMM_OFFLINE", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

# Oracles produced by the paper's reference implementation or exact float64 computation
# (see tests/reference/README.md).
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="also run tests marked slow")
    parser.addoption("--run-gpu", action="store_true", help="also run tests marked gpu")


def pytest_collection_modifyitems(config, items):
    for marker, option in (("slow", "--run-slow"), ("gpu", "--run-gpu")):
        if config.getoption(option):
            continue
        skip = pytest.mark.skip(reason=f"{marker} check: run with {option}")
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The folder of reference test vectors shipped with the tests."""
    return REFERENCE_DIR


@pytest.fixture(autouse=True, scope="session")
def _few_threads():
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(2)
