"""Inputs of `fairdf report`: run directories, demo folders, and one-line errors (exit 2)
that leave no output behind."""

from __future__ import annotations

import json

import pytest
from helpers_report import (
    Page,
    epoch_record,
    make_predictions,
    markdown_tables,
    write_run,
    write_synthetic_marker,
)

from fairdf.cli import main
from fairdf.report import write_report

BOOTSTRAP = ["--bootstrap", "20"]


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    """The layout `fairdf demo` leaves: data/dataset.json, run/, predictions.csv."""
    folder = tmp_path_factory.mktemp("demo")
    write_synthetic_marker(
        folder / "data", note="Synthetic data: the group labels are placeholders."
    )
    write_run(folder / "run", [epoch_record(1), epoch_record(2)], data_root=folder / "data")
    make_predictions(n=200).to_csv(folder / "predictions.csv", index=False)
    return folder


def run_cli(capsys, *arguments: str) -> tuple[int, str, str]:
    status = main(["report", *map(str, arguments)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_demo_folder_has_tests_training_and_note(demo_folder, capsys):
    status, out, err = run_cli(capsys, demo_folder, *BOOTSTRAP)
    assert status == 0, err
    assert "report.html" in out
    text = (demo_folder / "report.html").read_text(encoding="utf-8")
    page = Page(text)
    assert {"summary", "excluded", "groups", "training", "glossary"} <= set(page.sections)
    assert "the group labels are placeholders" in text
    assert str(demo_folder / "run") in text and str(demo_folder / "predictions.csv") in text
    assert {"figure-training-losses", "figure-training-validation", "figure-roc"} <= set(
        _figure_ids(text)
    )


def _figure_ids(text: str) -> list[str]:
    return [part.split('"', 1)[0] for part in text.split('<figure id="')[1:]]


def test_run_directory_alone_shows_training_and_last_validation(tmp_path):
    records = [epoch_record(1, auc=0.61), epoch_record(2, auc=0.64), epoch_record(3, auc=None)]
    records.append(epoch_record(2, auc=0.66))  # a resumed run logs epoch 2 again: last wins
    run_dir = write_run(tmp_path / "run", records)
    paths = write_report(run_dir)
    assert paths.html == run_dir / "report.html"
    page = Page(paths.html.read_text(encoding="utf-8"))
    assert "summary" not in page.sections  # no predictions, no test tables
    detection = page.row("validation-detection", "3")
    assert detection["AUC"][:3] == ("n/a", "", True)  # null in the log
    assert detection["ACC"][0] == "63.00"
    fairness = page.row("validation-fairness", "3")
    assert (fairness["F_FPR"][0], fairness["AUC gap"][0]) == ("20.000", "n/a")
    assert len(page.images) == 2
    assert "No test predictions" in paths.html.read_text(encoding="utf-8")
    markdown = markdown_tables(paths.markdown.read_text(encoding="utf-8"))
    assert markdown["Validation detection, last epoch (%)"][1][:3] == ["3", "60", "n/a"]


def test_run_directory_with_predictions_option(tmp_path, capsys):
    run_dir = write_run(tmp_path / "run", [epoch_record(1)])
    make_predictions(n=120).to_csv(tmp_path / "test.csv", index=False)
    out = tmp_path / "out" / "audit.html"
    status, _, err = run_cli(
        capsys, run_dir, "--predictions", tmp_path / "test.csv", "--out", out, *BOOTSTRAP
    )
    assert status == 0, err
    page = Page(out.read_text(encoding="utf-8"))
    assert {"summary", "training"} <= set(page.sections)
    assert (tmp_path / "out" / "audit.md").is_file()
    assert len(list((tmp_path / "out" / "audit_files").glob("*.png"))) == len(page.images)


def test_cluster_resampling_and_threshold_are_reported(tmp_path):
    make_predictions(n=120).to_csv(tmp_path / "p.csv", index=False)
    paths = write_report(tmp_path / "p.csv", bootstrap=20, cluster_by="identity", threshold=0.6)
    text = paths.html.read_text(encoding="utf-8")
    assert "20 resamples of clusters of &#x27;identity&#x27;" in text
    assert "fake if score &gt; threshold 0.6" in text


def assert_error(capsys, arguments, *fragments):
    status, out, err = run_cli(capsys, *arguments)
    assert status == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fairdf report: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in err


def test_missing_source(tmp_path, capsys):
    assert_error(capsys, [tmp_path / "nope.csv"], "nope.csv", "not found")
    assert list(tmp_path.iterdir()) == []


def test_folder_without_run_or_predictions(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    assert_error(capsys, [tmp_path], "metrics.jsonl", "predictions.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_broken_training_log_names_the_line(tmp_path, capsys):
    run_dir = write_run(tmp_path / "run", [epoch_record(1)])
    with open(run_dir / "metrics.jsonl", "a", encoding="utf-8") as log:
        log.write('{"epoch": 2, "train": \n')
    assert_error(capsys, [run_dir], "metrics.jsonl:2", "JSON")
    assert not (run_dir / "report.html").exists()


def test_empty_training_log_without_predictions(tmp_path, capsys):
    run_dir = write_run(tmp_path / "run", [])
    assert_error(capsys, [run_dir], "no epoch logged yet", "--predictions")


def test_bad_predictions_leave_an_earlier_report_untouched(tmp_path, capsys):
    frame = make_predictions(n=80)
    frame.to_csv(tmp_path / "p.csv", index=False)
    out = tmp_path / "r" / "report.html"
    assert run_cli(capsys, tmp_path / "p.csv", "--out", out, *BOOTSTRAP)[0] == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.parent.rglob("*")}
    frame.loc[5, "label"] = 2
    frame.to_csv(tmp_path / "p.csv", index=False)
    assert_error(capsys, [tmp_path / "p.csv", "--out", out], "p.csv", "line 7", "label")
    assert {p.name: p.stat().st_mtime_ns for p in out.parent.rglob("*")} == before


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (["--out", "{tmp}"], ["is a folder"]),
        (["--out", "{tmp}/report.txt"], [".html"]),
        (["--predictions", "{tmp}/p.csv"], ["already a predictions CSV"]),
        (["--cluster-by", "nope", "--bootstrap", "5"], ["nope"]),
        (["--ci", "1.5"], ["1.5"]),
        (["--scheme", "martian"], ["martian"]),
    ],
)
def test_bad_options(tmp_path, capsys, extra, fragments):
    make_predictions(n=60).to_csv(tmp_path / "p.csv", index=False)
    arguments = [tmp_path / "p.csv", *(e.format(tmp=tmp_path) for e in extra)]
    assert_error(capsys, arguments, *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


def test_missing_predictions_option_file(tmp_path, capsys):
    run_dir = write_run(tmp_path / "run", [epoch_record(1)])
    assert_error(capsys, [run_dir, "--predictions", tmp_path / "x.csv"], "x.csv", "not found")


def test_log_without_epoch_is_rejected(tmp_path, capsys):
    run_dir = write_run(tmp_path / "run", [])
    (run_dir / "metrics.jsonl").write_text(json.dumps({"loss": 1.0}) + "\n")
    assert_error(capsys, [run_dir], "metrics.jsonl:1", "epoch")


def test_user_text_is_escaped(tmp_path):
    frame = make_predictions(n=80)
    frame["source site"] = frame["age"].map({"young": "<img src=x>", "middle": "a|b", "old": "c"})
    frame.to_csv(tmp_path / "p.csv", index=False)
    paths = write_report(tmp_path / "p.csv", bootstrap=0, by=["source site"])
    text = paths.html.read_text(encoding="utf-8")
    page = Page(text)
    assert all(source.startswith("data:image/png;base64,") for source in page.images)
    assert "&lt;img src=x&gt;" in text
    assert page.row("groups-source-site", "<img src=x>")["n"][0].isdigit()
    markdown = markdown_tables(paths.markdown.read_text(encoding="utf-8"))
    rows = markdown["Groups: source site (%)"][1:]
    assert [row[0] for row in rows] == ["\\<img src=x>", "a\\|b", "c"]
    assert (paths.figures / "scores-source-site.png").is_file()


@pytest.mark.parametrize(
    ("part", "key", "value"),
    [("val", "auc", "high"), ("train", "total", [1]), ("val", "n", True)],
)
def test_log_with_non_numeric_metric_names_line_and_key(tmp_path, capsys, part, key, value):
    record = epoch_record(1)
    record[part][key] = value
    run_dir = write_run(tmp_path / "run", [epoch_record(2), record])
    assert_error(capsys, [run_dir], "metrics.jsonl:2", f"'{part}.{key}'", "number or null")
    assert not (run_dir / "report.html").exists()
