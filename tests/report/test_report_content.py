"""The report of a predictions CSV: structure, figures, and numbers checked against
scikit-learn (independent oracle) and against `compute_metrics` (what the page displays)."""

from __future__ import annotations

import base64
import io
import math

import numpy as np
import pytest
from helpers_report import ABSENT_GROUP, ONLY_FAKE_GROUP, Page, make_predictions, markdown_tables
from PIL import Image
from sklearn.metrics import average_precision_score, confusion_matrix, roc_auc_score

from fairdf.data.groups import get_scheme
from fairdf.metrics import FAIRNESS_METRICS, compute_metrics, read_predictions
from fairdf.report import write_report

BOOTSTRAP = 50
SCHEME = get_scheme("ffpp")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A report of a bare predictions CSV with a --by column, and the frame it came from."""
    folder = tmp_path_factory.mktemp("csv")
    frame = make_predictions()
    frame.to_csv(folder / "predictions.csv", index=False)
    paths = write_report(folder / "predictions.csv", bootstrap=BOOTSTRAP, by=["age"], seed=3)
    page = Page(paths.html.read_text(encoding="utf-8"))
    return paths, page, frame


def percent(value: float, digits: int = 2) -> str:
    return f"{100 * value:.{digits}f}"


def rates(label: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    """FPR, TPR, ACC from sklearn's confusion matrix (NaN where undefined)."""
    tn, fp, fn, tp = confusion_matrix(label, predicted, labels=[0, 1]).ravel()
    fpr = fp / (fp + tn) if fp + tn else math.nan
    tpr = tp / (tp + fn) if tp + fn else math.nan
    return fpr, tpr, (tp + tn) / label.size


def test_default_outputs_sit_beside_the_csv(report):
    paths, _, _ = report
    folder = paths.html.parent
    assert paths.html == folder / "report.html"
    assert paths.markdown == folder / "report.md"
    assert paths.figures == folder / "report_files"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_every_figure_is_an_embedded_png(report):
    paths, page, _ = report
    assert len(page.images) >= 5  # ROC, 4 rate views, 2 histogram views
    for source in page.images:
        prefix = "data:image/png;base64,"
        assert source.startswith(prefix)
        data = base64.b64decode(source[len(prefix) :], validate=True)
        assert data.startswith(PNG_SIGNATURE)
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            assert image.size[0] > 200 and image.size[1] > 150
    files = sorted(paths.figures.glob("*.png"))
    assert len(files) == len(page.images)
    embedded = {base64.b64decode(s.split(",", 1)[1]) for s in page.images}
    assert {f.read_bytes() for f in files} == embedded


def test_page_is_self_contained(report):
    _, page, _ = report
    assert "link" not in page.tags
    external = [r for r in page.resources if not r.startswith(("data:", "#"))]
    assert external == []


def test_overall_numbers_match_sklearn(report):
    _, page, frame = report
    label, score = frame["label"].to_numpy(), frame["score"].to_numpy()
    fpr, tpr, acc = rates(label, score > 0.5)
    row = page.row("summary-overall", str(len(frame)))
    assert row["AUC"][0] == percent(roc_auc_score(label, score))
    assert row["AP"][0] == percent(average_precision_score(label, score))
    assert row["ACC"][0] == percent(acc)
    assert row["FPR"][0] == percent(fpr)
    assert row["TPR"][0] == percent(tpr)
    low, high = (float(x) for x in row["AUC"][1].strip("[]").split(", "))
    assert low <= float(row["AUC"][0]) <= high


def test_group_rows_match_sklearn_on_masks(report):
    _, page, frame = report
    group = frame["intersec_label"].to_numpy()
    for group_id in (0, 3, 5):
        mask = group == group_id
        label, score = frame["label"].to_numpy()[mask], frame["score"].to_numpy()[mask]
        fpr, tpr, acc = rates(label, score > 0.5)
        row = page.row("groups-intersectional", SCHEME.group_names[group_id])
        assert row["n"][0] == str(mask.sum())
        assert row["real"][0] == str((label == 0).sum())
        assert row["AUC"][0] == percent(roc_auc_score(label, score))
        assert (row["ACC"][0], row["FPR"][0], row["TPR"][0]) == tuple(map(percent, (acc, fpr, tpr)))
        assert row["AUC"][1].startswith("[")  # bootstrap interval shown


