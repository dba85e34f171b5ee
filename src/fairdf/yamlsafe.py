"""YAML without aliases or deep nesting, refused before anything expands or recurses.

An alias lets a few hundred bytes of YAML expand into gigabytes (the "billion laughs"
document). fairdf's config files never need one, so the loader below refuses the first
alias event with a `yaml.YAMLError` that names the line; anchors alone are harmless.
PyYAML composes nested collections recursively, so the loader also refuses a collection
nested deeper than `bounds.MAX_NESTING` levels as soon as it opens.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent

from fairdf import bounds


class Refused(ComposerError):
    """A YAML document used something fairdf refuses to compose."""


class AliasRefused(Refused):
    """A YAML document used an alias."""


class DepthRefused(Refused):
    """A YAML document nests collections deeper than `bounds.MAX_NESTING`."""


class NoAliasLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that raises on the first alias (`*name`, also in `<<: *name`)
    and on the first collection nested deeper than `bounds.MAX_NESTING`."""

    depth = 0

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise AliasRefused(
                None,
                None,
                f"found the alias '*{event.anchor}'; YAML aliases are not accepted, "
                "write the value out",
                event.start_mark,
            )
        if not isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            return super().compose_node(parent, index)
        if self.depth >= bounds.MAX_NESTING:
            raise DepthRefused(
                None,
                None,
                f"nested deeper than {bounds.MAX_NESTING} levels; fairdf's YAML files nest "
                "a few levels, check that this is the right file",
                event.start_mark,
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load_yaml(text: str) -> Any:
    """Parse one YAML document with `NoAliasLoader`."""
    return yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 - a SafeLoader subclass


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A short one-line reason with the line number, without echoing the document."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or type(exc).__name__
    line = f"line {mark.line + 1}: " if mark is not None else ""
    return " ".join(f"{line}{problem}".split())[:200]
