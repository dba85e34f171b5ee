"""MkDocs hook: render the command-line reference from `fairdf.cli.build_parser()`.

A page that contains the marker line `<!-- cli-reference -->` gets, in its place, one
section per sub-command (and per nested sub-command such as `prepare faces`) with the
usage line and a table of its arguments, taken from the argparse parsers at build time,
so the reference cannot drift from the code.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

MARKER = "<!-- cli-reference -->"
HELP_WIDTH = "100"
SOURCE = Path(__file__).resolve().parents[2] / "src"


def _import_cli():
    """`fairdf.cli` from this checkout's src/ (works without installing the package)."""
    if SOURCE.is_dir() and str(SOURCE) not in sys.path:
        sys.path.insert(0, str(SOURCE))
    from fairdf import cli

    return cli


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if not action.help or action.help == argparse.SUPPRESS:
        return ""
    formatter = parser._get_formatter()
    try:
        return formatter._expand_help(action)
    except (KeyError, TypeError, ValueError):
        return action.help


def _name(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`"
    takes_value = action.nargs != 0
    metavar = action.metavar or action.dest.upper()
    if isinstance(metavar, tuple):
        metavar = " ".join(metavar)
    shown = ", ".join(
        f"`{option} {metavar}`" if takes_value else f"`{option}`"
        for option in action.option_strings
    )
    return shown


def _default(action: argparse.Action) -> str:
    if not action.option_strings or action.nargs == 0:
        return ""
    if action.default in (None, argparse.SUPPRESS, []):
        return ""
    return f"`{action.default}`"


def _choices(action: argparse.Action) -> str:
    if not action.choices or isinstance(action, argparse._SubParsersAction):
        return ""
    return ", ".join(f"`{choice}`" for choice in action.choices)


def _arguments_table(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if action.help == argparse.SUPPRESS:
            continue
        meaning = _help(parser, action)
        if action.required and action.option_strings:
            meaning = f"(required) {meaning}"
        cells = [_name(action), meaning, _choices(action), _default(action)]
        rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    if not rows:
        return []
    return ["| argument | meaning | choices | default |", "| --- | --- | --- | --- |", *rows]


def _section(prog: str, parser: argparse.ArgumentParser, level: int) -> list[str]:
    prefix = "usage: "
    first, *rest = parser.format_usage().strip().splitlines()
    usage = "\n".join([first.removeprefix(prefix), *(line[len(prefix) :] for line in rest)])
    lines = [f"{'#' * level} `{prog}`", ""]
    if parser.description:
        lines += [parser.description.strip(), ""]
    lines += ["```text", usage, "```", ""]
    table = _arguments_table(parser)
    if table:
        lines += [*table, ""]
    children = _subparsers(parser)
    if children:
        lines += ["Sub-commands: " + ", ".join(f"`{name}`" for name in children) + ".", ""]
    for name, child in children.items():
        lines += _section(f"{prog} {name}", child, min(level + 1, 4))
    return lines


def cli_reference_markdown() -> str:
    """The whole reference as Markdown, one section per command."""
    cli = _import_cli()
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_WIDTH  # argparse wraps usage lines to this width
    try:
        parser = cli.build_parser()
        lines: list[str] = []
        for name, command in _subparsers(parser).items():
            lines += _section(f"fairdf {name}", command, 2)
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous
    return "\n".join(lines)


def on_page_markdown(markdown: str, page, config, files) -> str:
    """MkDocs event: replace the marker with the generated reference."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, cli_reference_markdown())
