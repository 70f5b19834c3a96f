"""The canonical spelling of grants-file values and entries (the layout of ``gen_org.py``).

    ---
    # grants held by Ada Abbott (retail-sales)
    employee: E000001
    grants:
      - permission: P001
        granted_by: E000002
        granted_on: 2026-01-05
        reason: "ticket ACC-00101"
        expires: 2026-07-04
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from permgate.load.yamldoc import resolve_tag

#: The keys of a grant entry, in canonical order.
GRANT_KEYS = ("permission", "role", "granted_by", "granted_on", "reason", "expires")
ID_KEYS = frozenset({"employee", "permission", "role", "granted_by"})


def entry_order(grant: Mapping[str, Any]) -> tuple[int, str]:
    """Where an entry goes: permission entries by id, then role entries (``- role:``) by role id."""
    if "permission" in grant:
        return (0, str(grant["permission"]))
    return (1, str(grant.get("role", "")))
DATE_KEYS = frozenset({"granted_on", "expires"})

ITEM_INDENT = 2
KEY_OFFSET = 2

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
# whole-value matches (fullmatch): with ``match``, ``$`` also matches before a final "\n"
_SAFE_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# characters a YAML double-quoted scalar may hold as they are (YAML 1.1 printable, minus
# the line breaks NEL, LS and PS that a reader would fold)
_PRINTABLE = re.compile("[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}


def double_quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar that reads back exactly as ``text``."""
    out = ['"']
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _PRINTABLE.match(ch):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def id_value(value: str) -> str:
    """An id plain when permgate's loader reads it back as the same text, double-quoted otherwise.

    (A plain date-like id stays text: the strict loader keeps timestamps as their text.)
    """
    if _SAFE_PLAIN.fullmatch(value) and resolve_tag(value) in (None, _TIMESTAMP):
        return value
    return double_quoted(value)


def scalar(key: str, value: str) -> str:
    """The canonical spelling of the value of ``key``."""
    if key in DATE_KEYS and _DATE.fullmatch(value):
        return value  # the strict loader keeps dates as their text
    if key in ID_KEYS:
        return id_value(value)
    return double_quoted(value)


def with_comment(line: str, comment: str) -> str:
    return f"{line}  {comment}" if comment else line


def grant_lines(grant: Mapping[str, str], indent: int = ITEM_INDENT, offset: int = KEY_OFFSET,
                comments: Mapping[str, str] | None = None,
                inner: Mapping[str, list[str]] | None = None) -> list[str]:
    """One grant entry: ``- permission:`` first, then the other keys in canonical order.

    ``comments`` are end-of-line comments per key; ``inner`` are comment lines placed
    above a key (never above the first, which shares its line with the dash).
    """
    lines: list[str] = []
    keys = [k for k in GRANT_KEYS if k in grant] + sorted(k for k in grant if k not in GRANT_KEYS)
    for n, key in enumerate(keys):
        if n and inner:
            lines.extend(" " * (indent + offset) + c for c in inner.get(key, ()))
        lead = " " * indent + "-" + " " * (offset - 1) if n == 0 else " " * (indent + offset)
        lines.append(with_comment(f"{lead}{key}: {scalar(key, grant[key])}", (comments or {}).get(key, "")))
    return lines


def new_file(employee: str, grants: list[Mapping[str, str]], header: str | None = None) -> str:
    """A whole grants file in the canonical layout, grants sorted by permission id."""
    lines = ["---"]
    if header:
        lines.append(f"# {header}")
    lines.append(f"employee: {id_value(employee)}")
    ordered = sorted(grants, key=entry_order)
    if not ordered:
        lines.append("grants: []")
    else:
        lines.append("grants:")
        for g in ordered:
            lines.extend(grant_lines(g))
    return "\n".join(lines) + "\n"


#: the keys of a people / catalog entry, in the order the files list them
PERSON_KEYS = ("id", "name", "division", "manager", "division_since", "function")
PERMISSION_KEYS = ("id", "name", "owner_division", "description", "sensitive", "retired", "grants_access")
_DIRECTORY = {"people": ("people", PERSON_KEYS), "catalog": ("permissions", PERMISSION_KEYS)}


def _entry_value(key: str, value: str | bool | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if key in ("id", "manager", "division", "owner_division", "function"):
        return id_value(value)
    if key == "division_since" and _DATE.fullmatch(value):
        return value
    return double_quoted(value)


def directory_file(kind: str, rows: list[Mapping[str, str | bool | None]], header: str | None = None) -> str:
    """``people.yaml`` (``kind`` "people") or ``catalog.yaml`` ("catalog"): one entry per row, in order."""
    section, keys = _DIRECTORY[kind]
    lines = ["---"]
    if header:
        lines.append(f"# {header}")
    if not rows:
        lines.append(f"{section}: []")
    else:
        lines.append(f"{section}:")
        for row in rows:
            for n, key in enumerate(k for k in keys if k in row):
                lines.append(f"{'- ' if n == 0 else '  '}{key}: {_entry_value(key, row[key])}")
    return "\n".join(lines) + "\n"
