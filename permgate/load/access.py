"""The system of record's export: who holds what today (``permgate reconcile``, ``permgate import``).

Two formats (docs/reconcile.md): CSV with a header row (``.csv`` or anything else), and JSON Lines
(``.jsonl``, ``.ndjson``), one object per line.  Fields: ``employee``, ``permission`` (required),
``granted_on``, ``granted_by``, ``last_used``, ``source``; ``permgate.yaml``'s ``reconcile: columns``
maps them to the export's own names.

Strict like every other input, and streamed: the file is read line by line and each row is judged
as it comes; only the held ``(employee, permission)`` pairs are kept (as ``Grant`` records located
at their row, which the comparison and the policy rules need).  A row that cannot be used is a
``LoadProblem`` at ``PATH:LINE:FIELD`` (the line the row starts on; the 1-based position of the
field in the row, as a spreadsheet counts columns) and the other rows are still read.  A file
that cannot be read at all (missing, over ``reconcile: max_file_bytes``, UTF-16, no usable header)
is a ``ConfigError``: ``Error: ...`` with exit 2, since nothing could be compared.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import re
from array import array
from collections.abc import Callable, Iterator
from typing import IO, Any

from permgate.config import EXPORT_FIELDS, Config
from permgate.errors import ConfigError
from permgate.model import ActualAccess, ByLine, Grant, LoadProblem

REQUIRED = ("employee", "permission")
#: the id and date patterns of the bundled schemas (schemas/grants.schema.json)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: written where the export says nothing (``granted_by``, ``granted_on``): visible, never a guess
UNKNOWN = "?"
JSON_SUFFIXES = (".jsonl", ".ndjson")


def is_json_lines(path: str) -> bool:
    return path.lower().endswith(JSON_SUFFIXES)


class _Rows:
    """Validates the fields of one row after another, remembering only what the comparison needs."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.problems: list[LoadProblem] = []
        self.held: dict[str, dict[str, Grant]] = {}
        self.used_lines = array("l")  # the rows with a ``last_used`` (lines only grow), and their dates
        self.used_dates: list[str] = []
        self.rows = 0
        self.sources: dict[int, str] = {}  # line -> source (only kept for ``import``)
        self._ids: dict[str, str] = {}  # validated ids, interned: 100,000 employees, not 2,000,000 strings
        self._dates: dict[str, str] = {}
        self.keep_source = False

    def problem(self, line: int, column: int, message: str, employee: str | None = None) -> None:
        self.problems.append(LoadProblem(self.display, line, column, message, employee))

    def _id(self, value: str, what: str, line: int, column: int) -> str | None:
        known = self._ids.get(value)
        if known is not None:
            return known
        if not value:
            self.problem(line, column, f"`{what}` is empty")
            return None
        if not _ID.fullmatch(value):
            self.problem(line, column, f"`{what}` {value!r} is not an id (letters, digits, '.', '_', ':', '-')")
            return None
        self._ids[value] = value
        return value

    def _date(self, value: str, what: str, line: int, column: int) -> str | None:
        """A YYYY-MM-DD date, or None (and a problem unless the value is empty)."""
        known = self._dates.get(value)
        if known is not None:
            return known
        if not value:
            return None
        try:
            if not _DATE.fullmatch(value):
                raise ValueError(value)
            dt.date.fromisoformat(value)
        except ValueError:
            self.problem(line, column, f"`{what}` {value!r} is not a date written YYYY-MM-DD")
            return None
        self._dates[value] = value
        return value

    def add(self, line: int, values: dict[str, str], columns: dict[str, int]) -> None:
        """One row: ``values`` by field, ``columns`` the 1-based position of each field."""
        self.add_fields(line, values["employee"], values["permission"], values.get("granted_on"),
                        values.get("granted_by"), values.get("last_used"), values.get("source"), columns)

    def add_fields(self, line: int, employee_value: str, permission_value: str, on_value: str | None,
                   by_value: str | None, used_value: str | None, source: str | None,
                   columns: dict[str, int]) -> None:
        """One row by field (None: the export has no such column); ``columns`` the 1-based position of
        each field.  Ids and dates seen before are taken from the interned sets without a second look."""
        ids = self._ids
        dates = self._dates
        employee = ids.get(employee_value) or self._id(employee_value, "employee", line, columns["employee"])
        permission = ids.get(permission_value) or self._id(permission_value, "permission", line,
                                                           columns["permission"])
        granted_on = granted_by = last_used = None
        bad = employee is None or permission is None
        if on_value is not None:
            granted_on = dates.get(on_value) or self._date(on_value, "granted_on", line, columns["granted_on"])
            bad |= granted_on is None and on_value != ""
        if used_value is not None:
            last_used = dates.get(used_value) or self._date(used_value, "last_used", line, columns["last_used"])
            bad |= last_used is None and used_value != ""
        if by_value:
            granted_by = ids.get(by_value) or self._id(by_value, "granted_by", line, columns["granted_by"])
            bad |= granted_by is None
        if bad or employee is None or permission is None:
            return
        mine = self.held.get(employee)
        if mine is None:
            mine = self.held[employee] = {}
        first = mine.get(permission)
        if first is not None:
            self.problem(line, columns["permission"], f"{employee} {permission} is listed twice "
                         f"(first at line {first.line}); each held permission is one row", employee)
            return
        mine[permission] = Grant(employee, permission, granted_by or UNKNOWN, granted_on or UNKNOWN, "", None,
                                 self.display, line, columns["permission"])
        if last_used is not None:
            self.used_lines.append(line)
            self.used_dates.append(last_used)
        if self.keep_source and source:
            self.sources[line] = source

    def result(self) -> ActualAccess:
        return ActualAccess(self.display, self.held, tuple(self.problems), ByLine(self.used_lines, self.used_dates),
                            self.rows, sources=self.sources)


