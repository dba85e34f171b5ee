"""Issue 26 item 8: every integer option has an upper bound (fairdf.bounds.OPTIONS),
checked when the command line is parsed."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from fairdf.bounds import OPTIONS
from fairdf.cli import all_parsers, build_parser, main


def _integer_options():
    for parser in all_parsers(build_parser()):
        for action in parser._actions:
            if not action.option_strings or action.type is None:
                continue
            try:
                value = action.type("1")
            except (argparse.ArgumentTypeError, ValueError, TypeError):
                continue
            if isinstance(value, int):
                yield parser.prog, action


def test_every_integer_option_refuses_a_huge_value():
    found = list(_integer_options())
    assert len(found) >= 25
    for prog, action in found:
        for value in (str(10**15), "-1"):
            with pytest.raises(argparse.ArgumentTypeError, match="must be"):
                action.type(value)
                pytest.fail(f"{prog} {action.option_strings[0]} accepts {value}")


@pytest.mark.parametrize(
    ("option", "value", "shown"),
    [("--frames", "200000", "[1, 1000]"), ("--identities", "100000", "[2, 200]")],
)
def test_prepare_sample_sizes_are_refused_when_parsed(tmp_path, capsys, option, value, shown):
    out = tmp_path / "sample"
    assert main(["prepare", "sample", str(out), option, value]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"argument {option}: must be an integer in {shown}, got {value}" in err
    assert not out.exists()


def test_bootstrap_and_seed_bounds(tmp_path, capsys):
    csv = tmp_path / "p.csv"
    csv.write_text("label,score\n0,0.1\n1,0.9\n")
    assert main(["metrics", str(csv), "--bootstrap", "10000000"]) == 2
    assert "argument --bootstrap: must be an integer in [0, 20000]" in capsys.readouterr().err
    assert main(["metrics", str(csv), "--seed", "-1"]) == 2
    assert "argument --seed: must be an integer in [0, 4294967295]" in capsys.readouterr().err


def test_docs_list_every_option_bound():
    page = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text()
    for option, bound in OPTIONS.items():
        assert f"| `{option}` | {bound.describe()} |" in page, option
