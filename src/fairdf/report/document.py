"""The report as data: sections of paragraphs, tables and figures, rendered by
`report.html` (one self-contained page) and `report.markdown` (the Markdown twin).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    """One table cell: its value, an optional interval ("[low, high]") and whether the
    value is undefined (shown as "n/a" and highlighted)."""

    text: str
    interval: str = ""
    undefined: bool = False

    @property
    def plain(self) -> str:
        """The cell as one line of text: "12.34 [10.00, 14.50]"."""
        return f"{self.text} {self.interval}" if self.interval else self.text


@dataclass(frozen=True)
class Table:
    """A table with a stable `key` (HTML id) and a caption; the first `text_columns`
    columns hold text (left-aligned), the others numbers (right-aligned)."""

    key: str
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    text_columns: int = 1
    html_rows: tuple[int, ...] | None = None  # rows shown on the HTML page (None: all)
    html_note: str = ""  # says which rows the HTML page leaves out


@dataclass(frozen=True)
class Figure:
    """A PNG figure; `name` is its file stem in the Markdown twin's figure folder."""

    name: str
    title: str
    caption: str
    png: bytes


@dataclass
class Section:
    """A titled part of the report, rendered in this order: paragraphs, definitions
    (term, meaning), tables, figures."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    definitions: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    alert: bool = False  # drawn as a highlighted box (excluded values, warnings)


@dataclass
class Document:
    """The whole report: header facts (label, value), notices shown at the top, sections."""

    title: str
    facts: list[tuple[str, str]]
    notices: list[str]
    sections: list[Section]
    warnings: list[str] = field(default_factory=list)  # also printed on standard error

    @property
    def figures(self) -> list[Figure]:
        return [figure for section in self.sections for figure in section.figures]

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]
