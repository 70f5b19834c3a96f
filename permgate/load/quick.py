"""Byte-level answers about grants files in a strict subset of the canonical layout.

Some commands need one fact of every grants file, not the file: ``who-can`` the grants of
one permission (and whether the file has problems), the base index of ``check --base``
the employee a file declares.  Building every file's grants (``canonical.grants_file``)
to read one fact costs most of such a run, so this module answers from the bytes.

``FILE`` recognises, with one ``fullmatch`` of a compiled expression, a subset of what
``canonical.grants_file`` accepts: ASCII only (printable, LF line ends), ids whose first
character makes them text for any YAML reader (``canonical._TEXT_FIRST``), and dates that
are certainly calendar dates (years 1900-2099; a 29 February is left to the plain path).
A file it recognises is one the canonical path accepts with no problem, so:

- its declared employee is the ``employee:`` value, and nothing else (``declared``);
- every grant entry starts a line with ``  - permission: ``, and no other line does, so
  the entries of one permission are found by looking for that line (``grants_of``).

Anything it does not recognise answers None, and the caller loads the file the plain way
(``load.bulk``).  ``tests/load/test_quick.py`` compares both with the canonical path on
generated organisations and on mutated files.
"""

from __future__ import annotations

import re

from permgate.load.canonical import _TEXT_FIRST
from permgate.model import Grant

_FIRST = "".join(sorted(_TEXT_FIRST)).encode("ascii")
_ID = rb"[" + _FIRST + rb"][A-Za-z0-9._-]{0,127}"
# certainly calendar dates, years 1900-2099: days 1-28 of any month, 29-30 of every month but
# February, 31 of the long months, 29 February of the leap years 2000-2096 (other dates go to the
# canonical path, which asks the calendar)
_DATE = (rb"(?:(?:19|20)[0-9]{2}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
         rb"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)|20(?:[02468][048]|[13579][26])-02-29)")
# printable ASCII but the double quote and the backslash (no escape can spell anything)
_REASON = rb'"[ !#-\[\]-~]{0,4096}+"'
_GRANT = (rb"  - permission: " + _ID + rb"\n    granted_by: " + _ID + rb"\n    granted_on: " + _DATE
          + rb"\n    reason: " + _REASON + rb"\n(?:    expires: " + _DATE + rb"\n)?")

#: a whole grants file every value of which is certainly good: ``FILE.fullmatch(data)``, group 1
#: the employee
FILE = re.compile(rb"(?:---\n)?(?:#[ -~]*+\n)*+employee: (" + _ID + rb")\ngrants:\n(?:" + _GRANT + rb")++")

_FIELDS = re.compile(rb"    granted_by: (" + _ID + rb")\n    granted_on: (" + _DATE + rb")\n    reason: \"([^\"]*)\"\n"
                     rb"(?:    expires: (" + _DATE + rb")\n)?")


def declared(data: bytes) -> str | None:
    """The employee a recognised file declares (its only one), or None (not recognised)."""
    m = FILE.fullmatch(data)
    return m[1].decode("ascii") if m else None


def entry_line(permission: str) -> bytes:
    """The first line of a grant entry of ``permission`` in a recognised file, with the line
    break before it (the ``grants:`` line or the previous entry ends with one)."""
    return b"\n  - permission: " + permission.encode("utf-8") + b"\n"


def grants_of(data: bytes, rel: str, entry: bytes) -> tuple[Grant, ...] | None:
    """The grants of one permission (``entry_line``) in ``data``, as ``canonical.grants_file``
    builds them; None when ``data`` is not a recognised file."""
    m = FILE.fullmatch(data)
    if m is None:
        return None
    employee = m[1].decode("ascii")
    permission = entry[17:-1].decode("utf-8")
    out = []
    at = data.find(entry, m.end(1))
    while at >= 0:
        fields = _FIELDS.match(data, at + len(entry))
        if fields is None:  # pragma: no cover - FILE vouches for every entry
            return None
        granted_by, granted_on, reason, expires = fields.groups()
        out.append(Grant(employee, permission, granted_by.decode("ascii"), granted_on.decode("ascii"),
                         reason.decode("ascii"), expires.decode("ascii") if expires else None, rel,
                         data.count(b"\n", 0, at + 1) + 1, 5))
        at = data.find(entry, fields.end() - 1)
    return tuple(out)
