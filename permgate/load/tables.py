"""People and catalog as CSV (``permgate import --people``, ``--catalog``), strict like the export.

The header row names the fields as the YAML files do (docs/import.md):

- people: ``id, name, division, manager`` (required), ``division_since``, ``function``;
- catalog: ``id, name, owner_division, description`` (required), ``sensitive``, ``retired``,
  ``grants_access``.

The same CSV machinery as the export (``permgate.load.access.text_lines``: UTF-8, a byte-order mark
skipped, NUL bytes and invalid UTF-8 refused at their line).  A value that breaks the schema, a
duplicate id, a manager who is not in the file is a ``LoadProblem`` at ``PATH:LINE:FIELD`` (the
line the row starts on, the 1-based position of the field); a header that cannot be used is a
``ConfigError``.  An empty optional field is absent (``manager`` empty is ``null``: a division head).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field

from permgate.errors import ConfigError
from permgate.load.access import text_lines
from permgate.model import LoadProblem

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_DIVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BOOLS = {"true": True, "false": False}
MAX_TEXT = 4096

#: kind -> (required columns, optional columns)
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "people": (("id", "name", "division", "manager"), ("division_since", "function")),
    "catalog": (("id", "name", "owner_division", "description"), ("sensitive", "retired", "grants_access")),
}
#: how each field's value is checked
_KIND_OF = {"id": "id", "manager": "id?", "name": "text", "division": "division", "owner_division": "division",
            "function": "division?", "division_since": "date?", "description": "any", "sensitive": "bool?",
            "retired": "bool?", "grants_access": "bool?"}


@dataclass
class Table:
    """The rows of a people or catalog CSV, as the YAML values they become (in file order)."""

    path: str
    kind: str
    rows: list[dict[str, str | bool | None]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)


def _value(raw: str, kind: str) -> tuple[str | bool | None, str | None]:
    """(the value, None) or (None, why it is refused); an empty optional value is (None, None)."""
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if raw == "" and (optional or kind == "any"):
        return (None if optional else ""), None
    if kind == "id" and not _ID.fullmatch(raw):
        return None, "is not an id (letters, digits, '.', '_', ':', '-')" if raw else "is empty"
    if kind == "division" and not _DIVISION.fullmatch(raw):
        return None, "is not a division name (letters, digits, '.', '_', '-')" if raw else "is empty"
    if kind == "text" and not raw.strip():
        return None, "is empty"
    if kind in ("text", "any") and len(raw) > MAX_TEXT:
        return None, f"is longer than {MAX_TEXT} characters"
    if kind == "date":
        try:
            if not _DATE.fullmatch(raw):
                raise ValueError(raw)
            dt.date.fromisoformat(raw)
        except ValueError:
            return None, "is not a date written YYYY-MM-DD"
    if kind == "bool":
        if raw not in _BOOLS:
            return None, "is not `true` or `false`"
        return _BOOLS[raw], None
    return raw, None


def read_table(path: str, kind: str) -> Table:
    """The people (``kind`` "people") or catalog ("catalog") CSV at ``path``."""
    required, optional = COLUMNS[kind]
    table = Table(path, kind)

    def problem(line: int, column: int, message: str) -> None:
        table.problems.append(LoadProblem(path, line, column, message))

    try:
        fh = open(path, "rb")  # noqa: SIM115 (closed below)
    except OSError as err:
        raise ConfigError(path, 1, 1, f"cannot read the {kind} CSV: {err.strerror}") from None
    with fh:
        reader = csv.reader(text_lines(fh, path, problem, f"the {kind} CSV"), strict=True)
        try:
            names = next(reader)
        except StopIteration:
            raise ConfigError(path, 1, 1, f"the {kind} CSV is empty: it needs a header row") from None
        except csv.Error as err:
            raise ConfigError(path, 1, 1, f"the header row is not CSV: {err}") from None
        for i, name in enumerate(names):
            if name not in required + optional:
                raise ConfigError(path, 1, i + 1, f"column `{name}` is not a field of {kind} "
                                  f"({', '.join(required + optional)})")
            if names.index(name) != i:
                raise ConfigError(path, 1, i + 1, f"column `{name}` appears twice")
        for name in required:
            if name not in names:
                raise ConfigError(path, 1, 1, f"the header has no `{name}` column (required)")
        seen: dict[str, int] = {}
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                problem(start, 1, f"row is not CSV: {err}")
                continue
            if not row or row == [""]:
                continue  # a blank line holds no row
            if len(row) != len(names):
                problem(start, min(len(row), len(names)) + (len(row) < len(names)),
                        f"row has {len(row)} fields; the header has {len(names)}")
                continue
            out: dict[str, str | bool | None] = {}
            ok = True
            for i, name in enumerate(names):
                value, why = _value(row[i], _KIND_OF[name])
                if why is not None:
                    problem(start, i + 1, f"`{name}` {row[i]!r} {why}" if row[i] else f"`{name}` {why}")
                    ok = False
                elif value is not None:
                    out[name] = value
            if not ok:
                continue
            ident = str(out["id"])
            if ident in seen:
                problem(start, names.index("id") + 1, f"duplicate id `{ident}` (first at line {seen[ident]})")
                continue
            seen[ident] = start
            if kind == "people":
                out.setdefault("manager", None)
            table.rows.append({k: out[k] for k in required + optional if k in out})
            table.lines.append(start)
    if kind == "people":
        column = names.index("manager") + 1
        for row_, line in zip(table.rows, table.lines, strict=True):
            manager = row_["manager"]
            if isinstance(manager, str) and manager not in seen:
                problem(line, column, f"`manager` {manager} is not an id of this file")
    table.problems.sort(key=lambda p: (p.line, p.column))
    return table
