import json

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from fairdf.cli import main


def test_demo_leaves_run_predictions_and_metrics(tmp_path, capsys):
    out = tmp_path / "demo"
    code = main([
        "demo", "--out", str(out), "--n", "120", "--epochs", "1",
        "--set", "model.encoder=tiny", "--set", "model.image_size=32",
        "--set", "model.encoder_channels=64",
        "--set", "model.feature_channels=32", "--set", "model.hidden_dim=64",
        "--set", "train.progress=false", "--set", "train.device=cpu",
    ])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "AUC per manipulation method" in printed and "smoothing" in printed
    predictions = pd.read_csv(out / "predictions.csv")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["overall"]["auc"] == pytest.approx(
        roc_auc_score(predictions["label"], predictions["score"])
    )
    assert (out / "run" / "checkpoints" / "best" / "model.safetensors").is_file()
    assert set(predictions["method_name"]) >= {"real", "smoothing"}  # the held-out method is tested


def test_demo_refuses_a_folder_it_did_not_write(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["demo", "--out", str(tmp_path)]) == 2
    assert "not an earlier demo output" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_demo_asks_before_replacing_an_earlier_demo(tmp_path, capsys):
    from fairdf.demo import prepare_folder

    earlier = tmp_path / "fairdf-demo"
    (earlier / "data").mkdir(parents=True)
    (earlier / "data" / "dataset.json").write_text("{}")
    (earlier / "run.txt").write_text("the checkpoint the README uses")
    assert main(["demo", "--out", str(earlier)]) == 2
    err = capsys.readouterr().err
    assert "--overwrite" in err and len(err.strip().splitlines()) == 1
    assert (earlier / "run.txt").is_file()
    prepare_folder(earlier, overwrite=True)
    assert not earlier.exists()


def busy_then_idle(idle_jiffies: int, total_jiffies: int):
    """A fake /proc/stat reader: two samples `total_jiffies` apart, `idle_jiffies` idle."""
    samples = iter([(1000, 5000), (1000 + idle_jiffies, 5000 + total_jiffies)])
    return lambda: next(samples)


@pytest.mark.parametrize(
    ("cores", "idle", "total", "expected"),
    [(2, 100, 100, 2), (2, 50, 100, 1), (2, 10, 100, 1), (8, 100, 100, 4), (4, 76, 100, 3)],
)
def test_demo_threads_follow_the_cores_idle_now(monkeypatch, cores, idle, total, expected):
    import os

    from fairdf import demo

    monkeypatch.setattr(demo, "cpu_times", busy_then_idle(idle, total))
    monkeypatch.setattr(demo.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    monkeypatch.setattr(os, "getloadavg", lambda: (99.0, 99.0, 99.0))  # not consulted
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert demo.demo_threads() == expected


def test_demo_threads_fall_back_to_the_load_average(monkeypatch):
    import os

    from fairdf import demo

    def unreadable():
        raise OSError("no /proc/stat")

    monkeypatch.setattr(demo, "cpu_times", unreadable)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(os, "getloadavg", lambda: (1.2, 1.0, 1.0))
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert demo.demo_threads() == 2  # 4 - 1.2 idle, capped by OMP_NUM_THREADS


def test_idle_cores_reads_this_machine():
    import os

    from fairdf import demo

    cores = len(os.sched_getaffinity(0))
    idle = demo.idle_cores(cores, window=0.05)
    assert idle is None or 0.0 <= idle <= cores
