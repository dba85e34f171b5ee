"""The audit report: one self-contained HTML page and its Markdown twin.

paths = write_report("fairdf-demo")                 # demo folder: run/ + predictions.csv
paths = write_report("run", predictions="test/ffpp/predictions.csv", bootstrap=1000)
paths.html, paths.markdown, paths.figures           # report.html, report.md, report_files/
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from fairdf.errors import ConfigError
from fairdf.io import atomic_path
from fairdf.paths import check_output_file, check_output_folder
from fairdf.report.build import ReportOptions, build_document
from fairdf.report.document import Document
from fairdf.report.sources import ReportInputs, resolve_inputs

__all__ = ["ReportInputs", "ReportOptions", "ReportPaths", "report_paths", "write_report"]


@dataclass(frozen=True)
class ReportPaths:
    """The files of one report: the page, its Markdown twin and the twin's figure folder."""

    html: Path
    markdown: Path
    figures: Path
    warnings: tuple[str, ...] = ()  # one-line warnings about the content (commands print them)


def report_paths(out: str | os.PathLike) -> ReportPaths:
    """`X.html` -> X.html, X.md and X_files/ beside it."""
    html = Path(out).expanduser().absolute()
    if html.is_dir():
        raise ConfigError(
            f"--out {out} is a folder; give a file name such as {html / 'report.html'}"
        )
    if html.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(
            f"--out {out}: name the HTML page, e.g. report.html (the Markdown twin is written beside it)"
        )
    return ReportPaths(html, html.with_suffix(".md"), html.with_name(f"{html.stem}_files"))


def write_report(
    source: str | os.PathLike,
    out: str | os.PathLike | None = None,
    *,
    predictions: str | os.PathLike | None = None,
    scheme: str | None = None,
    bootstrap: int = 1000,
    ci: float = 0.95,
    cluster_by: str | None = None,
    by: Iterable[str] = (),
    threshold: float = 0.5,
    seed: int = 0,
    reference_convention: bool = False,
    video_column: str | None = None,
    video_aggregate: str = "mean",
    reference_groups: dict[str, str] | None = None,
    held_out: Iterable[str] = (),
) -> ReportPaths:
    """Write the report of `source` (predictions CSV, run directory or demo folder).

    `out` defaults to report.html inside a folder source or beside a CSV source. Every
    number and figure is computed before anything is written; the three outputs then
    replace any earlier ones atomically.
    """
    inputs = resolve_inputs(source, predictions)
    paths = report_paths(inputs.default_out if out is None else out)
    check_output_file(paths.html, "report page")  # all three checked before any write
    check_output_file(paths.markdown, "report Markdown")
    check_output_folder(paths.figures, "report figures folder")
    options = ReportOptions(
        scheme=scheme,
        bootstrap=bootstrap,
        ci=ci,
        cluster_by=cluster_by,
        by=tuple(by),
        threshold=threshold,
        seed=seed,
        reference_convention=reference_convention,
        video_column=video_column,
        video_aggregate=video_aggregate,
        reference_groups=tuple((reference_groups or {}).items()),
        held_out=tuple(held_out),
    )
    document = build_document(inputs, options, twin=paths.markdown.name)
    save_report(document, paths)
    return dataclasses.replace(paths, warnings=tuple(document.warnings))


def save_report(document: Document, paths: ReportPaths) -> None:
    """Write the page, the Markdown twin and its PNG files, all or nothing."""
    from fairdf.report.html import render_html
    from fairdf.report.markdown import render_markdown

    page = render_html(document)
    text = render_markdown(document, paths.figures.name)
    with ExitStack() as stack:
        html = stack.enter_context(atomic_path(paths.html))
        markdown = stack.enter_context(atomic_path(paths.markdown))
        folder = stack.enter_context(atomic_path(paths.figures))
        folder.mkdir()
        for figure in document.figures:
            (folder / f"{figure.name}.png").write_bytes(figure.png)
        markdown.write_text(text, encoding="utf-8")
        html.write_text(page, encoding="utf-8")
