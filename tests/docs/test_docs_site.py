"""The documentation site builds in strict mode, and its CLI reference covers every option."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOK = ROOT / "docs" / "hooks" / "cli_reference.py"

needs_mkdocs = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="mkdocs and mkdocs-material are not installed (pip install -e '.[docs]')",
)


def _load_hook():
    spec = importlib.util.spec_from_file_location("cli_reference_hook", HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _all_parsers(parser: argparse.ArgumentParser, prog: str = "fairdf"):
    """(prog, parser) for the top parser and every nested sub-command parser."""
    yield prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _all_parsers(child, f"{prog} {name}")


@needs_mkdocs
def test_mkdocs_build_strict(tmp_path):
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    page = (tmp_path / "cli" / "index.html").read_text(encoding="utf-8")
    assert "cli-reference" not in page  # the hook replaced its marker
    assert "fairdf prepare faces" in page


def test_cli_reference_lists_every_command_and_option():
    from fairdf.cli import build_parser

    markdown = _load_hook().cli_reference_markdown()
    for prog, parser in _all_parsers(build_parser()):
        if prog != "fairdf":
            assert f"`{prog}`" in markdown, f"no section for {prog}"
        for action in parser._actions:
            for option in action.option_strings:
                if option in ("-h", "--help") or prog == "fairdf":
                    continue
                assert f"`{option}" in markdown, f"{prog}: option {option} missing"
