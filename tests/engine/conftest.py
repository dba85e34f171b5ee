"""Fixtures for engine tests: one small synthetic dataset and a tiny run config."""

from __future__ import annotations

import pytest

TINY_OVERRIDES = [
    "model.encoder=tiny",
    "model.image_size=32",
    "data.workers=0",
    "train.epochs=2",
    "train.batch_size=8",
    "train.progress=false",
    "train.device=cpu",
    "optim.lr=0.01",
]


@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory):
    from fairdf.data.synth import make_synthetic_dataset

    root = tmp_path_factory.mktemp("synth") / "data"
    return make_synthetic_dataset(root, n_images=160, size=32, seed=1)


@pytest.fixture(scope="session")
def tiny_overrides(synthetic_data) -> list[str]:
    """Overrides of the default config for a tiny CPU run on the synthetic data."""
    return [f"data.root={synthetic_data.root}", *TINY_OVERRIDES]


@pytest.fixture()
def tiny_config(tiny_overrides):
    from fairdf.config import load_config

    def make(*extra: str):
        return load_config(None, [*tiny_overrides, *extra])

    return make


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, tiny_overrides):
    """A checkpoint of the tiny config trained for one epoch (shared by the test-runner tests)."""
    from fairdf.config import load_config
    from fairdf.engine.train import train

    config = load_config(None, [*tiny_overrides, "train.epochs=1"])
    run_dir = train(config, tmp_path_factory.mktemp("run") / "run")
    return run_dir / "checkpoints" / "best"
