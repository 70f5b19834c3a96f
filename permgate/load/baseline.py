"""The baseline (``policies/baseline.yaml``, written by ``permgate baseline``) -> ``Baseline``.

Like the waiver register it is part of the gate: a file that cannot be read, parsed or
validated (schema ``permgate schema baseline``) is an ``Error: path:line:col: ...`` with
exit 2, never a baseline that silently covers nothing or everything.

Plain path: strict YAML (``yamldoc``) and the bundled schema, as every other file.
Fast path beside it (``_fast``): the layout ``permgate baseline`` writes, one entry a line
(``- {rule: R, employee: E, permission: P}``), read line by line with one regular
expression; any line it does not recognise sends the whole file to the plain path, so it
changes speed, never the result (``tests/load/test_baseline_load.py`` compares the two).
A baseline of the 200,000 findings of a 10,000-employee organisation is about 12 MB:
the fast path reads it in a few tenths of a second, the plain path in several seconds.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from permgate.config import Config
from permgate.errors import ConfigError, LoadError
from permgate.load.schemas import validate
from permgate.load.source import Source
from permgate.load.yamldoc import decode, parse
from permgate.model import Baseline, BaselineEntry, Loc

#: The baseline lists every accepted finding, so it is far larger than a policy file: it has
#: a cap of its own (a 100,000-employee organisation's is about 120 MB at most).
BASELINE_MAX_BYTES = 256 * 1024 * 1024

#: a value the fast path reads: starts with a letter or ``_`` (so YAML cannot read it as a
#: number or date), is not one of the words YAML 1.1 reads as a boolean or null, and has no
#: character that would need quoting; anything else (quotes, ``:``, spaces) goes the plain way
_TOKEN = r"(?!(?i:y|n|yes|no|true|false|on|off|null)[,}])[A-Za-z_][A-Za-z0-9._/-]{0,4095}"
_ENTRY = re.compile(
    r"^- \{rule: ([a-z][a-z0-9]*(?:-[a-z0-9]+)*), "
    rf"(?:employee: ({_TOKEN}), permission: ({_TOKEN})|path: ({_TOKEN}))"
    r"(?:, count: ([1-9][0-9]{0,8}))?\}$", re.MULTILINE)
_DATE = re.compile(r"(created|expires): ([0-9]{4}-[0-9]{2}-[0-9]{2})")


def _duplicate(rel: str, line: int, column: int, first: int) -> ConfigError:
    return ConfigError(rel, line, column, f"this entry repeats the entry at line {first}; keep one (with `count`)")


def _fast(text: str, rel: str) -> Baseline | None:
    """The baseline as the plain path reads it, for the layout ``permgate baseline`` writes; else None."""
    if not text.isascii() or not text.endswith("\n"):
        return None
    dates: dict[str, tuple[str, int]] = {}
    offset = 0
    n = 0
    while True:  # the head: comments, the two dates, ``findings:``
        end = text.find("\n", offset)
        if end < 0:
            return None
        line = text[offset:end]
        n += 1
        offset = end + 1
        if line.startswith("#") or line == "":
            if not line.isprintable():
                return None
            continue
        m = _DATE.fullmatch(line)
        if m and m.group(1) not in dates and not (m.group(1) == "expires" and "created" not in dates):
            try:
                dt.date.fromisoformat(m.group(2))
            except ValueError:
                return None
            dates[m.group(1)] = (m.group(2), n)
            continue
        if line == "findings:" and len(dates) == 2:
            break
        return None
    body = text[offset:]
    entries: dict[tuple[str, ...], BaselineEntry] = {}
    # one string object per rule, employee and permission (each recurs in many entries): at 100,000
    # employees this holds the 1.95M entries in about a third of the memory
    same: dict[str, str] = {}
    one = same.setdefault
    duplicate: ConfigError | None = None
    i = n
    for i, m in enumerate(_ENTRY.finditer(body), start=n + 1):
        rule, employee, permission, path, count = m.groups()
        key = (one(rule, rule), one(employee, employee), one(permission, permission)) if employee \
            else (one(rule, rule), path)
        if key in entries:
            duplicate = duplicate or _duplicate(rel, i, 3, entries[key][1])
            continue
        entries[key] = (int(count) if count else 1, i, 3)
    if i == n or i - n != body.count("\n"):
        return None  # a line of another shape (or none: ``findings:`` alone is null, which the schema refuses)
    if duplicate is not None:  # raised once every line has the shape: else the plain path says what is first
        raise duplicate
    return Baseline(rel, dates["created"][0], dates["expires"][0], Loc(rel, dates["expires"][1], 1), entries)


def _plain(text: str, rel: str) -> Baseline:
    try:
        doc = parse(text, rel)
    except LoadError as err:
        raise ConfigError(err.path, err.line, err.column, err.detail) from None
    if doc.empty:
        raise ConfigError(rel, 1, 1, "file is empty; expected a baseline file (`permgate baseline` writes one)")
    problems = validate(doc, "baseline")
    if problems:
        p = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise ConfigError(rel, p.line, p.column, p.message + more)
    data: dict[str, Any] = doc.data
    entries: dict[tuple[str, ...], BaselineEntry] = {}
    for i, e in enumerate(data["findings"]):
        key = (e["rule"], e["employee"], e["permission"]) if "path" not in e else (e["rule"], e["path"])
        line, column = doc.position(("findings", i))
        if key in entries:
            raise _duplicate(rel, line, column, entries[key][1])
        entries[key] = (int(e.get("count", 1)), line, column)
    line, column = doc.key_positions.get(("expires",), (1, 1))
    return Baseline(rel, data["created"], data["expires"], Loc(rel, line, column), entries)


def read_baseline(text: str, rel: str) -> Baseline:
    """``text`` (the file at ``rel``) as a ``Baseline``; ``ConfigError`` if unusable."""
    return _fast(text, rel) or _plain(text, rel)


def load_baseline(source: Source, config: Config) -> Baseline | None:
    """The baseline, if there is one; unusable is a ``ConfigError`` like the waiver register."""
    rel = config.baseline_path
    if not source.exists(rel):
        # no baseline accepts nothing: every finding is active (stricter, so never a silent pass);
        # and ``permgate baseline`` writes the first one where ``paths.baseline`` says
        return None
    try:
        text = decode(source.read_bytes(rel, BASELINE_MAX_BYTES), rel)
    except LoadError as err:
        raise ConfigError(err.path, err.line, err.column, err.detail) from None
    return read_baseline(text, rel)
