"""Read YAML while remembering the line of every key, for file:line error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .problems import ConfigProblems, Problem


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """A safe loader whose nodes give each mapping key's line, by dotted path. libyaml's
    parser when PyYAML has it: the same nodes and marks, a catalog of 1,000 recipes read
    several times faster than with the pure-Python one."""


class Lines(dict):
    """{dotted key: line} of a YAML file. ``scalars`` holds the text of the plain scalars that
    YAML 1.1 does not read as text (``on`` is true, ``2013`` a number, ``01001`` the octal
    number 513), by dotted key, a mapping key's own under ``<key>.[key]``: what a "quote it"
    hint quotes back."""

    def __init__(self):
        super().__init__()
        self.scalars: dict[str, str] = {}


def _construct_scalar(loader: _LineLoader, node: yaml.Node, path: str, lines: Lines) -> Any:
    value = loader.construct_object(node, deep=True)
    if isinstance(value, (bool, int, float)) and isinstance(node, yaml.ScalarNode):
        lines.scalars[path] = node.value
    return value


def _construct_with_lines(loader: _LineLoader, node: yaml.Node, path: str, lines: Lines) -> Any:
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            child = f"{path}.{key}" if path else str(key)
            _construct_scalar(loader, key_node, f"{child}.[key]", lines)
            lines[child] = key_node.start_mark.line + 1
            result[key] = _construct_with_lines(loader, value_node, child, lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = f"{path}.{index}"
            lines[child] = item.start_mark.line + 1
            items.append(_construct_with_lines(loader, item, child, lines))
        return items
    return _construct_scalar(loader, node, path, lines)


def load_yaml_with_lines(path: Path) -> tuple[Any, Lines]:
    """Return (data, {dotted.key: line}) for a YAML file; raise ConfigProblems if unreadable."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigProblems([Problem(str(path), "", f"cannot read file: {exc.strerror}",
                                      "check the path and its permissions")]) from exc
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, Lines()
        lines = Lines()
        return _construct_with_lines(loader, node, "", lines), lines
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigProblems([Problem(
            str(path), "", f"not valid YAML: {getattr(exc, 'problem', exc)}",
            "fix the YAML syntax (indentation, quotes, colons)",
            line=mark.line + 1 if mark else None,
        )]) from exc
    finally:
        loader.dispose()


def line_for(lines: dict[str, int], key: str) -> int | None:
    """The line of `key`, or of its nearest parent that has one."""
    while key:
        if key in lines:
            return lines[key]
        key = key.rpartition(".")[0]
    return None
