"""Issue 13 pixel limit: oversized images are refused from their header, before decoding."""

from __future__ import annotations

import pytest
from helpers_reliability import (
    HEADER8,
    assert_one_line_error,
    header_only_png,
    run_cli,
    write_manifest,
)
from PIL import Image

from fairdf.data.pixels import DEFAULT_MAX_IMAGE_PIXELS, ENV_VARIABLE, max_image_pixels
from fairdf.errors import ConfigError, ImageError


def test_issue13_bomb_png_is_refused_with_its_name(bomb):
    from fairdf.data.transforms import open_rgb, verify_image

    with pytest.raises(ImageError, match="20000 x 20000") as caught:
        open_rgb(bomb)
    assert str(bomb) in str(caught.value)
    assert "20000 x 20000" in verify_image(bomb)


def test_issue13_bomb_png_on_the_opencv_path_of_prepare_faces(bomb):
    from fairdf.prepare.files import read_rgb

    with pytest.raises(ImageError, match="more than the limit"):
        read_rgb(bomb)


def test_issue13_validate_check_images_reports_the_bomb(tmp_path, bomb, capsys):
    manifest = write_manifest(tmp_path / "test.csv", [f"{bomb},1,1,-1,1,-1,1"])
    status, out, err = run_cli(capsys, "validate", manifest, "--check-images")
    assert status == 2 and "Traceback" not in err
    assert str(bomb) in out and "pixels" in out


def test_limit_from_environment_and_option(tmp_path, monkeypatch, capsys):
    from fairdf.data.transforms import open_rgb

    image = tmp_path / "small.png"
    Image.new("RGB", (40, 30)).save(image)
    monkeypatch.setenv(ENV_VARIABLE, "1199")
    assert max_image_pixels() == 1199
    with pytest.raises(ImageError, match="40 x 30 = 1200 pixels"):
        open_rgb(image)
    monkeypatch.setenv(ENV_VARIABLE, "1200")
    assert open_rgb(image).size == (40, 30)
    monkeypatch.setenv(ENV_VARIABLE, "lots")
    with pytest.raises(ConfigError, match=ENV_VARIABLE):
        max_image_pixels()
    monkeypatch.delenv(ENV_VARIABLE)
    assert max_image_pixels() == DEFAULT_MAX_IMAGE_PIXELS
    manifest = write_manifest(tmp_path / "m" / "test.csv", ["a.png,0,1,-1,1,-1,1"], HEADER8)
    status, out, _ = run_cli(
        capsys, "validate", manifest, "--check-images", "--max-image-pixels", "100"
    )
    assert status == 2 and "more than the limit of 100" in out
    monkeypatch.delenv(ENV_VARIABLE, raising=False)


def test_header_only_image_above_the_limit_is_refused_without_decoding(tmp_path):
    from fairdf.data.transforms import open_rgb

    huge = header_only_png(tmp_path / "huge.png", 100_000, 100_000)
    with pytest.raises(ImageError, match="100000 x 100000"):
        open_rgb(huge)


def test_issue13_predict_skips_one_bomb_in_a_folder(tmp_path):
    """One oversized file is listed as unreadable; the rest of the folder is still processed."""
    from types import SimpleNamespace

    from fairdf.inference.detector import _Scorer
    from fairdf.inference.media import collect_media
    from fairdf.inference.results import PredictionReport

    header_only_png(tmp_path / "bomb.png", 30_000, 30_000)
    Image.new("RGB", (16, 16)).save(tmp_path / "good.png")
    seen = []
    detector = SimpleNamespace(crop=lambda rgb, align: seen.append(rgb.shape), batch_size=4)
    report = PredictionReport()
    with _Scorer(detector, report) as scorer:
        for media in collect_media([tmp_path]):
            scorer.add_image(media, align=False)
    assert seen == [(16, 16, 3)]  # good.png decoded and handed on
    assert [s.source for s in report.unreadable] == [str(tmp_path / "bomb.png")]
    assert "30000 x 30000" in report.unreadable[0].reason


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    """An untrained tiny detector saved as a checkpoint (the weights do not matter here)."""
    from fairdf.engine.checkpoint import save_checkpoint
    from fairdf.models import DetectorConfig
    from fairdf.models.detector import FairDetector

    model = FairDetector(DetectorConfig(encoder="tiny", image_size=32))
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "best", model, scheme="ffpp")


@pytest.mark.parametrize("bad", ["bomb", "corrupt"])
def test_issue13_test_with_workers_names_the_bad_image(tmp_path, capsys, bad, tiny_checkpoint):
    """`fairdf test` uses DataLoader workers by default: the file must still be named."""
    image = header_only_png(tmp_path / "bad.png", 20_000, 20_000)
    if bad == "corrupt":
        image.write_bytes(b"\x89PNG\r\n\x1a\ntruncated")
    rows = ["a.png,0,1,-1,1,-1,1", "bad.png,1,1,-1,1,-1,1"]
    manifest = write_manifest(tmp_path / "test.csv", rows)
    out = tmp_path / "results"
    status, _, err = run_cli(
        capsys, "test", "--checkpoint", tiny_checkpoint, "--manifest", manifest, "--out", out,
        "--device", "cpu", "--workers", "1", "--batch-size", "1",
    )  # fmt: skip
    assert status == 2
    assert_one_line_error(err, str(image))
    assert "DataLoader worker" not in err and not out.exists()


def test_issue13_test_on_a_manifest_named_dots_csv(tmp_path, capsys, tiny_checkpoint):
    rows = ["a.png,0,1,-1,1,-1,1", "b.png,1,1,-1,1,-1,1"]
    manifest = write_manifest(tmp_path / "data" / "...csv", rows)
    out = tmp_path / "results"
    status, _, err = run_cli(
        capsys, "test", "--checkpoint", tiny_checkpoint, "--manifest", manifest, "--out", out,
        "--device", "cpu", "--workers", "0",
    )  # fmt: skip
    assert status == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["csv"]
    assert (out / "csv" / "predictions.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "results"]
