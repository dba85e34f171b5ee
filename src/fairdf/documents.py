"""Reading JSON and YAML with bounded size and nesting depth.

Every JSON or YAML file fairdf reads goes through `read_json` / `read_yaml` (or
`parse_json` for a single line of a JSON-lines log). The size is checked while reading,
so a huge file or a device never fills memory. JSON's nesting depth is measured before
parsing by a scan that does not recurse (brackets inside strings are skipped); YAML's is
counted by `fairdf.yamlsafe.NoAliasLoader` as it composes. Both parsers recurse once per
level, so without these checks a deeply nested file ends in a RecursionError.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fairdf import bounds
from fairdf.errors import DataError

# what the depth scan drops: a JSON string (escapes included; an unterminated one runs
# to the end), and any run of characters that are neither brackets nor quotes
_NOT_BRACKETS = re.compile(r'"[^"\\]*(?:\\(?:.|\Z)[^"\\]*)*(?:"|\Z)|[^"\[\]{}]+', re.S)
_CHUNK = 1 << 20


class DocumentError(DataError):
    """A JSON/YAML file is too large or nested too deeply to be parsed safely."""


def read_bytes(path: str | Path, limit: int) -> bytes:
    """At most `limit` bytes of `path`; DocumentError naming the file when it is larger."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise DocumentError(
            f"{path}: larger than {limit} bytes, the most fairdf reads from a "
            f"{_kind(path)} file; check that this is the right file"
        )
    return data


def _kind(path: str | Path) -> str:
    return "YAML" if Path(path).suffix.lower() in (".yaml", ".yml") else "JSON"


def json_depth(text: str) -> int:
    """The deepest bracket nesting of JSON `text`, ignoring brackets inside strings.

    Linear time, no recursion; counts in chunks so memory stays small."""
    brackets = _NOT_BRACKETS.sub("", text).encode("ascii")
    import numpy as np

    depth = deepest = 0
    for start in range(0, len(brackets), _CHUNK):
        codes = np.frombuffer(brackets, np.uint8, min(_CHUNK, len(brackets) - start), start)
        steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
        running = np.cumsum(steps) + depth
        deepest, depth = max(deepest, int(running.max())), int(running[-1])
    return deepest


def parse_json(text: str, where: str) -> Any:
    """`json.loads(text)` after the depth check; `where` names the text in the error.

    A syntax error is left to the caller as `json.JSONDecodeError` (a ValueError)."""
    if json_depth(text) > bounds.MAX_NESTING:
        raise DocumentError(
            f"{where}: JSON nested deeper than {bounds.MAX_NESTING} levels; "
            "fairdf's inputs nest a few levels, check that this is the right file"
        )
    return json.loads(text)


def read_json(path: str | Path, limit: int | None = None) -> Any:
    """Parse the JSON file `path` (UTF-8) within the size and depth bounds.

    DocumentError for those; OSError, UnicodeDecodeError, json.JSONDecodeError as usual."""
    data = read_bytes(path, bounds.MAX_JSON_BYTES if limit is None else limit)
    return parse_json(data.decode("utf-8"), str(path))


def read_yaml(path: str | Path) -> Any:
    """Parse the YAML file `path` (UTF-8, no aliases) within the size and depth bounds.

    DocumentError for the size; yaml.YAMLError (`yamlsafe.Refused` for an alias or too
    deep a nesting), OSError and UnicodeDecodeError as usual."""
    from fairdf.yamlsafe import load_yaml

    return load_yaml(read_bytes(path, bounds.MAX_YAML_BYTES).decode("utf-8"))
