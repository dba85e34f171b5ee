"""Issue 13 error boundary: OS, decoding and worker errors are one line; bugs keep tracebacks."""

from __future__ import annotations

import errno
import os

import pytest
from helpers_reliability import assert_one_line_error, run_cli, write_predictions

from fairdf.boundary import user_message
from fairdf.errors import ImageError


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        (errno.EROFS, "read-only"),
        (errno.ENOSPC, "disk is full"),
        (errno.EACCES, "permission"),
        (errno.EISDIR, "folder"),
        (errno.ENOTDIR, "not a folder"),
        (errno.ENAMETOOLONG, "too long"),
    ],
)
def test_os_errors_name_the_path_and_what_to_do(code, hint):
    message = user_message(OSError(code, os.strerror(code), "/data/out.json"))
    assert message is not None and "/data/out.json" in message and hint in message
    assert "\n" not in message


def test_a_bug_is_not_a_user_error():
    assert user_message(ZeroDivisionError("division by zero")) is None
    assert user_message(KeyError("x")) is None


def test_worker_wrapper_is_unwrapped_to_the_original_message():
    wrapped = ImageError(
        "Caught ImageError in DataLoader worker process 0.\nOriginal Traceback (most recent "
        'call last):\n  File "x.py", line 1, in f\nfairdf.errors.ImageError: cannot decode '
        "image /d/broken.png (truncated); replace or remove it\n"
    )
    assert (
        user_message(wrapped)
        == "cannot decode image /d/broken.png (truncated); replace or remove it"
    )
    bug = RuntimeError(
        "Caught ZeroDivisionError in DataLoader worker process 1.\nOriginal Traceback:\n"
        "ZeroDivisionError: division by zero\n"
    )
    assert user_message(bug) is None


def test_issue13_dataloader_worker_error_names_the_file(tmp_path):
    import pandas as pd
    from torch.utils.data import DataLoader

    from fairdf.data.datasets import ImageDataset, collate_images

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    frame = pd.DataFrame({"path": [str(broken)], "label": [0], "group": [0], "method": [0]})
    loader = DataLoader(ImageDataset(frame, 16), num_workers=1, collate_fn=collate_images)
    with pytest.raises(Exception) as caught:
        next(iter(loader))
    assert "DataLoader worker" in str(caught.value)  # torch's wrapper hides the file ...
    message = user_message(caught.value)
    assert message is not None and str(broken) in message  # ... the boundary recovers it


@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC, errno.EACCES])
def test_issue13_metrics_json_on_a_read_only_or_full_disk(tmp_path, capsys, monkeypatch, code):
    import fairdf.io

    predictions = write_predictions(tmp_path / "p.csv")
    real_replace = os.replace

    def failing_replace(source, target):
        if str(target).endswith("out.json"):
            raise OSError(code, os.strerror(code), str(target))
        return real_replace(source, target)

    monkeypatch.setattr(fairdf.io.os, "replace", failing_replace)
    status, _, err = run_cli(capsys, "metrics", predictions, "--json", tmp_path / "out.json")
    assert status == 2
    assert_one_line_error(err, "out.json", os.strerror(code))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]  # temporary removed


def test_a_real_bug_keeps_its_traceback(tmp_path, capsys, monkeypatch):
    import fairdf.metrics

    predictions = write_predictions(tmp_path / "p.csv")

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(fairdf.metrics, "measure_predictions", broken)
    with pytest.raises(ZeroDivisionError):
        run_cli(capsys, "metrics", predictions)


def test_issue13_cli_integers_are_refused_by_argparse(capsys):
    for flag, value in (("--batch-size", "0"), ("--workers", "-1")):
        args = ["test", "--checkpoint", "c", "--manifest", "m.csv", "--out", "o", flag, value]
        status, _, err = run_cli(capsys, *args)
        assert status == 2
        assert_one_line_error(err, flag, "must be an integer in [")
