"""YAML loading that remembers where every value came from.

PyYAML's composer gives nodes with marks; this module turns them into plain
dicts, lists and scalars that also carry their line, so that a schema check
can say ``file:line: what is wrong``. Duplicate mapping keys, which PyYAML
would silently merge, are an error here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor


class SourceError(Exception):
    """A problem in an input file, located at ``path:line``."""

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        message = " ".join(message.split())  # one line, whatever the cause said
        super().__init__(f"{path}:{line}: {message}")
        self.path = str(path)
        self.line = line
        self.message = message


# libyaml's parser when PyYAML has it (same nodes and marks, several times faster).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LDict(dict[str, Any]):
    """A mapping with the line of the mapping and of each key."""

    path: str
    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LList(list[Any]):
    """A sequence with the line of the sequence and of each item."""

    path: str
    line: int
    item_lines: list[int]


def _convert(node: yaml.Node, path: str, ctor: SafeConstructor) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = LDict()
        out.path, out.line, out.key_lines = path, line, {}
        for key_node, value_node in node.value:
            key = _convert(key_node, path, ctor)
            kline = key_node.start_mark.line + 1
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise SourceError(path, kline, f"mapping key must be a string, not {key!r}")
            key = str(key)
            if key in out:
                raise SourceError(
                    path, kline, f"duplicate key {key!r} (first at line {out.key_lines[key]})"
                )
            out[key] = _convert(value_node, path, ctor)
            out.key_lines[key] = kline
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LList()
        seq.path, seq.line, seq.item_lines = path, line, []
        for item in node.value:
            seq.append(_convert(item, path, ctor))
            seq.item_lines.append(item.start_mark.line + 1)
        return seq
    assert isinstance(node, yaml.ScalarNode)
    try:
        return ctor.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise SourceError(path, line, f"bad scalar: {exc}") from None


def load_located(path: Path) -> Any:
    """Parse one YAML document from ``path`` into located values."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(path, 0, f"cannot read: {exc}") from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise SourceError(path, line, f"YAML syntax: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise SourceError(path, 0, f"YAML: {exc}") from None
    if node is None:
        raise SourceError(path, 1, "empty file")
    return _convert(node, str(path), SafeConstructor())
