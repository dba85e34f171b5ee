"""A kill between an epoch's last/ and its best/ or log line: test and report say so."""

import json
import shutil

import pytest

from fairdf.cli import main
from fairdf.engine.run_dir import unfinished_save


@pytest.fixture()
def stale_run(tiny_checkpoint, tmp_path):
    """A one-epoch run made to look killed after epoch 2's last/ (which was the best)."""
    run = shutil.copytree(tiny_checkpoint.parent.parent, tmp_path / "run")
    info_path = run / "checkpoints" / "last" / "checkpoint.json"
    info = json.loads(info_path.read_text())
    info["metadata"].update(epoch=2, best_epoch=2)
    info_path.write_text(json.dumps(info))
    return run


def test_a_finished_run_is_not_flagged(tiny_checkpoint):
    assert unfinished_save(tiny_checkpoint.parent.parent) is None


def test_the_stale_best_and_log_are_named(stale_run):
    message = unfinished_save(stale_run)
    assert "checkpoints/best holds epoch 1, not the best epoch 2" in message
    assert "metrics.jsonl ends at epoch 1" in message
    assert message.endswith(f"fairdf train --resume {stale_run}")


def test_test_and_report_warn_about_an_unfinished_save(stale_run, synthetic_data, tmp_path, capsys):
    best = stale_run / "checkpoints" / "best"
    argv = ["test", "--checkpoint", str(best), "--manifest", str(synthetic_data.root / "test.csv")]
    assert main([*argv, "--out", str(tmp_path / "test"), "--workers", "0"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "fairdf train --resume" in warnings[0], warnings
    assert main(["report", str(stale_run), "--bootstrap", "0"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "fairdf train --resume" in warnings[0], warnings
