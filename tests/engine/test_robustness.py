"""fairdf test --perturb: deterministic perturbations, one predictions file per condition,
the robustness table in the output and in the report; bad specs are one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fairdf.cli import main
from fairdf.data.perturbations import KINDS, parse_perturbation, parse_perturbations
from fairdf.errors import ConfigError


@pytest.fixture()
def checkpoint(tiny_checkpoint):
    return tiny_checkpoint


def _image(seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, 48)[None, :, None] * np.ones((48, 1, 3))
    return Image.fromarray(np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8))


@pytest.mark.parametrize(
    "spec",
    ["jpeg:10", "blur:7", "noise:12", "hue:40", "saturation:0.2", "brightness:0.5",
     "contrast:1.8", "rotate:30", "scale:0.25"],
)  # fmt: skip
def test_every_kind_changes_the_image_and_is_deterministic(spec):
    perturbation = parse_perturbation(spec)
    image = _image()
    first = np.asarray(perturbation(image, "a/b.png"), dtype=np.int64)
    again = np.asarray(perturbation(image.copy(), "a/b.png"), dtype=np.int64)
    assert first.shape == (48, 48, 3)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - np.asarray(image, dtype=np.int64)).mean() > 1.0


def test_noise_is_seeded_by_the_path_not_the_global_rng():
    noise = parse_perturbation("noise:10")
    image = _image()
    np.random.seed(1)
    first = np.asarray(noise(image, "x/1.png"))
    np.random.seed(2)
    assert np.array_equal(first, np.asarray(noise(image, "x/1.png")))
    assert not np.array_equal(first, np.asarray(noise(image, "x/2.png")))


def test_jpeg_100_is_nearly_lossless():
    image = _image()
    kept = np.asarray(parse_perturbation("jpeg:100")(image, "p"), dtype=np.int64)
    assert np.abs(kept - np.asarray(image, dtype=np.int64)).mean() < 2.0


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        ("jpeg:0", "jpeg strength must be an integer JPEG quality in 1..100, got 0"),
        ("jpeg:60.5", "jpeg strength must be an integer JPEG quality in 1..100, got 60.5"),
        ("blur:4", "blur strength must be an odd Gaussian kernel size in 3..51, got 4"),
        ("noise:abc", "noise strength must be a noise standard deviation"),
        ("rotate:400", "rotate strength must be a rotation in degrees in -180..180, got 400"),
        ("scale:0", "scale strength must be a down-and-up scale factor in 0.05..1, got 0"),
        ("jpeg:", "got (empty)"),
    ],
)
def test_bad_strength_names_the_kind_and_its_range(spec, shown):
    with pytest.raises(ConfigError) as error:
        parse_perturbation(spec)
    message = str(error.value)
    assert f"--perturb '{spec}'" in message and shown in message and "\n" not in message
    assert "unknown" not in message


@pytest.mark.parametrize("spec", ["sharpen:2", "sharpen", ":5"])
def test_unknown_kind_lists_the_kinds(spec):
    with pytest.raises(ConfigError) as error:
        parse_perturbation(spec)
    message = str(error.value)
    assert "unknown perturbation kind" in message and "\n" not in message
    assert ", ".join(KINDS) in message


def test_kind_alone_takes_its_default_and_comma_lists_are_split():
    assert parse_perturbation("jpeg") == parse_perturbation(f"jpeg:{KINDS['jpeg'].default:g}")
    for name, kind in KINDS.items():
        assert parse_perturbation(name).value == kind.default
    found = parse_perturbations(["jpeg,blur:7", " noise "])
    assert [p.spec for p in found] == [f"jpeg:{KINDS['jpeg'].default:g}", "blur:7", "noise:10"]
    with pytest.raises(ConfigError, match="--perturb 'jpeg,blur:2': blur strength"):
        parse_perturbations(["jpeg,blur:2"])


def test_repeated_condition_is_refused():
    with pytest.raises(ConfigError, match="jpeg-60 is given twice"):
        parse_perturbations(["jpeg:60", "JPEG:60"])


def _test(checkpoint, manifest, out, *extra):
    argv = ["test", "--checkpoint", str(checkpoint), "--manifest", str(manifest)]
    return main([*argv, "--out", str(out), "--device", "cpu", "--workers", "0", *extra])


def test_conditions_files_robustness_table_and_report(checkpoint, synthetic_data, tmp_path, capsys):
    from fairdf.report import write_report

    manifest = synthetic_data.manifests["test"]
    conditions = ["--perturb", "jpeg:100", "--perturb", "jpeg:10", "--perturb", "noise:25"]
    assert _test(checkpoint, manifest, tmp_path / "a", *conditions) == 0
    printed = capsys.readouterr().out
    assert "Robustness of test" in printed and "jpeg-10" in printed
    folder = tmp_path / "a" / "test"
    names = {p.name for p in folder.iterdir()}
    for condition in ("", "-jpeg-100", "-jpeg-10", "-noise-25"):
        assert {f"predictions{condition}.csv", f"metrics{condition}.json"} <= names
    clean = pd.read_csv(folder / "predictions.csv")
    lossless = pd.read_csv(folder / "predictions-jpeg-100.csv")
    lossy = pd.read_csv(folder / "predictions-jpeg-10.csv")
    assert (clean["img_path"] == lossy["img_path"]).all()
    small = np.abs(lossless["score"] - clean["score"]).max()
    large = np.abs(lossy["score"] - clean["score"]).max()
    assert small < 0.02 and large > 2 * small and large > 1e-3
    rows = json.loads((folder / "robustness.json").read_text())["conditions"]
    assert [r["condition"] for r in rows] == ["clean", "jpeg-100", "jpeg-10", "noise-25"]
    for row in rows:
        metrics = json.loads(
            (
                folder
                / f"metrics{'' if row['condition'] == 'clean' else '-' + row['condition']}.json"
            ).read_text()
        )
        assert row["auc"] == metrics["overall"]["auc"]
        assert row["F_FPR"] == metrics["fairness"]["intersectional"]["F_FPR"]
        assert row["auc_change"] == pytest.approx(row["auc"] - rows[0]["auc"], abs=1e-15)
    # a second run gives identical predictions for every condition
    assert _test(checkpoint, manifest, tmp_path / "b", "--perturb", "noise:25") == 0
    for condition in ("", "-noise-25"):
        name = f"test/predictions{condition}.csv"
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    paths = write_report(folder / "predictions.csv", tmp_path / "r.html", bootstrap=0)
    page = paths.html.read_text()
    assert 'id="robustness"' in page and "jpeg-10" in page


def test_bad_perturbation_exits_2_before_scoring(checkpoint, synthetic_data, tmp_path, capsys):
    out = tmp_path / "out"
    assert _test(checkpoint, synthetic_data.manifests["test"], out, "--perturb", "jpeg:0") == 2
    error = capsys.readouterr().err
    assert "--perturb 'jpeg:0'" in error and "Traceback" not in error
    assert not out.exists()


def test_change_interval_is_the_paired_bootstrap_of_the_two_score_sets():
    """Identical scores give the interval [0, 0]; a shift of one group's fake scores gives
    an interval around the exact change of AUC (computed here with scikit-learn)."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from fairdf.data.groups import get_scheme
    from fairdf.engine.robustness import change_interval

    rng = np.random.default_rng(3)
    n = 600
    label = rng.integers(0, 2, n)
    clean = pd.DataFrame(
        {
            "path": [f"img{i}.png" for i in range(n)],
            "label": label,
            "intersec_label": rng.integers(0, 8, n),
            "score": np.clip(0.5 + 0.3 * (label - 0.5) + rng.normal(0, 0.2, n), 0, 1),
        }
    )
    scheme = get_scheme("ffpp")
    assert change_interval(clean, clean.copy(), "auc", scheme) == [0.0, 0.0]
    perturbed = clean.copy()
    hit = (perturbed["intersec_label"] == 1) & (perturbed["label"] == 1)
    perturbed.loc[hit, "score"] = perturbed.loc[hit, "score"] * 0.5
    change = roc_auc_score(label, perturbed["score"]) - roc_auc_score(label, clean["score"])
    low, high = change_interval(clean, perturbed, "auc", scheme)
    assert low <= change <= high and high < 0  # a real loss of AUC, resolved by pairing
    fairness = change_interval(clean, perturbed, "F_FPR", scheme)
    assert fairness is not None and fairness[0] <= fairness[1]
    assert change_interval(clean, perturbed.iloc[::-1], "auc", scheme) is None  # not aligned
