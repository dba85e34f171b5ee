"""Library code logs; only the command line (cli.py, commands/) prints."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import fairdf
from fairdf import cli

PACKAGE = Path(fairdf.__file__).resolve().parent


def _prints(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "print"
    ]


def test_only_the_command_line_prints():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "commands" or relative == Path("cli.py"):
            continue
        offenders += [f"{relative}:{line}" for line in _prints(path)]
    assert not offenders, f"print() in library code (use logging): {offenders}"


def test_command_line_shows_library_progress_on_stderr(capsys):
    logger = logging.getLogger("fairdf.engine.train")
    cli._show_progress_messages()
    cli._show_progress_messages()  # idempotent: one handler, one line per message
    logger.info("epoch 1/2  loss 0.5")
    logger.debug("not shown")
    captured = capsys.readouterr()
    assert captured.err.splitlines() == ["epoch 1/2  loss 0.5"] and captured.out == ""
