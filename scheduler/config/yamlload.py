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
    """libyaml's parser (when installed) with the safe constructors for scalars."""


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode):
    # An impossible date such as 2009-11-31 stays text, so validation can report it.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


MAX_DEPTH = 10_000  # libyaml stops at 1,000 levels; the pure-Python parser needs a bound of ours


def load_yaml(path: Path, on_item=None, key: str | None = None):
    """Return the parsed document of `path` (None for an empty file).

    The document is built from the parser's events, never as a whole node graph first (PyYAML's
    `load` composes every node, with two marks each, before constructing anything: for an
    owners.yaml of 100,000 owners that graph, not the data, was most of `validate`'s memory).
    `on_item(item, index, line)`, when given, is called with each item of the list under `key`
    in the top-level mapping as soon as it is complete, and the item is not kept (the list stays
    empty), so a file of 100,000 owners is read an owner at a time.

    Raises YamlProblem for syntax errors and duplicate keys, and OSError /
    UnicodeDecodeError for unreadable files.
    """
    text = path.read_text(encoding="utf-8")
    if len(text) > MAX_BYTES:
        raise YamlProblem(f"the file is {len(text) // 1_000_000} MB; a config file is at most 20 MB", None)
    try:
        return _Builder(_Loader(text), on_item, key).document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return_msg = (exc.problem or str(exc)).strip()
        raise YamlProblem(f"not valid YAML: {return_msg}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}", None) from exc


class _Builder:
    """Builds LineDicts and LineLists from parser events, one container open per nesting level."""

    def __init__(self, loader: _Loader, on_item, key):
        self.loader, self.on_item, self.key = loader, on_item, key
        self.stack: list[list] = []  # [container, pending key, line of the pending key]
        self.root = None
        self.streamed = None  # the list whose items go to on_item
        self.count = 0

    def document(self):
        loader, documents = self.loader, 0
        while loader.check_event():
            event = loader.get_event()
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise YamlProblem("not valid YAML: expected a single document in the file", line)
            elif isinstance(event, yaml.AliasEvent):
                raise YamlProblem("YAML aliases (*name) are not allowed in config; write the value out", line)
            elif isinstance(event, yaml.ScalarEvent):
                self._add(self._scalar(event), line)
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                self._open(event, line)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                self._close()
        return self.root

    def _scalar(self, event):
        loader = self.loader
        tag = event.tag
        if tag is None or tag == "!":
            tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        construct = loader.yaml_constructors.get(tag) or loader.yaml_constructors[None]
        return construct(loader, node)

    def _open(self, event, line) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise YamlProblem("not valid config: nested too deeply", line)
        if isinstance(event, yaml.MappingStartEvent):
            container = LineDict()
            container.key_lines = {}
        else:
            container = LineList()
            container.item_lines = []
            top = self.stack[-1][0] if self.stack else None
            if (self.on_item and self.streamed is None and len(self.stack) == 1 and isinstance(top, LineDict)
                    and self.stack[-1][1] == self.key):  # fmt: skip
                self.streamed = container
        container.line = line
        self._add(container, line)
        self.stack.append([container, None, None])

    def _close(self) -> None:
        container = self.stack.pop()[0]
        if self.stack and self.stack[-1][0] is self.streamed and len(self.stack) == 2:
            self._emit(container)

    def _emit(self, item) -> None:
        lst = self.streamed
        lst.pop()
        self.on_item(item, self.count, lst.item_lines.pop())
        self.count += 1

    def _add(self, value, line) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        container = frame[0]
        if isinstance(container, LineList):
            container.append(value)
            container.item_lines.append(line)
            if container is self.streamed and not isinstance(value, LineDict | LineList):
                self._emit(value)
        elif frame[1] is None and frame[2] is None:
            if isinstance(value, dict | list):
                raise YamlProblem("not valid YAML: a key must be plain text, not a mapping or list", line)
            if value in container:
                raise YamlProblem(f"duplicate key {value!r} (first on line {container.key_lines[value]})", line)
            frame[1], frame[2] = value, line
        else:
            container[frame[1]] = value
            container.key_lines[frame[1]] = frame[2]
            frame[1] = frame[2] = None
