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
import gc
import re
import sys
from collections.abc import Iterable
from itertools import repeat
from operator import itemgetter, lt

from yaml.resolver import Resolver

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
# one grant entry, starting at the beginning of a line
_GRANT = re.compile(
    rf"^  - permission: ({_ID})\n"
    rf"    granted_by: ({_ID})\n"
    rf"    granted_on: ({_DATE})\n"
    rf"    reason: \"({_TEXT_CHAR}{{0,4096}})\"\n"
    rf"(?:    expires: ({_DATE})\n)?",
    re.MULTILINE,
)

# a grant entry or a role entry (``- role:``), for files that hold role entries (``_with_roles``)
_ENTRY = re.compile(
    rf"^  - (permission|role): ({_ID})\n"
    rf"    granted_by: ({_ID})\n"
    rf"    granted_on: ({_DATE})\n"
    rf"    reason: \"({_TEXT_CHAR}{{0,4096}})\"\n"
    rf"(?:    expires: ({_DATE})\n)?",
    re.MULTILINE,
)

# Memo of values already judged good: an id or date -> the one shared (interned) str.
# Values judged bad are kept apart so that a lookup in these dicts is the whole check.
# Bounded by the number of distinct ids and dates in an organisation.
_ids: dict[str, str] = {}
_dates: dict[str, str] = {}
_MEMO_MAX = 2_000_000


def _id(value: str) -> str:
    """``value`` interned if YAML 1.1 reads the plain scalar as text, else ``""``."""
    if value in _ids:
        return _ids[value]
    tag = _resolve_tag(value)
    if tag is not None and tag != _TIMESTAMP:  # timestamps keep their text form in permgate
        return ""
    if len(_ids) < _MEMO_MAX:
        value = _ids.setdefault(value, sys.intern(value))
    return value


_texts: dict[str, str] = {}


def _text(value: str) -> str:
    """``value`` (shared) if YAML 1.1 reads the plain scalar as text, else ``""``."""
    if value in _texts:
        return _texts[value]
    tag = _resolve_tag(value)
    if tag is not None and tag != _TIMESTAMP:
        return ""
    if len(_texts) < _MEMO_MAX:
        value = _texts.setdefault(value, value)
    return value


def _date(value: str) -> str:
    if value in _dates:
        return _dates[value]
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return ""
    if len(_dates) < _MEMO_MAX:
        value = _dates.setdefault(value, sys.intern(value))
    return value


def _judge(rows: list[tuple[str, str, str, str, str]]) -> bool:
    """Judge (and memoise) every id and date of ``rows``; False if one is bad."""
    return all(_id(p) and _id(b) and _date(o) and (not e or _date(e)) for p, b, o, _, e in rows)


_make = tuple.__new__


def grants_file(text: str, rel: str) -> GrantsFile | None:
    """The ``GrantsFile`` the full loader would build from ``text``, or None (declined)."""
    head = _GRANTS_HEAD.match(text)
    if head is None:
        return None
    employee = _id(head[1])
    if not employee:
        return None
    pos = head.end()
    if "  - role: " in text:
        return _with_roles(text, rel, employee, pos)
    rows = _GRANT.findall(text, pos)
    # findall skips what does not match; every entry starts a line and ends with a newline,
    # so anything skipped would hold a line that no entry accounts for
    if not rows or not text.endswith("\n"):
        return None
    if text.count("\n", pos) != 5 * len(rows) - [r[4] for r in rows].count(""):
        return None
    first = text.count("\n", 0, pos) + 1
    try:
        grants = _build(employee, rows, rel, first)
    except KeyError:  # a value not judged yet, or a bad one (never memoised)
        if not _judge(rows):
            return None
        try:
            grants = _build(employee, rows, rel, first)
        except KeyError:  # the memo is full: judge each value on its own
            grants = _slow_rows(employee, rows, rel, first)
    return GrantsFile(rel, employee, Loc(rel, first - 2, 1), grants)


def _with_roles(text: str, rel: str, employee: str, pos: int) -> GrantsFile | None:
    """``grants_file`` for a file holding role entries: the same layout, each entry ``- permission:`` or
    ``- role:``, built value by value (such files are few, and short)."""
    rows = _ENTRY.findall(text, pos)
    if not rows or not text.endswith("\n"):
        return None
    if text.count("\n", pos) != 5 * len(rows) - [r[5] for r in rows].count(""):
        return None
    line = text.count("\n", 0, pos) + 1
    first = line
    grants: list[Grant] = []
    roles: list[Grant] = []
    for key, value, granted_by, granted_on, reason, expires in rows:
        ident, by, on = _id(value), _id(granted_by), _date(granted_on)
        until = _date(expires) if expires else None
        if not (ident and by and on) or until == "":
            return None
        if key == "role":
            roles.append(Grant(employee, "", by, on, reason, until, rel, line, 5, ident))
        else:
            grants.append(Grant(employee, ident, by, on, reason, until, rel, line, 5, None))
        line += 5 if expires else 4
    return GrantsFile(rel, employee, Loc(rel, first - 2, 1), tuple(grants), tuple(roles))


def _build(employee: str, rows: list[tuple[str, str, str, str, str]], rel: str, line: int) -> tuple[Grant, ...]:
    """The grants of ``rows``; KeyError when a value is not (yet) known good."""
    ids = _ids
    dates = _dates
    grants: list[Grant] = []
    append = grants.append
    for permission, granted_by, granted_on, reason, expires in rows:
        if expires:
            append(_make(Grant, (employee, ids[permission], ids[granted_by], dates[granted_on], reason,
                                 dates[expires], rel, line, 5, None)))
            line += 5
        else:
            append(_make(Grant, (employee, ids[permission], ids[granted_by], dates[granted_on], reason,
                                 None, rel, line, 5, None)))
            line += 4
    return tuple(grants)


