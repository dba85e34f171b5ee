"""Render a `Document` as one self-contained HTML page.

Figures are embedded as `data:image/png;base64` URIs and the style sheet is inline, so
the page needs no other file and no network. A tiny inline script sets
`<body data-images-loaded="loaded/total">` once the page has loaded (used by the
headless-browser test; harmless elsewhere).
"""

from __future__ import annotations

import base64
from html import escape
from string import Template

from fairdf import __version__
from fairdf.report.document import Cell, Document, Figure, Section, Table

PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="fairdf $version">
<title>$title</title>
<style>$style</style>
</head>
<body>
<header>
<h1>$title</h1>
$facts
$notices
<nav><b>Contents:</b> $contents</nav>
</header>
<main>
$sections
</main>
<script>$script</script>
</body>
</html>
"""
)

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #1d232a; background: #fff; margin: 0 auto; max-width: 1180px; padding: 24px 32px;
  line-height: 1.45; }
h1 { font-size: 1.6em; margin: 0 0 12px; }
h2 { font-size: 1.25em; border-bottom: 2px solid #d8dee4; padding-bottom: 4px; margin-top: 36px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 12px; }
dl.facts dt { font-weight: 600; color: #57606a; }
dl.facts dd { margin: 0; word-break: break-all; }
.notice { background: #fff8c5; border-left: 5px solid #d4a72c; padding: 8px 12px; margin: 8px 0; }
section.alert { background: #fff1f0; border: 2px solid #cf222e; border-radius: 6px;
  padding: 4px 16px 12px; }
section.alert h2 { color: #a40e26; border-color: #f1aeb5; margin-top: 12px; }
nav { margin: 12px 0; font-size: 0.95em; }
nav a { margin-right: 12px; }
.scroll { overflow-x: auto; margin: 8px 0 4px; }
table { border-collapse: collapse; font-size: 0.88em; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: right; vertical-align: top; }
th { background: #f3f5f7; }
th.text, td.text { text-align: left; }
tbody tr:nth-child(even) { background: #f9fafb; }
td.na { background: #ffebe9; color: #a40e26; font-weight: 600; }
.ci { display: block; color: #57606a; font-size: 0.85em; white-space: nowrap; }
p.note { font-size: 0.85em; color: #57606a; margin: 2px 0 12px; }
.figures { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: flex-start; }
figure { margin: 12px 0 16px; max-width: 100%; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eaeef2; }
figcaption { font-size: 0.9em; color: #424a53; max-width: 420px; }
dl.glossary dt { font-weight: 600; float: left; clear: left; width: 130px; }
dl.glossary dd { margin: 0 0 4px 140px; }
"""

SCRIPT = """
window.addEventListener("load", function () {
  var images = document.images, loaded = 0;
  for (var i = 0; i < images.length; i++) {
    if (images[i].complete && images[i].naturalWidth > 0) { loaded++; }
  }
  document.body.setAttribute("data-images-loaded", loaded + "/" + images.length);
});
"""


def render_html(document: Document) -> str:
    """The whole page as a string."""
    return PAGE.substitute(
        version=escape(__version__),
        title=escape(document.title),
        style=STYLE,
        facts=_facts(document.facts),
        notices="\n".join(f'<div class="notice">{escape(n)}</div>' for n in document.notices),
        contents=" ".join(
            f'<a href="#{escape(s.key)}">{escape(s.title)}</a>' for s in document.sections
        ),
        sections="\n".join(_section(section) for section in document.sections),
        script=SCRIPT,
    )


def _facts(facts: list[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in facts)
    return f'<dl class="facts">{rows}</dl>'


def _section(section: Section) -> str:
    css = ' class="alert"' if section.alert else ""
    parts = [f'<section id="{escape(section.key)}"{css}>', f"<h2>{escape(section.title)}</h2>"]
    parts += [f"<p>{escape(text)}</p>" for text in section.paragraphs]
    if section.definitions:
        terms = "".join(
            f"<dt>{escape(term)}</dt><dd>{escape(meaning)}</dd>"
            for term, meaning in section.definitions
        )
        parts.append(f'<dl class="glossary">{terms}</dl>')
    parts += [_table(table) for table in section.tables]
    if section.figures:
        figures = "\n".join(_figure(figure) for figure in section.figures)
        parts.append(f'<div class="figures">\n{figures}\n</div>')
    parts.append("</section>")
    return "\n".join(parts)


TEXT_CLASS = ' class="text"'


def _cell(cell: Cell, text: bool) -> str:
    css = ["na"] if cell.undefined else []
    css += ["text"] if text else []
    attribute = f' class="{" ".join(css)}"' if css else ""
    interval = f'<span class="ci">{escape(cell.interval)}</span>' if cell.interval else ""
    return f"<td{attribute}>{escape(cell.text)}{interval}</td>"


def _row(cells: tuple[Cell, ...], text_columns: int) -> str:
    return "<tr>" + "".join(_cell(c, i < text_columns) for i, c in enumerate(cells)) + "</tr>"


def _table(table: Table) -> str:
    head = "".join(
        f"<th{TEXT_CLASS if i < table.text_columns else ''}>{escape(title)}</th>"
        for i, title in enumerate(table.header)
    )
    rows = table.rows if table.html_rows is None else [table.rows[i] for i in table.html_rows]
    body = "\n".join(_row(row, table.text_columns) for row in rows)
    notes = [text for text in (table.html_note, table.note) if text]
    note = "".join(f'<p class="note">{escape(text)}</p>' for text in notes)
    return (
        f'<div class="scroll"><table id="{escape(table.key)}">'
        f"<caption>{escape(table.caption)}</caption>"
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>{note}"
    )


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figure(figure: Figure) -> str:
    return (
        f'<figure id="figure-{escape(figure.name)}">'
        f'<img src="{data_uri(figure.png)}" alt="{escape(figure.title)}">'
        f"<figcaption><b>{escape(figure.title)}.</b> {escape(figure.caption)}</figcaption>"
        "</figure>"
    )
