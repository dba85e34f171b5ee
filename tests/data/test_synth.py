"""`fairdf synth`: layout, determinism, splits, groups, methods, CLI and atomic output."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fairdf.cli import main
from fairdf.data.groups import get_scheme
from fairdf.data.manifest import MANIFEST_COLUMNS, read_manifest
from fairdf.data.synth import (
    DEFAULT_GROUP_WEIGHTS,
    FFPP_GROUP_COUNTS,
    make_settings,
    make_synthetic_dataset,
    plan_dataset,
    render_pair,
)
from fairdf.errors import ConfigError, DataError

MANIFESTS = ("faketrain", "realtrain", "fakeval", "realval", "test")
EXTRAS = ["identity", "source_identity", "method_name"]


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "data"
    make_synthetic_dataset(out, n_images=160, seed=7)
    return out


def _read(dataset_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(dataset_dir / f"{name}.csv", keep_default_na=False)


def _all(dataset_dir: Path) -> pd.DataFrame:
    frames = [_read(dataset_dir, n).assign(manifest=n) for n in MANIFESTS]
    return pd.concat(frames, ignore_index=True)


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_manifests_have_the_reference_layout_and_validate(dataset_dir):
    for name in MANIFESTS:
        header = list(_read(dataset_dir, name).columns)
        with_method = name.startswith("fake") or name == "test"
        method = ["spe_label"] if with_method else []
        assert header == [*MANIFEST_COLUMNS, *method, *EXTRAS], name
        manifest = read_manifest(dataset_dir / f"{name}.csv", "ffpp", check_images=True)
        assert len(manifest) > 0
    assert set(_read(dataset_dir, "faketrain")["label"]) == {1}
    assert set(_read(dataset_dir, "realval")["label"]) == {0}
    assert set(_read(dataset_dir, "test")["label"]) == {0, 1}


def test_images_decode_as_rgb_at_the_requested_size(dataset_dir):
    paths = _all(dataset_dir)["img_path"]
    assert len(paths) == 160 and paths.is_unique
    for relative in paths:
        with Image.open(dataset_dir / relative) as image:
            assert image.format == "PNG" and image.mode == "RGB" and image.size == (64, 64)
    folders = {Path(p).parts[:2] for p in paths}
    assert folders == {("images", "train"), ("images", "val"), ("images", "test")}


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path):
    make_synthetic_dataset(tmp_path / "a", n_images=60, seed=3)
    make_synthetic_dataset(tmp_path / "b", n_images=60, seed=3)
    make_synthetic_dataset(tmp_path / "c", n_images=60, seed=4)
    first, second, third = (_hashes(tmp_path / n) for n in "abc")
    assert first == second
    assert len(first) == 60 + 5 + 1
    images = [k for k in first if k.endswith(".png")]
    assert sum(first[k] != third.get(k) for k in images) > 50


def test_identities_and_fake_sources_are_disjoint_across_splits(dataset_dir):
    rows = _all(dataset_dir)
    rows["split"] = rows["img_path"].str.split("/").str[1]
    fakes = rows[rows["label"] == 1]
    assert (fakes["source_identity"] != fakes["identity"]).all()
    assert (rows.loc[rows["label"] == 0, "source_identity"] == "").all()
    people = {
        split: set(part["identity"]) | set(part["source_identity"]) - {""}
        for split, part in rows.groupby("split")
    }
    assert people["train"] and people["val"] and people["test"]
    assert not people["train"] & people["val"]
    assert not people["train"] & people["test"]
    assert not people["val"] & people["test"]
    # every fake's source is a real identity of the same split
    reals = rows[rows["label"] == 0]
    for split, part in fakes.groupby("split"):
        assert set(part["source_identity"]) <= set(reals.loc[reals["split"] == split, "identity"])


def test_group_ids_agree_with_attribute_columns_and_identities(dataset_dir):
    rows = _all(dataset_dir)
    implied = get_scheme("ffpp").ids_from_attributes(rows)
    np.testing.assert_array_equal(implied, rows["intersec_label"].to_numpy())
    assert (rows.groupby("identity")["intersec_label"].nunique() == 1).all()
    # a fake's group is its target's: the same as that identity's real images
    reals = rows[rows["label"] == 0].groupby("identity")["intersec_label"].first()
    fakes = rows[rows["label"] == 1]
    np.testing.assert_array_equal(
        fakes["intersec_label"].to_numpy(), reals.loc[fakes["identity"]].to_numpy()
    )


def test_every_method_present_and_the_held_out_one_only_in_test(dataset_dir):
    for name in ("faketrain", "fakeval"):
        assert set(_read(dataset_dir, name)["spe_label"]) == {1, 2, 3, 4}
    test = _read(dataset_dir, "test")
    assert set(test.loc[test["label"] == 1, "spe_label"]) == {1, 2, 3, 4, 5}
    assert set(test.loc[test["label"] == 0, "spe_label"]) == {0}
    metadata = json.loads((dataset_dir / "dataset.json").read_text())
    names = {int(k): v for k, v in metadata["method_names"].items()}
    rows = _all(dataset_dir)
    fakes = rows[rows["label"] == 1]
    assert (fakes["method_name"] == fakes["spe_label"].astype(int).map(names)).all()
    assert metadata["held_out_methods"] == [5] and metadata["train_methods"] == [1, 2, 3, 4]
    assert "placeholder" in metadata["note"]


def test_held_out_methods_are_configurable():
    settings = make_settings(n_images=200, held_out_methods=(2, 4))
    table, _ = plan_dataset(settings)
    fakes = table[table["label"] == 1]
    assert set(fakes.loc[fakes["split"] != "test", "spe_label"]) == {1, 3, 5}
    assert set(fakes.loc[fakes["split"] == "test", "spe_label"]) == {1, 2, 3, 4, 5}


def test_group_imbalance_follows_the_weights():
    table, identities = plan_dataset(make_settings(n_images=1000))
    counts = np.bincount([p.group for p in identities.values()], minlength=8)
    expected = np.sqrt(FFPP_GROUP_COUNTS) / np.sqrt(FFPP_GROUP_COUNTS).sum()
    np.testing.assert_allclose(DEFAULT_GROUP_WEIGHTS, expected)
    np.testing.assert_allclose(counts / counts.sum(), expected, atol=0.03)
    images = np.bincount(table["group"], minlength=8)
    np.testing.assert_allclose(images / images.sum(), expected, atol=0.03)
    for split, part in table.groupby("split"):
        assert part["group"].nunique() == 8, split


def test_custom_weights_with_an_absent_group():
    weights = (1, 1, 0, 1, 1, 1, 1, 4)
    table, _ = plan_dataset(make_settings(n_images=1000, group_weights=weights))
    share = np.bincount(table["group"], minlength=8) / len(table)
    assert share[2] == 0
    assert share[7] == pytest.approx(0.4, abs=0.03)


def test_fakes_differ_from_their_pristine_frame_inside_the_face_only():
    settings = make_settings(n_images=60, seed=1)
    table, identities = plan_dataset(settings)
    seen = set()
    for index, row in enumerate(table.itertuples()):
        image, pristine = render_pair(row, index, identities, settings)
        difference = np.abs(image.astype(int) - pristine.astype(int)).max(axis=2)
        if row.label == 0:
            assert (image == pristine).all()
            continue
        seen.add(row.spe_label)
        assert difference.mean() > 1.0, row.method_name
        border = np.ones_like(difference, dtype=bool)
        border[3:-3, 3:-3] = False
        assert difference[border].max() == 0, row.method_name
        rows, cols = np.nonzero(difference > 8)
        assert abs(rows.mean() - 32) < 12 and abs(cols.mean() - 32) < 12
    assert seen == {1, 2, 3, 4, 5}


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"n_images": 20}, "--n"),
        ({"size": 33}, "size"),
        ({"held_out_methods": (1, 2, 3, 4, 5)}, "held_out_methods"),
        ({"group_weights": (1, 2, 3)}, "group_weights"),
        ({"fake_ratio": 1.0}, "fake_ratio"),
        ({"methods": 6}, "methods"),
    ],
)
def test_bad_settings_raise_config_errors_naming_the_key(tmp_path, kwargs, key):
    with pytest.raises(ConfigError, match=key):
        make_synthetic_dataset(tmp_path / "out", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_run_leaves_nothing_behind(tmp_path, monkeypatch):
    import fairdf.data.synth as synth

    real_render = synth.render_pair

    def failing(row, index, *args):
        if index == 10:
            raise RuntimeError("disk full")
        return real_render(row, index, *args)

    monkeypatch.setattr(synth, "render_pair", failing)
    with pytest.raises(RuntimeError):
        make_synthetic_dataset(tmp_path / "out", n_images=60)
    assert list(tmp_path.iterdir()) == []


def test_refuses_a_non_empty_folder_unless_it_is_an_earlier_dataset(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    for overwrite in (False, True):
        with pytest.raises(DataError, match="foreign"):
            make_synthetic_dataset(foreign, n_images=60, overwrite=overwrite)
    assert (foreign / "notes.txt").read_text() == "keep me"
    earlier = tmp_path / "earlier"
    make_synthetic_dataset(earlier, n_images=60, seed=1)
    with pytest.raises(DataError, match="--overwrite"):
        make_synthetic_dataset(earlier, n_images=60, seed=2)
    make_synthetic_dataset(earlier, n_images=80, seed=2, overwrite=True)
    assert len(list((earlier / "images").rglob("*.png"))) == 80


def test_cli_writes_a_dataset_and_prints_counts(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["synth", str(out), "--n", "60", "--size", "32", "--seed", "2"]) == 0
    printed = capsys.readouterr().out
    assert "wrote 60 images" in printed
    for word in ("train", "val", "test", "nonmale-black", "smoothing", "placeholders"):
        assert word in printed
    with Image.open(next((out / "images" / "test").glob("*.png"))) as image:
        assert image.size == (32, 32)
    metadata = json.loads((out / "dataset.json").read_text())
    assert metadata["size"] == 32 and metadata["seed"] == 2 and metadata["n_images"] == 60


def test_cli_errors_are_one_line_with_status_2(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["synth", str(out), "--n", "10"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--n" in error and "Traceback" not in error
    assert not out.exists()
    out.mkdir()
    (out / "x").write_text("")
    assert main(["synth", str(out), "--n", "60"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["synth", str(tmp_path / "new"), "--n", "60", "--held-out", "9"]) == 2
    assert "argument --held-out: must be an integer in [1, 5]" in capsys.readouterr().err
