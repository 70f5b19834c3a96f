"""The layout of a grants file, line by line, read from parser events.

A file can be rewritten safely when it is valid (strict loader and grants schema) and
written in block style with every ``key: value`` on a line of its own: the top-level
``employee:`` and ``grants:`` keys, each grant entry a block mapping starting on its dash
line, every value a scalar on one line (plain or quoted), optionally followed by a
``# comment``.  Every other line must be blank or a comment.  Anything else (flow
style other than ``grants: []``, block or multi-line scalars, directives, ``...``,
a dash on a line of its own, odd line breaks) raises ``EditError`` at its line: permgate
does not guess.

Comment lines belong to the next thing below them: comments above the first top-level
key are the file header; a block of comments directly above a grant entry belongs to it
(and moves with it when entries are sorted); a comment between the keys of an entry
belongs to the key below it; comments after the last entry stay at the end of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from permgate.errors import EditError, LoadError
from permgate.load.schemas import validate
from permgate.load.yamldoc import LOADER, Document, parse

_ODD_BREAKS = ("\x85", "\u2028", "\u2029")


@dataclass
class Pair:
    """One ``key: value`` line (``line`` is 0-based); ``comment`` is its end-of-line comment."""

    key: str
    line: int
    comment: str = ""


@dataclass
class Comment:
    line: int
    text: str  # starts with '#', surrounding whitespace removed


@dataclass
class Item:
    """One grant entry as written."""

    index: int
    data: dict[str, str]
    dash_column: int
    key_column: int
    pairs: list[Pair] = field(default_factory=list)
    lead: list[Comment] = field(default_factory=list)
    inner: dict[str, list[Comment]] = field(default_factory=dict)

    @property
    def first_line(self) -> int:
        return self.pairs[0].line

    @property
    def last_line(self) -> int:
        return max(p.line for p in self.pairs)

    @property
    def block_start(self) -> int:
        """The first line of the entry including the comments above it."""
        return self.lead[0].line if self.lead else self.first_line


@dataclass
class TopKey:
    key: str
    line: int
    comment: str = ""
    lead: list[Comment] = field(default_factory=list)


@dataclass
class Layout:
    path: str
    lines: list[str]
    newline: str
    final_newline: bool
    data: dict[str, Any]
    start_line: int | None = None
    header: list[Comment] = field(default_factory=list)
    top: dict[str, TopKey] = field(default_factory=dict)
    grants_flow_empty: bool = False
    items: list[Item] = field(default_factory=list)
    trailing: list[Comment] = field(default_factory=list)

    @property
    def employee(self) -> str:
        value: str = self.data["employee"]
        return value


def split_lines(text: str, path: str) -> tuple[list[str], str, bool]:
    """Lines without their endings, the line ending used, and whether the text ends with one."""
    for ch in _ODD_BREAKS:
        if ch in text:
            line = text.count("\n", 0, text.index(ch)) + 1
            raise EditError(path, line, 1, f"unusual line break character U+{ord(ch):04X}; use plain newlines")
    newline = "\r\n" if "\r\n" in text else "\n"
    crlf = text.count("\r\n")
    if text.count("\r") != crlf or (crlf and text.count("\n") != crlf):
        odd = next(n for n, ln in enumerate(text.split("\n")) if ln.endswith("\r") != (newline == "\r\n")
                   or "\r" in ln[:-1])
        raise EditError(path, odd + 1, 1, "mixed or bare carriage-return line endings; use one kind of line ending")
    lines = text.split(newline)
    final = lines[-1] == ""
    if final:
        lines.pop()
    return lines, newline, final


def _refuse(path: str, mark: Any, message: str) -> EditError:
    return EditError(path, mark.line + 1, mark.column + 1, message)


class Events:
    """The parser events of a valid document, read one by one, with the checks every layout shares."""

    def __init__(self, text: str, path: str, lines: list[str]) -> None:
        self.events = list(yaml.parse(text, Loader=LOADER))
        self.pos = 0
        self.path = path
        self.lines = lines

    def next_is(self, kind: type) -> bool:
        return isinstance(self.events[self.pos], kind)

    def take(self) -> Any:
        self.pos += 1
        return self.events[self.pos - 1]

    def expect(self, kind: type) -> Any:
        ev = self.take()
        if not isinstance(ev, kind):
            raise _refuse(self.path, ev.start_mark, "cannot read the layout here")
        return ev

    def end_comment(self, line: int, column: int, what: str) -> str:
        """The end-of-line comment after ``column`` of ``line`` ("" if none); anything else is refused."""
        rest = self.lines[line][column:].strip()
        if rest and not rest.startswith("#"):
            raise EditError(self.path, line + 1, column + 1, f"unexpected text after {what}")
        return rest

    def document_start(self) -> int | None:
        """Through the top mapping's start; the line of an explicit ``---`` (0-based), else None."""
        self.expect(yaml.StreamStartEvent)
        start = self.expect(yaml.DocumentStartEvent)
        if start.version is not None or start.tags:
            raise _refuse(self.path, start.start_mark, "YAML directives (%YAML, %TAG) cannot be formatted")
        line = None
        if start.explicit:
            line = start.start_mark.line
            if self.lines[line].strip() != "---":
                raise _refuse(self.path, start.start_mark, "text after the `---` marker cannot be formatted")
        top = self.expect(yaml.MappingStartEvent)
        if top.flow_style:
            raise _refuse(self.path, top.start_mark, "flow style ({...}) cannot be formatted; use block style")
        return line

    def document_end(self) -> None:
        """The top mapping's end and the document's, with no ``...`` marker."""
        self.expect(yaml.MappingEndEvent)
        end = self.expect(yaml.DocumentEndEvent)
        if end.explicit:
            raise _refuse(self.path, end.start_mark, "the `...` document end marker cannot be formatted; remove it")


