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
from permgate.load.yamldoc import decode, parse, resolve_tag
from permgate.model import Baseline, BaselineEntry, Loc

#: The baseline lists every accepted finding, so it is far larger than a policy file: it has
#: a cap of its own (a 100,000-employee organisation's is about 120 MB at most).
BASELINE_MAX_BYTES = 256 * 1024 * 1024

#: a value the fast path reads: written plain by ``permgate baseline`` and read by YAML as a
#: string (``resolve_tag`` also None); anything else (quotes, ``:``, spaces) goes the plain way
_TOKEN = r"[A-Za-z0-9_][A-Za-z0-9._/-]{0,4095}"
_ENTRY = re.compile(
    r"- \{rule: ([a-z][a-z0-9]*(?:-[a-z0-9]+)*), "
    rf"(?:employee: ({_TOKEN}), permission: ({_TOKEN})|path: ({_TOKEN}))"
    r"(?:, count: ([1-9][0-9]{0,8}))?\}")
_DATE = re.compile(r"(created|expires): ([0-9]{4}-[0-9]{2}-[0-9]{2})")


def _plain_string(token: str | None) -> bool:
    return token is None or resolve_tag(token) is None


def _fast(text: str, rel: str) -> Baseline | None:
    """The baseline as the plain path reads it, for the layout ``permgate baseline`` writes; else None."""
    if not text.isascii():
        return None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    dates: dict[str, tuple[str, int]] = {}
    start = None
    for n, line in enumerate(lines):
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
            dates[m.group(1)] = (m.group(2), n + 1)
            continue
        if line == "findings:" and len(dates) == 2:
            start = n + 1
            break
        return None
    if start is None:
        return None
    entries = []
    for n in range(start, len(lines)):
        m = _ENTRY.fullmatch(lines[n])
        if m is None:
            return None
        rule, employee, permission, path, count = m.groups()
        if not (_plain_string(employee) and _plain_string(permission) and _plain_string(path)):
            return None
        key = (rule, employee, permission) if path is None else (rule, path)
        entries.append(BaselineEntry(key, int(count) if count else 1, Loc(rel, n + 1, 3)))
    if not entries:
        return None  # ``findings:`` with nothing under it is null, which the schema refuses
    return Baseline(rel, dates["created"][0], dates["expires"][0], Loc(rel, dates["expires"][1], 1), tuple(entries))


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
    entries = []
    for i, e in enumerate(data["findings"]):
        key = (e["rule"], e["employee"], e["permission"]) if "path" not in e else (e["rule"], e["path"])
        line, column = doc.position(("findings", i))
        entries.append(BaselineEntry(key, int(e.get("count", 1)), Loc(rel, line, column)))
    line, column = doc.key_positions.get(("expires",), (1, 1))
    return Baseline(rel, data["created"], data["expires"], Loc(rel, line, column), tuple(entries))


def read_baseline(text: str, rel: str) -> Baseline:
    """``text`` (the file at ``rel``) as a ``Baseline``; ``ConfigError`` if unusable."""
    baseline = _fast(text, rel) or _plain(text, rel)
    first: dict[tuple[str, ...], int] = {}
    for e in baseline.entries:
        seen = first.setdefault(e.key, e.loc.line)
        if seen != e.loc.line:
            raise ConfigError(rel, e.loc.line, e.loc.column,
                              f"this entry repeats the entry at line {seen}; keep one (with `count`)")
    return baseline


def load_baseline(source: Source, config: Config) -> Baseline | None:
    """The baseline, if there is one; unusable is a ``ConfigError`` like the waiver register."""
    rel = config.baseline_path
    if not source.exists(rel):
        if config.baseline:
            raise ConfigError(config.path or "permgate.yaml", 1, 1, f"paths.baseline: `{rel}` not found")
        return None
    try:
        text = decode(source.read_bytes(rel, BASELINE_MAX_BYTES), rel)
    except LoadError as err:
        raise ConfigError(err.path, err.line, err.column, err.detail) from None
    return read_baseline(text, rel)
