"""Read a YAML data file and remember the line of every key, so errors can say "file:line".

Staff edit rules/data by hand; an error that says only "bad value" sends them hunting. PyYAML's
composed node tree knows each node's line; we construct plain Python data from it and keep a
map from the key path (a tuple of keys and list indexes) to its 1-based line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class YamlFile:
    """A loaded data file: its data, its path and the line of each key path."""

    path: Path
    data: Any
    lines: dict[tuple[Any, ...], int]

    def line(self, *keys: Any) -> int:
        """Line of the deepest known prefix of ``keys`` (the file's first line when none)."""
        for end in range(len(keys), 0, -1):
            found = self.lines.get(tuple(keys[:end]))
            if found is not None:
                return found
        return 1


def load_yaml(path: Path) -> YamlFile:
    """Parse ``path`` with the safe loader; raise ``yaml.YAMLError`` (it carries a line) on bad syntax."""
    text = path.read_text(encoding="utf-8")
    loader = LOADER(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        lines: dict[tuple[Any, ...], int] = {}
        if node is not None:
            _record_lines(loader, node, (), lines)
    finally:
        loader.dispose()
    return YamlFile(path=path, data=data, lines=lines)


#: libyaml's C loader when PyYAML was built with it (the wheels are): same marks, ~10x faster
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _record_lines(loader: Any, node: yaml.Node, prefix: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> None:
    lines.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            path = (*prefix, key)
            lines[path] = key_node.start_mark.line + 1
            _record_lines(loader, value_node, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = (*prefix, index)
            lines[path] = item.start_mark.line + 1
            _record_lines(loader, item, path, lines)