def valid_document(text: str, path: str, kind: str, needs: str) -> Document:
    """``text`` parsed strictly and valid against the ``kind`` schema; else an ``EditError`` at its line."""
    try:
        doc = parse(text, path)
    except LoadError as err:
        raise EditError(err.path, err.line, err.column, err.detail) from None
    if doc.empty:
        raise EditError(path, 1, 1, f"file is empty; a {kind} file needs {needs}")
    problems = validate(doc, kind)
    if problems:
        p = problems[0]
        raise EditError(path, p.line, p.column, f"not a valid {kind} file: {p.message}")
    return doc


def analyse(text: str, path: str) -> Layout:
    """The layout of ``text`` (a decoded grants file, byte-order mark removed)."""
    lines, newline, final = split_lines(text, path)
    doc = valid_document(text, path, "grants", "`employee:` and `grants:`")
    layout = Layout(path, lines, newline, final, doc.data)
    ev = Events(text, path, lines)
    take, expect, end_comment = ev.take, ev.expect, ev.end_comment
    occupied: dict[int, tuple[str, Any]] = {}  # line -> (role, object)

    def one_line_scalar(key_ev: Any, val_ev: Any) -> None:
        if val_ev.style in ("|", ">"):
            raise _refuse(path, val_ev.start_mark,
                          "block scalars (| or >) cannot be formatted; write the value on one line")
        lines_used = {key_ev.start_mark.line, key_ev.end_mark.line, val_ev.start_mark.line, val_ev.end_mark.line}
        if len(lines_used) != 1:
            raise _refuse(path, val_ev.start_mark,
                          f"the value of `{key_ev.value}` is not on the line of its key; use one line")

    layout.start_line = ev.document_start()
    if layout.start_line is not None:
        occupied[layout.start_line] = ("start", None)
    while ev.next_is(yaml.ScalarEvent):
        key_ev = take()
        key = key_ev.value
        tk = TopKey(key, key_ev.start_mark.line)
        if lines[tk.line][: key_ev.start_mark.column].strip():
            raise _refuse(path, key_ev.start_mark, f"`{key}` must start its line")
        if tk.line in occupied:
            raise _refuse(path, key_ev.start_mark, "two keys on one line cannot be formatted")
        occupied[tk.line] = ("top", tk)
        layout.top[key] = tk
        if key == "employee":
            val = expect(yaml.ScalarEvent)
            one_line_scalar(key_ev, val)
            tk.comment = end_comment(tk.line, val.end_mark.column, "the employee id")
            continue
        seq = expect(yaml.SequenceStartEvent)
        if seq.flow_style:
            end = take()
            closed = type(end) is yaml.SequenceEndEvent
            if not closed or seq.start_mark.line != tk.line or end.end_mark.line != tk.line:
                raise _refuse(path, seq.start_mark, "flow style ([...]) cannot be formatted; use block style")
            layout.grants_flow_empty = True
            tk.comment = end_comment(tk.line, end.end_mark.column, "`grants: []`")
            continue
        colon = lines[tk.line].find(":", key_ev.end_mark.column)
        tk.comment = end_comment(tk.line, colon + 1, "`grants:`")
        index = 0
        while not ev.next_is(yaml.SequenceEndEvent):
            m = expect(yaml.MappingStartEvent)
            if m.flow_style:
                raise _refuse(path, m.start_mark, "flow style ({...}) cannot be formatted; use block style")
            item = Item(index, dict(layout.data["grants"][index]), 0, m.start_mark.column)
            while ev.next_is(yaml.ScalarEvent):
                k = take()
                v = expect(yaml.ScalarEvent)
                one_line_scalar(k, v)
                line = k.start_mark.line
                if line in occupied:
                    raise _refuse(path, k.start_mark, "two keys on one line cannot be formatted")
                prefix = lines[line][: k.start_mark.column]
                if not item.pairs:
                    if prefix.strip() != "-":
                        raise _refuse(path, m.start_mark, "a grant entry must start with `- key: value` on one line")
                    item.dash_column = prefix.index("-")
                elif prefix.strip():
                    raise _refuse(path, k.start_mark, "cannot read the layout here")
                pair = Pair(k.value, line, end_comment(line, v.end_mark.column, f"the value of `{k.value}`"))
                item.pairs.append(pair)
                occupied[line] = ("pair", (item, pair))
            expect(yaml.MappingEndEvent)
            layout.items.append(item)
            index += 1
        expect(yaml.SequenceEndEvent)
    ev.document_end()
    _attach_comments(layout, occupied)
    return layout


def _attach_comments(layout: Layout, occupied: dict[int, tuple[str, Any]]) -> None:
    pending: list[Comment] = []
    seen_top = False
    for n, text in enumerate(layout.lines):
        role = occupied.get(n)
        if role is None:
            stripped = text.strip()
            if not stripped:
                continue
            if not stripped.startswith("#"):
                raise EditError(layout.path, n + 1, len(text) - len(text.lstrip()) + 1,
                                "cannot tell what this line belongs to; it is neither a `key: value` nor a comment")
            pending.append(Comment(n, stripped))
            continue
        kind, obj = role
        if kind == "start":
            continue
        if kind == "top":
            if seen_top:
                obj.lead = pending
            else:
                layout.header = pending
            seen_top = True
        else:
            item, pair = obj
            if pair is item.pairs[0]:
                item.lead = pending
            else:
                item.inner[pair.key] = pending
        pending = []
    layout.trailing = pending
