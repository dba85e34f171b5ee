"""Shared pieces of the report tests: input fixtures written to disk and page parsers."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd

ONLY_FAKE_GROUP = 7  # nonmale-others: fakes only -> FPR, TNR, AUC undefined
ABSENT_GROUP = 6  # nonmale-black: no images at all


def make_predictions(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Scored images over groups 0..5 of the 8-group scheme, plus fakes of group 7.

    Groups differ in how well the scores separate reals from fakes, so the fairness
    metrics are non-zero; `identity` (clusters) and `age` (a --by column) are extra.
    """
    rng = np.random.default_rng(seed)
    group = np.concatenate([rng.integers(0, 6, n), np.full(24, ONLY_FAKE_GROUP)])
    label = np.concatenate([rng.integers(0, 2, n), np.ones(24, dtype=np.int64)])
    separation = 0.15 + 0.05 * group
    score = np.clip(0.5 + (label - 0.5) * separation + rng.normal(0, 0.2, label.size), 0, 1)
    return pd.DataFrame(
        {
            "img_path": [f"images/{i:05d}.png" for i in range(label.size)],
            "label": label,
            "intersec_label": group,
            "score": score.round(6),
            "identity": rng.integers(0, 60, label.size),
            "age": rng.choice(["young", "middle", "old"], label.size),
        }
    )


def epoch_record(epoch: int, auc: float | None = 0.7) -> dict:
    """One line of metrics.jsonl as `fairdf train` writes it."""
    return {
        "epoch": epoch,
        "lr": 0.0005,
        "world_size": 1,
        "train": {"total": 4.0 - 0.3 * epoch, "shared": 0.69 - 0.01 * epoch, "fuse": 0.7},
        "val": {
            "n": 60,
            "auc": auc,
            "acc": 0.6 + 0.01 * epoch,
            "eer": 0.4,
            "ap": 0.65,
            "fpr": 0.3,
            "tpr": 0.5,
            "F_FPR": 0.2,
            "F_EO": 0.45,
            "F_OAE": 0.1,
            "F_DP": 0.15,
            "F_MEO": 0.25,
            "FPR_gap": 0.12,
            "AUC_gap": None,
            "ErrorRate_gap": 0.08,
        },
        "seconds": 12.5,
    }


def write_run(run_dir: Path, records: list[dict], data_root: Path | None = None) -> Path:
    """A run directory: metrics.jsonl (one JSON record per line) and config.yaml."""
    run_dir.mkdir(parents=True)
    lines = "".join(json.dumps(record) + "\n" for record in records)
    (run_dir / "metrics.jsonl").write_text(lines, encoding="utf-8")
    root = data_root or run_dir
    config = (
        f"data:\n  root: {root}\n  scheme: ffpp\nmodel:\n  encoder: tiny\n"
        "optim:\n  sam: true\ntrain:\n  epochs: 5\n  batch_size: 16\n"
    )
    (run_dir / "config.yaml").write_text(config, encoding="utf-8")
    return run_dir


def write_synthetic_marker(folder: Path, note: str = "Synthetic data: placeholders.") -> None:
    """The dataset.json `fairdf synth` leaves, with its placeholder note."""
    folder.mkdir(parents=True, exist_ok=True)
    metadata = {"generator": "fairdf synth", "note": note}
    (folder / "dataset.json").write_text(json.dumps(metadata), encoding="utf-8")


class Page(HTMLParser):
    """The parts of a report page the tests check: tables by id, images, sections, links."""

    def __init__(self, text: str):
        super().__init__()
        self.tables: dict[str, dict] = {}
        self.images: list[str] = []
        self.sections: dict[str, str] = {}  # id -> class
        self.resources: list[str] = []  # every src/href value
        self.tags: list[str] = []
        self._table: dict | None = None
        self._cell: list[str] | None = None
        self._in_interval = self._in_caption = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        self.tags.append(tag)
        for key in ("src", "href"):
            if key in attributes:
                self.resources.append(attributes[key])
        if tag == "img":
            self.images.append(attributes["src"])
        elif tag == "section":
            self.sections[attributes["id"]] = attributes.get("class") or ""
        elif tag == "table":
            self._table = {"caption": "", "header": [], "rows": []}
            self.tables[attributes["id"]] = self._table
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self._table is not None:
            self._table["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = ["", "", "na" in (attributes.get("class") or "")]
        elif tag == "span" and attributes.get("class") == "ci":
            self._in_interval = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._in_interval = False
        elif tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._table is not None and self._cell is not None:
            value, interval, undefined = self._cell
            self._table["rows"][-1].append((value.strip(), interval.strip(), undefined))
            self._cell = None
        elif tag == "table" and self._table is not None:
            header, *rows = self._table["rows"]
            self._table["header"] = [value for value, _, _ in header]
            self._table["rows"] = rows
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._in_caption and self._table is not None:
            self._table["caption"] += data
        elif self._cell is not None:
            self._cell[1 if self._in_interval else 0] += data

    def row(self, table: str, first: str) -> dict[str, tuple[str, str, bool]]:
        """The row of `table` whose first cell is `first`, as {column: (value, interval, na)}."""
        found = self.tables[table]
        for row in found["rows"]:
            if row[0][0] == first:
                return dict(zip(found["header"], row, strict=True))
        raise AssertionError(f"no row '{first}' in table {table}")


def markdown_tables(text: str) -> dict[str, list[list[str]]]:
    """Pipe tables of a Markdown file keyed by their bold caption line: header + rows."""
    tables: dict[str, list[list[str]]] = {}
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not (line.startswith("| ") and index >= 2 and lines[index - 2].startswith("**")):
            continue
        caption = lines[index - 2].strip("*")
        rows = []
        for row in lines[index:]:
            if not row.startswith("|"):
                break
            rows.append([cell.strip() for cell in row.strip("|").split(" | ")])
        tables[caption] = [rows[0], *rows[2:]]  # drop the alignment row
    return tables