def _open(path: str, display: str, config: Config) -> IO[bytes]:
    try:
        size = os.stat(path).st_size
        fh = open(path, "rb")  # noqa: SIM115 (closed by the caller)
    except OSError as err:
        raise ConfigError(display, 1, 1, f"cannot read the export: {err.strerror}") from None
    if size > config.max_export_bytes:
        fh.close()
        raise ConfigError(display, 1, 1, f"the export is {size} bytes, over the limit of {config.max_export_bytes} "
                          "(permgate.yaml reconcile: max_file_bytes)")
    return fh


#: bytes read at a time by ``text_lines`` (then completed to the end of a line)
BLOCK_BYTES = 1 << 22


def text_lines(fh: IO[bytes], display: str, problem: Callable[[int, int, str], None],
               what: str = "the export") -> Iterator[str]:
    """Each line decoded as UTF-8 (a byte-order mark on the first is dropped).  A line that is not
    UTF-8 or holds a NUL byte is a problem at its line and column and is read as an empty line, so
    that the line numbers of the rows after it stay true.

    Fast path beside the plain one (``plain_lines``, line by line): a block of whole lines without a
    NUL byte that decodes as UTF-8 as a whole is split at ``\n`` in C; any other block goes line by
    line.  The same lines either way, since ``\n`` is never part of a longer UTF-8 sequence
    (``tests/load/test_access_speed.py``)."""
    n = 0
    while True:
        block = fh.read(BLOCK_BYTES)
        if not block:
            return
        if not block.endswith(b"\n"):
            block += fh.readline()
        if n == 0 and block.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
            yield from plain_lines(io.BytesIO(block), display, problem, what)  # the first block: rare
        else:
            text = None
            if b"\x00" not in block:
                with contextlib.suppress(UnicodeDecodeError):  # then line by line, to say where
                    text = block.decode("utf-8")
            if text is not None:
                yield from io.StringIO(text, newline="\n")
            else:
                yield from plain_lines(io.BytesIO(block), display, problem, what, n)
        n += block.count(b"\n") + (not block.endswith(b"\n"))


def plain_lines(fh: IO[bytes], display: str, problem: Callable[[int, int, str], None], what: str = "the export",
                before: int = 0) -> Iterator[str]:
    """``text_lines`` line by line (the plain path), numbering lines from ``before`` + 1; the first
    line of the file (``before`` 0) may start with a byte-order mark."""
    for n, raw in enumerate(fh, before + 1):
        if n == 1:
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            elif raw.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
                raise ConfigError(display, 1, 1, f"{what} is UTF-16 or UTF-32; it must be UTF-8")
        nul = raw.find(b"\x00")
        if nul >= 0:
            problem(n, nul + 1, "line contains a NUL byte (UTF-16 without a byte-order mark?); "
                    f"{what} must be UTF-8 text")
            yield "\n"
            continue
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as err:
            problem(n, err.start + 1, f"line is not valid UTF-8 (byte 0x{raw[err.start]:02x})")
            yield "\n"