def _slow_rows(employee: str, rows: list[tuple[str, str, str, str, str]], rel: str, line: int) -> tuple[Grant, ...]:
    grants = []
    for permission, granted_by, granted_on, reason, expires in rows:
        grants.append(Grant(employee, _id(permission), _id(granted_by), _date(granted_on), reason,
                            _date(expires) if expires else None, rel, line, 5))
        line += 5 if expires else 4
    return tuple(grants)


_PEOPLE_HEAD = re.compile(rf"(?:---\n)?(?:{_COMMENT})*people:\n")
_NAME_START = "[^\x00-\x20\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\"'#&*!|>%@`,\\[\\]{}?:\\-]"
_NAME_CHAR = "[^\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff:#]"
# one person, starting at the beginning of a line (four lines)
_PERSON = re.compile(
    rf"^- id: ({_ID})\n"
    rf"  name: ({_NAME_START}(?:{_NAME_CHAR}{{0,4094}}[^\x00-\x20\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff:#])?)\n"
    rf"  division: ([A-Za-z0-9][A-Za-z0-9._-]{{0,127}})\n"
    rf"  manager: ({_ID})\n",
    re.MULTILINE,
)

#: First characters for which YAML 1.1 (PyYAML's implicit resolvers) and the YAML 1.2
#: number forms ``yamldoc`` also refuses have no reading but text: a plain scalar that
#: starts with one is a string whatever follows (``E000123``, ``Jun Haddad``).
_TEXT_FIRST = frozenset(
    c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    if c not in Resolver.yaml_implicit_resolvers and c not in "-+.0123456789"
)



def _is_text(value: str) -> bool:
    """True if YAML 1.1 reads the plain scalar ``value`` as text (as ``_id`` and ``_text`` judge)."""
    if value[0] in _TEXT_FIRST:
        return True
    tag = _resolve_tag(value)
    return tag is None or tag == _TIMESTAMP


def _persons(columns: list[Iterable[object]], count: int) -> list[Person]:
    """``[Person(*row) for row in zip(*columns)]``, each built by C code (``tuple.__new__``)."""
    return list(map(_make, repeat(Person, count), zip(*columns, strict=True)))


def _has_cycle(boss_of: dict[str, str | None]) -> bool:
    """Whether some management chain loops; linear: each person is walked once."""
    rooted: set[str] = set()  # people whose chain is known to end at a division head
    for pid, boss in boss_of.items():
        chain = [pid]
        seen = {pid}
        current = boss
        while current is not None and current not in rooted:
            if current in seen:
                return True
            chain.append(current)
            seen.add(current)
            current = boss_of[current]
        rooted.update(chain)
    return False


def people(text: str, rel: str) -> dict[str, Person] | None:
    """The people directory the full loader would build from ``text``, or None (declined).

    Declines as well when the directory has a problem the full loader reports (a
    duplicate id, an unknown manager, a management cycle), so that its message is the
    full loader's.  The cycle collector is paused meanwhile (as a check pauses it around
    all loading): the objects built here hold no cycles, and there are hundreds of
    thousands of them.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        return _people(text, rel)
    finally:
        if was:
            gc.enable()


def _people(text: str, rel: str) -> dict[str, Person] | None:
    """``people``, judged column by column (each distinct id, name and division once)
    and built by C-level maps: no Python code runs per person on a directory where
    every manager comes before their reports.
    """
    head = _PEOPLE_HEAD.match(text)
    if head is None:
        return None
    pos = head.end()
    rows = _PERSON.findall(text, pos)
    # every entry starts a line and takes exactly four: the entries cover the rest of the
    # file only if they account for all its lines (as in ``grants_file``)
    if not rows or not text.endswith("\n") or text.count("\n", pos) != 4 * len(rows):
        return None
    pids, names, divisions, managers = zip(*rows, strict=True)
    count = len(pids)
    # one shared string per distinct value (names and divisions repeat)
    ids = dict(zip(pids, pids, strict=True))
    shared_names = dict(zip(names, names, strict=True))
    shared_divisions = dict(zip(divisions, divisions, strict=True))
    if len(ids) != count:
        return None  # a duplicate id: the full loader says which
    # ids, names and divisions are plain scalars: each must be read as text
    for values in (ids, shared_names, shared_divisions):
        if not set(map(itemgetter(0), values)) <= _TEXT_FIRST and not all(map(_is_text, values)):
            return None
    boss_ids = set(managers)
    boss_ids.discard("null")
    if not boss_ids <= ids.keys():
        return None  # an unknown manager: the full loader's message
    bosses = list(map(ids.get, managers))  # "null" (no id can be that) -> None
    # the full loader's check: no management cycle.  When every manager comes before
    # their reports (as directories are usually written) the order itself proves it.
    index = dict(zip(pids, range(count), strict=True))
    index["null"] = -1  # no id can be "null" (YAML reads it as null)
    in_order = all(map(lt, map(index.__getitem__, managers), range(count)))
    if not in_order and _has_cycle(dict(zip(pids, bosses, strict=True))):
        return None
    first = text.count("\n", 0, pos) + 1
    lines = range(first, first + 4 * count, 4)
    locs = map(_make, repeat(Loc, count), zip(repeat(rel, count), lines, repeat(3, count), strict=True))
    persons = _persons([ids, map(shared_names.__getitem__, names), map(shared_divisions.__getitem__, divisions),
                        bosses, locs, repeat(None, count), repeat(None, count)], count)
    if len(_ids) + count <= _MEMO_MAX:
        _ids.update(ids)  # grants files name these people: their ids are known good
    return dict(zip(ids, persons, strict=True))
