"""Fixtures of the reliability tests."""

from __future__ import annotations

import pytest
from helpers_reliability import bomb_png


@pytest.fixture(scope="session")
def bomb(tmp_path_factory):
    """A 20000 x 20000 PNG (400 million pixels) in about 380 KiB, written once."""
    return bomb_png(tmp_path_factory.mktemp("bomb") / "bomb.png")


GENERATED = {"inputs": 0}  # counted by the property tests, reported at the end of the run


@pytest.fixture()
def count_input():
    def count() -> None:
        GENERATED["inputs"] += 1

    return count


def pytest_terminal_summary(terminalreporter):
    if GENERATED["inputs"]:
        terminalreporter.write_line(
            f"property tests: {GENERATED['inputs']} generated inputs through the CLI"
        )
