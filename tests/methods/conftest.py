"""Fixtures for the method tests: a small synthetic dataset and tiny model settings."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def method_data(tmp_path_factory):
    from fairdf.data.synth import make_synthetic_dataset

    root = tmp_path_factory.mktemp("methods") / "data"
    return make_synthetic_dataset(root, n_images=200, size=32, seed=3)
