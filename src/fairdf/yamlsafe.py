"""YAML without aliases: `*name` references are refused before anything expands them.

An alias lets a few hundred bytes of YAML expand into gigabytes (the "billion laughs"
document). fairdf's config files never need one, so the loader below refuses the first
alias event with a `yaml.YAMLError` that names the line; anchors alone are harmless.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import AliasEvent


class AliasRefused(ComposerError):
    """A YAML document used an alias."""


class NoAliasLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that raises on the first alias (`*name`, also in `<<: *name`)."""

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise AliasRefused(
                None,
                None,
                f"found the alias '*{event.anchor}'; YAML aliases are not accepted, "
                "write the value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def load_yaml(text: str) -> Any:
    """Parse one YAML document with `NoAliasLoader`."""
    return yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 - a SafeLoader subclass


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A short one-line reason with the line number, without echoing the document."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or type(exc).__name__
    line = f"line {mark.line + 1}: " if mark is not None else ""
    return " ".join(f"{line}{problem}".split())[:200]
