"""YAML loading that remembers line numbers, so config errors can say where they are.

`load_yaml(path)` returns plain Python data in which every mapping is a `LineDict`
and every sequence a `LineList`; both know the 1-based line of themselves and of
each key / item. Duplicate keys, which PyYAML silently collapses, are reported.
"""

from __future__ import annotations

from pathlib import Path

import yaml

MAX_BYTES = 20_000_000


class LineDict(dict):
    """A dict that knows its own line and the line of each key."""

    line: int | None = None
    key_lines: dict

    def line_of(self, key) -> int | None:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A list that knows its own line and the line of each item."""

    line: int | None = None
    item_lines: list

    def line_of(self, index: int) -> int | None:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


class YamlProblem(Exception):
    """A file that is not valid YAML, or has duplicate keys; carries the line."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.message = message
        self.line = line


_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser when installed: ~5x faster


class _Loader(_BASE):
    def construct_object(self, node, deep=False):
        # Aliases (&a / *a) are refused: config has no use for them, and nested ones can blow up
        # into gigabytes (the "billion laughs"). An alias is a node met a second time.
        if node in self.constructed_objects or node in self.recursive_objects:
            raise YamlProblem("YAML aliases (*name) are not allowed in config; write the value out",
                              node.start_mark.line + 1)  # fmt: skip
        return super().construct_object(node, deep=deep)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise YamlProblem(
                f"duplicate key {key!r} (first on line {result.key_lines[key]})",
                key_node.start_mark.line + 1,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode):
    # An impossible date such as 2009-11-31 stays text, so validation can report it.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path):
    """Return the parsed document of `path` (None for an empty file).

    Raises YamlProblem for syntax errors and duplicate keys, and OSError /
    UnicodeDecodeError for unreadable files.
    """
    text = path.read_text(encoding="utf-8")
    if len(text) > MAX_BYTES:
        raise YamlProblem(f"the file is {len(text) // 1_000_000} MB; a config file is at most 20 MB", None)
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except RecursionError:
        raise YamlProblem("not valid config: nested too deeply", None) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return_msg = (exc.problem or str(exc)).strip()
        raise YamlProblem(f"not valid YAML: {return_msg}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}", None) from exc
