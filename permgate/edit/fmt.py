"""The canonical layout of a grants file, and the rewrite into it.

Canonical means exactly what ``gen_org.py`` writes, plus the comments the author kept:

- ``---`` on the first line, then the header comments, then ``employee:``, then
  ``grants:`` (``grants: []`` when there are none);
- grant entries sorted by permission id (entries with the same id keep their order),
  then role entries (``  - role:``) sorted by role id;
  each ``  - permission:`` (or ``role:``) then ``    granted_by:``, ``    granted_on:``,
  ``    reason: "..."`` (always double-quoted), ``    expires:`` when present;
- ids and dates plain, unless YAML would read the id as something else (then quoted);
- comments re-indented to what they belong to (column 0 for the header, the top-level
  keys and the end of the file; 2 for a comment above an entry; 4 inside an entry);
  end-of-line comments kept, two spaces after the value;
- blank-line policy: none.  A canonical file has no blank lines; group entries with
  comments, which move with their entry;
- ``\\n`` line endings, no byte-order mark, no trailing spaces, one final newline.

Every rewrite is checked: the result is parsed again with the strict loader and must
hold the same employee and the same grants (in sorted order), or nothing is written.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from permgate.edit.layout import Comment, Item, Layout, analyse
from permgate.edit.render import (
    GRANT_KEYS,
    ITEM_INDENT,
    KEY_OFFSET,
    entry_order,
    grant_lines,
    id_value,
    with_comment,
)
from permgate.errors import EditError, LoadError
from permgate.load import canonical
from permgate.load.yamldoc import parse


def _comments(comments: list[Comment], indent: int) -> list[str]:
    return [" " * indent + c.text for c in comments]


def _item_lines(item: Item) -> list[str]:
    keys = [k for k in GRANT_KEYS if k in item.data]
    first = keys[0]
    lead = item.lead + item.inner.get(first, [])
    inner = {k: [c.text for c in cs] for k, cs in item.inner.items() if k != first}
    lines = _comments(lead, ITEM_INDENT)
    lines += grant_lines(item.data, ITEM_INDENT, KEY_OFFSET, {p.key: p.comment for p in item.pairs}, inner)
    return lines


def sorted_items(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda i: entry_order(i.data))


def render_layout(layout: Layout) -> str:
    out = ["---"]
    out += _comments(layout.header, 0)
    employee = layout.top["employee"]
    out += _comments(employee.lead, 0)
    out.append(with_comment(f"employee: {id_value(layout.employee)}", employee.comment))
    grants = layout.top["grants"]
    out += _comments(grants.lead, 0)
    if layout.items:
        out.append(with_comment("grants:", grants.comment))
        for item in sorted_items(layout.items):
            out += _item_lines(item)
    else:
        out.append(with_comment("grants: []", grants.comment))
    out += _comments(layout.trailing, 0)
    return "\n".join(out) + "\n"


def verify(text: str, path: str, expected: dict[str, Any], what: str) -> None:
    """Parse ``text`` strictly and insist that it holds ``expected``; else refuse to write."""
    try:
        data = parse(text, path).data
    except LoadError as err:
        raise EditError(path, err.line, err.column, f"{what} would not parse ({err.detail}); nothing written") from None
    if data != expected:
        raise EditError(path, 1, 1, f"{what} would change what the file means; nothing written")


def already_canonical(text: str, path: str) -> bool:
    """A cheap proof that ``text`` is canonical, for the common case of a tool-written file.

    The loader's fast-path recogniser (``permgate.load.canonical``) accepts a strict
    subset of this layout; with ``---`` first, entries sorted and no trailing spaces after
    header comments, what it accepts is exactly what ``render_layout`` writes (the test
    suite checks both ways agree on generated organisations and on mutated files).
    """
    if not text.startswith("---\n"):
        return False
    gf = canonical.grants_file(text, path)
    if gf is None:
        return False
    ids = [g.permission for g in gf.grants]
    if any(a > b for a, b in pairwise(ids)):
        return False
    if gf.role_grants:  # role entries come after every permission entry, sorted by role id
        roles = [g.role or "" for g in gf.role_grants]
        if any(a > b for a, b in pairwise(roles)) or (gf.grants and gf.grants[-1].line > gf.role_grants[0].line):
            return False
    head = text[: text.index("\nemployee: ")]
    return all(line == line.rstrip() for line in head.split("\n"))


def format_text(text: str, path: str, fast: bool = True) -> str:
    """``text`` (decoded, byte-order mark removed) in the canonical layout; ``EditError`` if unsafe."""
    if fast and already_canonical(text, path):
        return text
    layout = analyse(text, path)
    out = render_layout(layout)
    expected = {"employee": layout.employee, "grants": [i.data for i in sorted_items(layout.items)]}
    verify(out, path, expected, "formatting")
    return out
