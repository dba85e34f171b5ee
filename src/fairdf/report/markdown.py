"""Render a `Document` as Markdown (GitHub flavour), the HTML page's twin.

Figures are linked, not embedded: `![title](<figure folder>/<name>.png)`, the PNG files
being written to the folder beside the Markdown file (many Markdown viewers do not
show data URIs, and PNG files are easy to reuse in slides and papers).
"""

from __future__ import annotations

from urllib.parse import quote

from fairdf.report.document import Document, Section, Table


def render_markdown(document: Document, figure_folder: str) -> str:
    """The whole twin as a string; figure links are relative to the Markdown file."""
    lines = [f"# {document.title}", ""]
    lines += [f"- **{label}:** {_inline(value)}" for label, value in document.facts]
    lines.append("")
    for notice in document.notices:
        lines += [f"> **Note:** {_inline(notice)}", ""]
    for section in document.sections:
        lines += _section(section, figure_folder)
    return "\n".join(lines).rstrip() + "\n"


def _inline(text: str) -> str:
    """Text safe inside a Markdown line or table cell: one line, no table breaks, no
    raw HTML (a backslash before '<' keeps e.g. a group named "<img ...>" as text)."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "\\<")


def _section(section: Section, figure_folder: str) -> list[str]:
    title = f"## {section.title}" + (" (attention)" if section.alert else "")
    lines = [title, ""]
    for paragraph in section.paragraphs:
        lines += [_inline(paragraph), ""]
    if section.definitions:
        lines += [f"- **{term}**: {_inline(meaning)}" for term, meaning in section.definitions]
        lines.append("")
    for table in section.tables:
        lines += table_lines(table)
    for figure in section.figures:
        lines += [
            f"![{_inline(figure.title)}]({quote(figure_folder)}/{figure.name}.png)",
            "",
            f"*{_inline(figure.title)}.* {_inline(figure.caption)}",
            "",
        ]
    return lines


def table_lines(table: Table) -> list[str]:
    """Caption, pipe table (text columns left-aligned, numbers right), note."""
    align = ["---" if i < table.text_columns else "---:" for i in range(len(table.header))]
    lines = [f"**{_inline(table.caption)}**", ""]
    lines.append("| " + " | ".join(_inline(h) for h in table.header) + " |")
    lines.append("| " + " | ".join(align) + " |")
    for row in table.rows:
        lines.append("| " + " | ".join(_inline(cell.plain) for cell in row) + " |")
    lines.append("")
    if table.note:
        lines += [f"*{_inline(table.note)}*", ""]
    return lines
