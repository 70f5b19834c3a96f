"""A fast path for files in canonical layout; anything else goes to the full strict loader.

Most grants files are written by tools (``permgate fmt``, generators, provisioning
exports) in one fixed layout::

    ---
    # a comment
    employee: E000001
    grants:
      - permission: P008
        granted_by: E000003
        granted_on: 2025-01-23
        reason: "on-call rota, ticket ACC-68579"
        expires: 2025-07-22

For such a file the full path (YAML events, a generic document, JSON Schema) spends
almost all its time proving what one compiled regular expression can see at once.
The recognisers here accept only a *conservative subset* of YAML in which every value
is unambiguous, and answer ``None`` (decline) for anything else, including every file
that the full path would report a problem for.  A declined file is simply loaded by
the full path, so declining is always safe.  What they accept, they must turn into
exactly what the full path builds (same values, lines and columns); the test suite
compares both on generated organisations, on the YAML test suite and on mutated files.

The subset:

- LF line ends only, no tabs, no blank lines; the file ends with a newline;
- an optional ``---`` first line and whole-line ``#`` comments before the first key;
- keys in the fixed order above (``expires`` optional), at the fixed indentation;
- ids are plain scalars of ``[A-Za-z0-9][A-Za-z0-9._-]*`` (at most 128 characters)
  that YAML 1.1 reads as text (not ``no``, ``0123``, ``1e3``...);
- dates are plain ``YYYY-MM-DD`` and real calendar dates;
- a reason is a one-line double-quoted string without ``\\`` or ``"`` inside and
  without characters YAML treats as line breaks or does not allow.
"""

from __future__ import annotations

import datetime as dt
import re
import sys

from permgate.load.yamldoc import _resolve_tag
from permgate.model import Grant, GrantsFile, Loc, Person

_TIMESTAMP = "tag:yaml.org,2002:timestamp"

_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# Characters YAML (libyaml) accepts in a one-line scalar or comment and never reads as a
# line break: not C0/C1 controls, not NEL/LS/PS, not the BOM, not U+FFFE/U+FFFF.
_TEXT_CHAR = "[^\"\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]"
_COMMENT = "#[^\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]*\n"

_GRANTS_HEAD = re.compile(
    rf"(?:---\n)?(?:{_COMMENT})*employee: ({_ID})\ngrants:\n"
)
_GRANT = re.compile(
    rf"  - permission: ({_ID})\n"
    rf"    granted_by: ({_ID})\n"
    rf"    granted_on: ({_DATE})\n"
    rf"    reason: \"({_TEXT_CHAR}{{0,4096}})\"\n"
    rf"(?:    expires: ({_DATE})\n)?"
)

# Memo of values already judged: an id or date string -> the one shared (interned)
# str, or absent.  Bounded by the number of distinct ids and dates in an organisation.
_ids: dict[str, str] = {}
_dates: dict[str, str] = {}
_BAD = ""


def _id(value: str) -> str:
    """``value`` interned if YAML 1.1 reads the plain scalar as text, else ``_BAD``."""
    tag = _resolve_tag(value)
    ok = tag is None or tag == _TIMESTAMP  # timestamps keep their text form in permgate
    if len(_ids) < 1_000_000:
        _ids[value] = sys.intern(value) if ok else _BAD
    return value if ok else _BAD


def _date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
        ok = True
    except ValueError:
        ok = False
    if len(_dates) < 1_000_000:
        _dates[value] = sys.intern(value) if ok else _BAD
    return value if ok else _BAD


def grants_file(text: str, rel: str) -> GrantsFile | None:
    """The ``GrantsFile`` the full loader would build from ``text``, or None (declined)."""
    head = _GRANTS_HEAD.match(text)
    if head is None:
        return None
    ids = _ids
    dates = _dates
    employee = ids.get(head[1]) or _id(head[1])
    if not employee:
        return None
    pos = head.end()
    line = text.count("\n", 0, pos) + 1
    employee_line = line - 2
    grants: list[Grant] = []
    append = grants.append
    for m in _GRANT.finditer(text, pos):
        if m.start() != pos:
            return None
        permission, granted_by, granted_on, reason, expires = m.groups()
        permission = ids.get(permission) or _id(permission)
        granted_by = ids.get(granted_by) or _id(granted_by)
        granted_on = dates.get(granted_on) or _date(granted_on)
        if not (permission and granted_by and granted_on):
            return None
        if expires is not None:
            expires = dates.get(expires) or _date(expires)
            if not expires:
                return None
            append(Grant(employee, permission, granted_by, granted_on, reason, expires, rel, line, 5))
            line += 5
        else:
            append(Grant(employee, permission, granted_by, granted_on, reason, None, rel, line, 5))
            line += 4
        pos = m.end()
    if pos != len(text) or not grants:
        return None
    return GrantsFile(rel, employee, Loc(rel, employee_line, 1), tuple(grants))


_PEOPLE_HEAD = re.compile(rf"(?:---\n)?(?:{_COMMENT})*people:\n")
_NAME_START = "[^\x00-\x20\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\"'#&*!|>%@`,\\[\\]{}?:\\-]"
_NAME_CHAR = "[^\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff:#]"
_PERSON = re.compile(
    rf"- id: ({_ID})\n"
    rf"  name: ({_NAME_START}(?:{_NAME_CHAR}{{0,4094}}[^\x00-\x20\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff:#])?)\n"
    rf"  division: ([A-Za-z0-9][A-Za-z0-9._-]{{0,127}})\n"
    rf"  manager: ({_ID})\n"
)


def people(text: str, rel: str) -> dict[str, Person] | None:
    """The people directory the full loader would build from ``text``, or None (declined).

    Declines as well when the directory has a problem the full loader reports (a
    duplicate id, an unknown manager, a management cycle), so that its message is the
    full loader's.
    """
    head = _PEOPLE_HEAD.match(text)
    if head is None:
        return None
    ids = _ids
    pos = head.end()
    line = text.count("\n", 0, pos) + 1
    out: dict[str, Person] = {}
    for m in _PERSON.finditer(text, pos):
        if m.start() != pos:
            return None
        pid, name, division, manager = m.groups()
        pid = ids.get(pid) or _id(pid)
        if not pid or pid in out:
            return None
        # a name or division is a plain scalar too: it must be read as text
        tag = _resolve_tag(name)
        if tag is not None and tag != _TIMESTAMP:
            return None
        tag = _resolve_tag(division)
        if tag is not None and tag != _TIMESTAMP:
            return None
        if manager == "null":
            boss: str | None = None
        else:
            boss = ids.get(manager) or _id(manager)
            if not boss:
                return None
        out[pid] = Person(pid, name, sys.intern(division), boss, Loc(rel, line, 3))
        line += 4
        pos = m.end()
    if pos != len(text) or not out:
        return None
    # the full loader's checks: every manager known, no management cycle
    rooted: set[str] = set()  # people whose chain is known to end at a division head
    for person in out.values():
        chain = [person.id]
        current = person.manager
        while current is not None and current not in rooted:
            if current in chain or current not in out:
                return None
            chain.append(current)
            current = out[current].manager
        rooted.update(chain)
    return out