def _header(names: list[str], display: str, config: Config) -> dict[str, int]:
    """field -> index into the row, from the header row's column names."""
    column_of = {field: config.export_columns.get(field, field) for field in EXPORT_FIELDS}
    field_of = {name: field for field, name in column_of.items()}
    out: dict[str, int] = {}
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise ConfigError(display, 1, i + 1, f"column `{name}` appears twice (first as column {seen[name] + 1})")
        seen[name] = i
        field = field_of.get(name)
        if field is None:
            raise ConfigError(display, 1, i + 1, f"column `{name}` is not a field of the export "
                              f"({', '.join(column_of[f] for f in EXPORT_FIELDS)}); map it in permgate.yaml "
                              "reconcile: columns, or leave it out of the export")
        out[field] = i
    for field in REQUIRED:
        if field not in out:
            raise ConfigError(display, 1, 1, f"the header has no `{column_of[field]}` column (required)")
    return out


def _read_csv(fh: IO[bytes], rows: _Rows, config: Config) -> None:
    reader = csv.reader(text_lines(fh, rows.display, rows.problem), strict=True)
    try:
        names = next(reader)
    except StopIteration:
        raise ConfigError(rows.display, 1, 1, "the export is empty: it needs a header row") from None
    except csv.Error as err:
        raise ConfigError(rows.display, 1, 1, f"the header row is not CSV: {err}") from None
    index = _header(names, rows.display, config)
    width = len(names)
    columns = {field: i + 1 for field, i in index.items()}
    # the index of each field in a row, or ``width`` (the extra None below) for a column the export lacks
    at = [index.get(field, width) for field in ("employee", "permission", "granted_on", "granted_by", "last_used",
                                                 "source")]
    e, p, on, by, used, src = at
    add = rows.add_fields
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            rows.problem(start, 1, f"row is not CSV: {err}")
            continue
        if len(row) != width:
            if not row or row == [""]:
                continue  # a blank line holds no row
            rows.rows += 1
            rows.problem(start, min(len(row), width) + (len(row) < width), f"row has {len(row)} fields; "
                         f"the header has {width}")
            continue
        rows.rows += 1  # (a blank line is a row of no field or one empty one: never ``width``, at least 2)
        row.append(None)  # type: ignore[arg-type]  # read as the field of a column the export lacks
        add(start, row[e], row[p], row[on], row[by], row[used], row[src], columns)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key `{key}` appears twice")
        out[key] = value
    return out


def _read_json_lines(fh: IO[bytes], rows: _Rows, config: Config) -> None:
    column_of = {field: config.export_columns.get(field, field) for field in EXPORT_FIELDS}
    field_of = {name: field for field, name in column_of.items()}
    columns = {field: 1 for field in EXPORT_FIELDS}
    for line, text in enumerate(text_lines(fh, rows.display, rows.problem), 1):
        if not text.strip():
            continue
        rows.rows += 1
        try:
            obj = json.loads(text, object_pairs_hook=_pairs)
        except json.JSONDecodeError as err:
            rows.problem(line, err.colno, f"line is not JSON: {err.msg}")
            continue
        except ValueError as err:
            rows.problem(line, 1, f"line is not usable JSON: {err}")
            continue
        if not isinstance(obj, dict):
            rows.problem(line, 1, "line is not a JSON object")
            continue
        values: dict[str, str] = {}
        ok = True
        for key, value in obj.items():
            field = field_of.get(key)
            if field is None:
                rows.problem(line, 1, f"key `{key}` is not a field of the export "
                             f"({', '.join(column_of[f] for f in EXPORT_FIELDS)})")
                ok = False
            elif value is None and field not in REQUIRED:
                continue
            elif not isinstance(value, str):
                rows.problem(line, 1, f"`{key}` must be a string, not {type(value).__name__}")
                ok = False
            else:
                values[field] = value
        for field in REQUIRED:
            if ok and field not in values:
                rows.problem(line, 1, f"the row has no `{column_of[field]}`")
                ok = False
        if ok:
            rows.add(line, values, columns)


def read_access(path: str, display: str, config: Config, keep_source: bool = False) -> ActualAccess:
    """The export at ``path`` (shown as ``display`` in findings); ``ConfigError`` if unusable as a whole."""
    rows = _Rows(display)
    rows.keep_source = keep_source
    with _open(path, display, config) as fh:
        if is_json_lines(path):
            _read_json_lines(fh, rows, config)
        else:
            _read_csv(fh, rows, config)
    return rows.result()