def test_fairness_matches_brute_force(report):
    """F_FPR over the intersectional groups, from sklearn counts per group (float64)."""
    _, page, frame = report
    label, group = frame["label"].to_numpy(), frame["intersec_label"].to_numpy()
    predicted = frame["score"].to_numpy() > 0.5
    overall_fpr = rates(label, predicted)[0]
    group_fprs = [rates(label[group == g], predicted[group == g])[0] for g in np.unique(group)]
    defined = [f for f in group_fprs if not math.isnan(f)]
    expected = sum(abs(f - overall_fpr) for f in defined)
    row = page.row("summary-fairness", "intersectional")
    assert row["F_FPR"][0] == percent(expected, 3)
    assert row["FPR gap"][0] == percent(max(defined) - min(defined), 3)
    assert [r[0][0] for r in page.tables["summary-fairness"]["rows"]] == [
        "intersectional",
        "gender",
        "race",
        "age",
    ]


def test_tables_show_every_number_of_compute_metrics(report):
    """Every displayed value and interval is compute_metrics' (same options and seed)."""
    paths, page, frame = report
    table = read_predictions(paths.html.parent / "predictions.csv")
    result = compute_metrics(table, by=["age"], bootstrap=BOOTSTRAP, seed=3).to_json_dict()
    for view, groups in result["groups"].items():
        for group, values in groups.items():
            row = page.row(f"groups-{view}", group)
            intervals = result["intervals"]["groups"][view][group]
            for metric in ("auc", "acc", "fpr", "tpr", "tnr", "fnr", "pr", "eer", "ap"):
                shown, interval, undefined = row[metric.upper()]
                value = values[metric]
                assert shown == ("n/a" if value is None else percent(value)), (view, group, metric)
                assert undefined == (value is None)
                bounds = intervals.get(metric)
                expected = (
                    "" if not bounds or value is None else "[{}, {}]".format(*map(percent, bounds))
                )
                assert interval == expected
    for view, values in result["fairness"].items():
        row = page.row("summary-fairness", view)
        parity = page.row("summary-parity", view)
        for metric, value in values.items():
            if metric in FAIRNESS_METRICS:
                assert row[metric.replace("_gap", " gap")][0] == percent(value, 3)
            elif metric == "F_COV":
                assert parity[metric][0] == ("n/a" if value is None else f"{value:.3f}")
            else:
                title = metric.replace("_gap", " gap").replace("_ratio", " ratio")
                assert parity[title][0] == percent(value, 3), (view, metric)


def test_excluded_values_are_listed_prominently(report):
    _, page, _ = report
    assert page.sections["excluded"] == "alert"
    rows = {(r[1][0], r[2][0]): r for r in page.tables["excluded"]["rows"]}
    absent = rows[(SCHEME.group_names[ABSENT_GROUP], "no images")]
    assert absent[3][0] == "every metric"
    only_fake = rows[(SCHEME.group_names[ONLY_FAKE_GROUP], "no real images")]
    assert "FPR" in only_fake[3][0] and "AUC" in only_fake[3][0]
    assert "F_FPR" in only_fake[4][0]  # left out of, not counted as 0
    row = page.row("groups-intersectional", SCHEME.group_names[ONLY_FAKE_GROUP])
    assert row["FPR"][:1] == ("n/a",) and row["FPR"][2]
    assert row["TPR"][0] != "n/a"


def test_markdown_twin_has_the_same_tables(report):
    paths, page, _ = report
    text = paths.markdown.read_text(encoding="utf-8")
    twins = markdown_tables(text)
    assert len(twins) == len(page.tables)
    for table in page.tables.values():
        header, *rows = twins[table["caption"]]
        assert header == table["header"]
        expected = [[f"{v} {i}".strip() for v, i, _ in row] for row in table["rows"]]
        assert rows == expected
    for figure in paths.figures.glob("*.png"):
        assert f"](report_files/{figure.name})" in text


def test_header_and_glossary(report):
    paths, page, frame = report
    text = paths.html.read_text(encoding="utf-8")
    assert (
        f"{len(frame)} ({(frame.label == 0).sum()} real, {(frame.label == 1).sum()} fake)" in text
    )
    assert f"from {BOOTSTRAP} resamples of images (seed 3)" in text
    assert "glossary" in page.sections
    for term in ("F_FPR", "F_EO", "F_OAE", "F_DP", "F_MEO", "ErrorRate gap"):
        assert f"<dt>{term}</dt>" in text
    assert "placeholders" not in text  # not synthetic data: no note


def test_banner_counts_the_rows_of_the_excluded_table_videos_included(tmp_path):
    import re

    frame = make_predictions(n=200)
    frame["video"] = np.arange(len(frame))  # one frame per video: the video view has gaps too
    frame.to_csv(tmp_path / "p.csv", index=False)
    paths = write_report(tmp_path / "p.csv", bootstrap=0)
    text = paths.html.read_text(encoding="utf-8")
    banner = re.search(r"(\d+) rows of undefined values", text)
    table = text.split('<table id="excluded">')[1].split("</table>")[0]
    rows = table.split("<tbody>")[1].count("<tr>")
    assert banner and int(banner.group(1)) == rows
    assert "(videos)" in table
