"""YAML as every corpusgate file reads it: safe, duplicate keys refused, lines remembered.

PyYAML keeps the last of two equal keys in one mapping without a word, so a registry entry
with `licence:` twice silently means the second. `load_yaml` refuses that, and keeps where each
key was written (`Document.line_of("location.format")`) so a settings error can name the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class YamlError(ValueError):
    """The file is not usable YAML; the message names the file and line."""


@dataclass(frozen=True)
class Document:
    """A parsed YAML file and the line (1-based) of every key path in it."""

    data: Any
    where: str
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key_path: str) -> int | None:
        """The line of `a.b.c` (list items as `a.0.b`), or of its nearest written parent."""
        parts = key_path.split(".")
        while parts:
            line = self.lines.get(".".join(parts))
            if line is not None:
                return line
            parts.pop()
        return None


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and records each key's line."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.key_lines: dict[str, int] = {}


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first written on line {seen[key]})",
                key_node.start_mark,
            )
        seen[key] = line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _key_lines(node: yaml.Node | None, prefix: str, out: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = f"{prefix}{key_node.value}"
            out.setdefault(path, key_node.start_mark.line + 1)
            _key_lines(value_node, f"{path}.", out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.setdefault(f"{prefix}{i}", item.start_mark.line + 1)
            _key_lines(item, f"{prefix}{i}.", out)


def parse_yaml(text: str | bytes, where: str) -> Document:
    """Parse YAML text; YamlError names `where` and the line of the problem."""
    try:
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" line {mark.line + 1}:" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise YamlError(f"{where}:{line} not valid YAML: {problem}") from None
    lines: dict[str, int] = {}
    _key_lines(node, "", lines)
    return Document(data, where, lines)


def load_yaml(path: str | Path) -> Document:
    """Read and parse a YAML file; YamlError for an unreadable or malformed file."""
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise YamlError(f"{path}: cannot be read ({err.strerror})") from None
    return parse_yaml(raw, str(path))
