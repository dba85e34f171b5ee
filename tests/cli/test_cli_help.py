"""Every option of every command has a description, and its help shows its default."""

from __future__ import annotations

import argparse
import re

from fairdf.cli import COMMANDS, all_parsers, build_parser

SKIPPED = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)


def _options():
    for parser in all_parsers(build_parser()):
        for action in parser._actions:
            if not isinstance(action, SKIPPED):
                yield parser, action


def test_every_command_is_built():
    names = {parser.prog.split()[1] for parser in all_parsers(build_parser()) if " " in parser.prog}
    assert names == set(COMMANDS)


def test_every_option_has_a_one_line_description():
    for parser, action in _options():
        assert action.help and action.help.strip(), (parser.prog, action.dest)
        assert "\n" not in action.help, (parser.prog, action.dest)


def test_defaults_are_shown():
    for parser, action in _options():
        value = action.default
        if not action.option_strings or action.nargs == 0 or value in (None, [], False):
            continue
        text = parser._get_formatter()._get_help_string(action) % vars(action)
        assert "default" in text, (parser.prog, action.dest)
        numbers = {float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)}
        if isinstance(value, float) and value in numbers:
            continue
        shown = {str(value)}
        if isinstance(value, (list, tuple)):
            shown |= {" ".join(map(str, value)), ", ".join(map(str, value))}
        assert any(v in text for v in shown), (parser.prog, action.dest, text)


def test_each_import_format_has_its_own_help(capsys):
    from fairdf.cli import main

    for name, words in (("aiface", "attributes.yaml"), ("deepfakebench", "per split")):
        assert main(["import", name, "--help"]) == 0
        text = capsys.readouterr().out
        assert f"usage: fairdf import {name}" in text and words in text
