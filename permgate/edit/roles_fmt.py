"""The canonical layout of ``roles.yaml``, and the rewrite into it (``permgate fmt``).

Canonical means:

- ``---`` on the first line, then the header comments, then ``roles:`` (``roles: []`` when
  there are none);
- the roles in the order the author wrote them (the order decides nothing, and authors group
  roles on purpose);
- each role's keys in the order ``id``, ``name``, ``owner_division``, ``description``,
  ``permissions``, ``includes``: ids plain unless YAML would read them as something else,
  ``name`` and ``description`` double-quoted;
- ``permissions`` and ``includes`` as block lists, one ``- ID`` a line (``[]`` when empty).
  ``permissions`` are sorted by id (a role gives each of them whatever their order);
  ``includes`` keep their order, since the first include that reaches a permission is the path
  a finding cites (docs/roles.md);
- comments kept and re-indented to what they belong to (column 0 for the header, ``roles:``
  and the end of the file; 2 above a role; 4 above a key of a role; 6 above a list item);
  end-of-line comments kept, two spaces after the value; a comment moves with its list item;
- no blank lines; ``\\n`` line endings, no byte-order mark, no trailing spaces, one final newline.

As for grants files, the rewrite is checked: the result is parsed again strictly and must
hold the same roles (permissions compared sorted), or nothing is written; whatever this module
cannot lay out safely (block scalars, a value off its key's line, a flow list over several
lines, two keys on a line) is an ``EditError`` at its line: permgate does not guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from permgate.edit.fmt import verify
from permgate.edit.layout import Comment, Events, split_lines, valid_document
from permgate.edit.render import double_quoted, id_value, with_comment
from permgate.errors import EditError
from permgate.load.yamldoc import parse

#: the keys of a role, in canonical order
ROLE_KEYS = ("id", "name", "owner_division", "description", "permissions", "includes")
_LISTS = frozenset({"permissions", "includes"})
_TEXTS = frozenset({"name", "description"})

ROLE_INDENT = 2
KEY_INDENT = 4
ITEM_INDENT = 6


@dataclass
class ListItem:
    value: str
    line: int
    comment: str = ""
    lead: list[Comment] = field(default_factory=list)


@dataclass
class Key:
    key: str
    line: int
    comment: str = ""
    lead: list[Comment] = field(default_factory=list)
    items: list[ListItem] | None = None  # a list's items; None for a scalar


@dataclass
class RoleEntry:
    data: dict[str, Any]
    keys: dict[str, Key] = field(default_factory=dict)
    lead: list[Comment] = field(default_factory=list)  # comments above the role's first line


@dataclass
class RolesLayout:
    header: list[Comment] = field(default_factory=list)
    roles_comment: str = ""
    roles: list[RoleEntry] = field(default_factory=list)
    trailing: list[Comment] = field(default_factory=list)


def _refuse(path: str, mark: Any, message: str) -> EditError:
    return EditError(path, mark.line + 1, mark.column + 1, message)  # marks count from 0


def analyse(text: str, path: str) -> RolesLayout:
    """The layout of ``text`` (a decoded ``roles.yaml``, byte-order mark removed)."""
    lines = split_lines(text, path)[0]
    doc = valid_document(text, path, "roles", "`roles:`")
    ev = Events(text, path, lines)
    take, expect, end_comment = ev.take, ev.expect, ev.end_comment
    layout = RolesLayout()
    # line -> what it holds: ("top", None) for `roles:`, ("key", Key), ("item", ListItem),
    # ("role", RoleEntry) for a role's first line, ("start", None) for `---`
    occupied: dict[int, tuple[str, Any]] = {}

    def claim(line: int, mark: Any, what: tuple[str, Any]) -> None:
        if line in occupied:
            raise _refuse(path, mark, "two entries on one line cannot be formatted")
        occupied[line] = what

    def one_line(ev: Any, line: int, what: str) -> None:
        if getattr(ev, "style", None) in ("|", ">"):
            raise _refuse(path, ev.start_mark,
                          "block scalars (| or >) cannot be formatted; write the value on one line")
        if ev.start_mark.line != line or ev.end_mark.line != line:
            raise _refuse(path, ev.start_mark, f"{what} is not on one line with its key; use one line")

    start_line = ev.document_start()
    if start_line is not None:
        occupied[start_line] = ("start", None)
    key_ev = expect(yaml.ScalarEvent)  # the schema allows `roles` only
    top_line = key_ev.start_mark.line
    if key_ev.start_mark.column != 0:
        raise _refuse(path, key_ev.start_mark, "`roles:` must start its line")
    claim(top_line, key_ev.start_mark, ("top", None))
    seq = expect(yaml.SequenceStartEvent)
    if seq.flow_style:
        end = take()
        closed = type(end) is yaml.SequenceEndEvent
        if not closed or seq.start_mark.line != top_line or end.end_mark.line != top_line:
            raise _refuse(path, seq.start_mark, "flow style ([...]) cannot be formatted; use block style")
        layout.roles_comment = end_comment(top_line, end.end_mark.column, "`roles: []`")
    else:
        colon = lines[top_line].find(":", key_ev.end_mark.column)
        layout.roles_comment = end_comment(top_line, colon + 1, "`roles:`")
        index = 0
        while not ev.next_is(yaml.SequenceEndEvent):
            m = expect(yaml.MappingStartEvent)
            if m.flow_style:
                raise _refuse(path, m.start_mark, "flow style ({...}) cannot be formatted; use block style")
            entry = RoleEntry(dict(doc.data["roles"][index]))
            while ev.next_is(yaml.ScalarEvent):
                k = take()
                line = k.start_mark.line
                prefix = lines[line][: k.start_mark.column]
                if not entry.keys:
                    if prefix.strip() != "-":
                        raise _refuse(path, m.start_mark, "a role must start with `- key: value` on one line")
                elif prefix.strip():
                    raise _refuse(path, k.start_mark, "cannot read the layout here")
                key = Key(k.value, line)
                entry.keys[k.value] = key
                claim(line, k.start_mark, ("role", entry) if len(entry.keys) == 1 else ("key", key))
                if k.value not in _LISTS:
                    v = expect(yaml.ScalarEvent)
                    one_line(v, line, f"the value of `{k.value}`")
                    key.comment = end_comment(line, v.end_mark.column, f"the value of `{k.value}`")
                    continue
                s = expect(yaml.SequenceStartEvent)
                key.items = []
                if s.flow_style:
                    while ev.next_is(yaml.ScalarEvent):
                        v = take()
                        one_line(v, line, f"the list of `{k.value}`")
                        key.items.append(ListItem(v.value, line))
                    end = expect(yaml.SequenceEndEvent)
                    if s.start_mark.line != line or end.end_mark.line != line:
                        raise _refuse(path, s.start_mark, f"the list of `{k.value}` spans several lines; "
                                      "write it on its key's line or as a block list")
                    key.comment = end_comment(line, end.end_mark.column, f"the list of `{k.value}`")
                    continue
                colon = lines[line].find(":", k.end_mark.column)
                key.comment = end_comment(line, colon + 1, f"`{k.value}:`")
                while ev.next_is(yaml.ScalarEvent):
                    v = take()
                    item_line = v.start_mark.line
                    one_line(v, item_line, "a list item")
                    if lines[item_line][: v.start_mark.column].strip() != "-":
                        raise _refuse(path, v.start_mark, "a list item must be `- ID` on a line of its own")
                    item = ListItem(v.value, item_line, end_comment(item_line, v.end_mark.column, "a list item"))
                    claim(item_line, v.start_mark, ("item", item))
                    key.items.append(item)
                expect(yaml.SequenceEndEvent)
            expect(yaml.MappingEndEvent)
            layout.roles.append(entry)
            index += 1
    expect(yaml.SequenceEndEvent)
    ev.document_end()
    _attach_comments(path, lines, occupied, layout)
    return layout


def _attach_comments(path: str, lines: list[str], occupied: dict[int, tuple[str, Any]],
                     layout: RolesLayout) -> None:
    """Each comment line belongs to the next thing below it; after the last, to the end of the file."""
    pending: list[Comment] = []
    for n, text in enumerate(lines):
        held = occupied.get(n)
        if held is None:
            stripped = text.strip()
            if not stripped:
                continue
            if not stripped.startswith("#"):
                raise EditError(path, n + 1, len(text) - len(text.lstrip()) + 1,
                                "cannot tell what this line belongs to; it is neither a `key: value` nor a comment")
            pending.append(Comment(n, stripped))
            continue
        kind, obj = held
        if kind in ("start", "top"):
            layout.header += pending
        else:
            obj.lead += pending
        pending = []
    layout.trailing = pending


def _scalar(key: str, value: str) -> str:
    return double_quoted(value) if key in _TEXTS else id_value(value)


def _comments(comments: list[Comment], indent: int) -> list[str]:
    return [" " * indent + c.text for c in comments]


def _ordered_items(key: Key) -> list[ListItem]:
    items = key.items or []
    return sorted(items, key=lambda i: i.value) if key.key == "permissions" else list(items)


def render(layout: RolesLayout) -> str:
    out = ["---"]
    out += _comments(layout.header, 0)
    if not layout.roles:
        out.append(with_comment("roles: []", layout.roles_comment))
    else:
        out.append(with_comment("roles:", layout.roles_comment))
    for entry in layout.roles:
        out += _comments(entry.lead, ROLE_INDENT)
        for n, name in enumerate(k for k in ROLE_KEYS if k in entry.keys):
            key = entry.keys[name]
            # above the dash line when the key moves to the front (only the role's first line is
            # claimed by the role itself, so a first key written first has no comments of its own)
            out += _comments(key.lead, KEY_INDENT if n else ROLE_INDENT)
            lead = " " * ROLE_INDENT + "- " if n == 0 else " " * KEY_INDENT
            if key.items is None:
                out.append(with_comment(f"{lead}{name}: {_scalar(name, entry.data[name])}", key.comment))
                continue
            items = _ordered_items(key)
            out.append(with_comment(f"{lead}{name}:" + ("" if items else " []"), key.comment))
            for item in items:
                out += _comments(item.lead, ITEM_INDENT)
                out.append(with_comment(f"{' ' * ITEM_INDENT}- {id_value(item.value)}", item.comment))
    out += _comments(layout.trailing, 0)
    return "\n".join(out) + "\n"


def _expected(data: dict[str, Any]) -> dict[str, Any]:
    """What the formatted file must hold: the same roles, each role's permissions sorted."""
    return {"roles": [{**r, "permissions": sorted(r["permissions"])} if "permissions" in r else r
                      for r in data["roles"]]}


def format_roles_text(text: str, path: str) -> str:
    """``text`` (decoded, byte-order mark removed) in the canonical layout; ``EditError`` if unsafe."""
    layout = analyse(text, path)
    out = render(layout)
    verify(out, path, _expected(parse(text, path).data), "formatting")
    return out
