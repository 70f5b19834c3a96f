"""Remove grant entries from a grants file, changing no other byte.

A grant entry is its ``- permission:`` line (its dash line) through its last line that
is indented deeper than its dash, so multi-line values and comments *inside* the entry
go with it.  Comment lines directly above the entry (no blank line between), at the
dash's indentation, belong to it too ("# temporary, see ACC-123") and are removed with
it.  Everything else stays byte for byte: comments elsewhere, blank lines, the order and
quoting of the other entries, the line endings.  When the last entry goes, ``grants:``
becomes ``grants: []`` so the file stays a valid grants file.

The result is checked before anything is written: re-parsed with the strict loader, it
must hold exactly the old entries minus the removed ones, in order.  A layout that the
line rules above cannot handle safely (flow style, a dash with the mapping on the next
line...) is an ``EditError`` at its line, and nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from permgate.errors import EditError
from permgate.load.grants import load_grants_file
from permgate.load.source import MemorySource
from permgate.model import Grant

_DASH_PREFIX = re.compile(r"^( *)- +$")
_GRANTS_KEY = re.compile(r"^grants:[ \t]*(#.*)?$")


@dataclass(frozen=True)
class Removal:
    """One removed entry: its grant and the 1-based line range removed (comments included)."""

    grant: Grant
    first_line: int
    last_line: int
    text: str


def _split(text: str) -> list[str]:
    """Lines with their endings; only ``\\n`` ends a line (``\\r\\n`` keeps its ``\\r``)."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _body(line: str) -> str:
    return line.rstrip("\r\n")


def _is_comment_or_blank(line: str) -> bool:
    s = _body(line).strip()
    return not s or s.startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def entry_span(lines: list[str], grant: Grant) -> tuple[int, int]:
    """0-based (first, last) line indexes of ``grant``'s entry, attached comments included."""
    start = grant.line - 1
    first = lines[start] if start < len(lines) else ""
    prefix = first[:grant.column - 1]
    m = _DASH_PREFIX.match(prefix)
    if m is None:
        raise EditError(grant.path, grant.line, grant.column,
                        "cannot remove this entry safely: expected `- permission: ...` on one line (block style)")
    dash = len(m.group(1))
    last = start
    i = start + 1
    while i < len(lines):
        if _is_comment_or_blank(lines[i]):
            i += 1
            continue
        if _indent(lines[i]) <= dash:
            break
        last = i
        i += 1
    top = start
    while top > 0 and _body(lines[top - 1]).strip().startswith("#") and _indent(lines[top - 1]) == dash:
        top -= 1
    return top, last


def remove_entries(content: bytes, path: str, grants: list[Grant], all_grants: tuple[Grant, ...],
                   max_bytes: int, role_entries: tuple[Grant, ...] = ()) -> tuple[bytes, list[Removal]]:
    """``content`` without the entries of ``grants`` (all in file ``path``, whose usable direct
    grants are ``all_grants`` and role entries ``role_entries``, which stay); raises ``EditError``
    rather than write a wrong file."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise EditError(path, 1, 1, "file is not UTF-8") from None
    lines = _split(text)
    spans: list[tuple[Grant, int, int]] = []
    for g in sorted(grants, key=lambda g: g.line):
        top, last = entry_span(lines, g)
        if spans and top <= spans[-1][2]:
            raise EditError(path, g.line, g.column, "cannot remove this entry safely: it overlaps the one above")
        spans.append((g, top, last))
    removals = [Removal(g, top + 1, last + 1, "".join(lines[top:last + 1])) for g, top, last in spans]
    drop = {i for _, top, last in spans for i in range(top, last + 1)}
    kept = [line for i, line in enumerate(lines) if i not in drop]
    removed_lines = {g.line for g in grants}
    remaining = [g for g in all_grants if g.line not in removed_lines]
    if not remaining and not role_entries:
        for i, line in enumerate(kept):
            if _GRANTS_KEY.match(_body(line)):
                kept[i] = "grants: []" + line[len("grants:"):]
                break
    new = "".join(kept).encode("utf-8")
    _verify(new, path, remaining, max_bytes, role_entries)
    return new, removals


def _fields(g: Grant) -> tuple[str, str, str, str, str | None]:
    return (g.permission, g.granted_by, g.granted_on, g.reason, g.expires)


def _verify(new: bytes, path: str, remaining: list[Grant], max_bytes: int,
            role_entries: tuple[Grant, ...] = ()) -> None:
    gf, _problems = load_grants_file(MemorySource({path: new}), path, max_bytes)
    got = ([_fields(g) for g in gf.grants], [(g.role, *_fields(g)) for g in gf.role_grants]) if gf else None
    if got != ([_fields(g) for g in remaining], [(g.role, *_fields(g)) for g in role_entries]):
        raise EditError(path, 1, 1, "cannot remove the entries safely: the file would not read back as the other "
                        "entries unchanged; nothing was written (edit it by hand)")
