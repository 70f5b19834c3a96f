"""``permgate import``: a grants repository written from the system of record's export (docs/import.md).

The export is read by the reconcile loader (``permgate.load.access``, same strictness); the people
directory and the catalog come from CSVs (``permgate.load.tables``) or from the files already in
``--out``.  Nothing is written unless every input is usable: a bad row anywhere is ``Error:`` with
exit 2 listing the first locations.  Each employee's grants become one file at
``<assignments>/<division>/<ID>.yaml`` in the canonical layout (``permgate.edit.render``), written
with ``write_all`` (``write_inside`` for many files: one flush to disk for all of them).

What the export does not say is written so that ``permgate check`` keeps saying it:

- ``granted_by`` absent -> ``UNKNOWN`` (refused as a person id, so ``unknown-granter`` flags it);
- ``granted_on`` absent -> the export's date (``--as-of``, required then), said in the reason;
- ``reason`` -> ``imported from <export> ...: no ticket`` (names no ticket: ``missing-justification``).
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

from permgate.commands import EXIT_CLEAN, EXIT_ERROR, Outcome
from permgate.config import Config, load_config
from permgate.edit.atomic import write_all
from permgate.edit.render import directory_file, new_file
from permgate.errors import ConfigError, UsageError
from permgate.load.access import UNKNOWN, read_access
from permgate.load.source import FsSource, MemorySource
from permgate.load.tables import Table, read_table
from permgate.load.workspace import load_catalog, load_people, load_policy_files
from permgate.model import Grant, LoadProblem, Person
from permgate.reporters.text import one_line
from permgate.rules.missing_justification import DEFAULT_PATTERN

#: written as ``granted_by`` when the export names nobody: an id no people directory may hold
UNKNOWN_GRANTER = "UNKNOWN"
#: how many unusable rows ``Error:`` lists
SHOWN_PROBLEMS = 20


@dataclass(frozen=True)
class ImportSettings:
    access: str
    out: str
    people: str | None = None
    catalog: str | None = None
    #: the date the export was taken: written as ``granted_on`` where the export has none
    as_of: dt.date | None = None
    force: bool = False


def _refuse(what: str, problems: list[LoadProblem]) -> Outcome:
    lines = [f"Error: {len(problems)} row{'s' if len(problems) != 1 else ''} of {what} cannot be used; "
             "nothing was written:"]
    for p in problems[:SHOWN_PROBLEMS]:
        lines.append(f"  {one_line(p.path)}:{p.line}:{p.column}: {one_line(p.message)}")
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"  ... and {len(problems) - SHOWN_PROBLEMS} more")
    return Outcome("", EXIT_ERROR, "\n".join(lines) + "\n")


def _directory(s: ImportSettings, config: Config, kind: str, given: str | None,
               writes: dict[str, bytes]) -> Table | None:
    """The CSV for ``kind`` rendered into ``writes`` (and validated by the YAML loader), or None
    when the file already in ``--out`` is used."""
    rel = config.people if kind == "people" else config.catalog
    if given is None:
        if not os.path.isfile(os.path.join(s.out, rel)):
            raise UsageError(f"--out {s.out} has no {rel}; give --{kind} {kind.upper()}.csv")
        return None
    table = read_table(given, kind)
    if not table.problems:
        data = directory_file(kind, list(table.rows), f"imported from {os.path.basename(given)} by permgate import")
        writes[rel] = data.encode("utf-8")
    return table


def _existing(s: ImportSettings, config: Config, writes: Mapping[str, bytes]) -> None:
    """Refuse to mix: a grants file already under ``--out`` (unless ``--force`` and this import
    rewrites it), or a people/catalog file this import would replace (unless ``--force``)."""
    folder = os.path.join(s.out, config.assignments)
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            rel = posixpath.relpath(os.path.join(dirpath, name).replace(os.sep, "/"), s.out.replace(os.sep, "/"))
            if not (s.force and rel in writes):
                why = "rerun with --force to replace it" if rel in writes else \
                    "the export holds no grants of this employee; remove the file (git rm) or import into an " \
                    "empty folder"
                raise UsageError(f"{posixpath.join(s.out, rel)} exists; import writes a whole grants "
                                 f"repository and would mix it with existing files ({why})")
    for rel in (config.people, config.catalog):
        full = os.path.join(s.out, rel)
        if rel in writes and os.path.lexists(full) and not s.force:
            with open(full, "rb") as fh:
                if fh.read() != writes[rel]:
                    raise UsageError(f"{full} exists and differs from the CSV; rerun with --force to replace it")


def _reason(export: str, as_of: dt.date | None, source: str | None, dated: bool, named: bool) -> str:
    where = f"imported from {export}" + (f" (source: {source})" if source else "")
    when = f" as of {as_of.isoformat()}" if as_of else ""
    gaps = ([] if dated else ["granted_on unknown, the export's date written"]) + \
        ([] if named else [f"granted_by unknown, {UNKNOWN_GRANTER} written"])
    return f"{where}{when}: no ticket" + "".join(f"; {g}" for g in gaps)


def run_import(s: ImportSettings) -> Outcome:
    if os.path.exists(s.out) and not os.path.isdir(s.out):
        raise UsageError(f"--out {s.out}: not a directory")
    config = load_config(s.out) if os.path.isdir(s.out) else Config()
    writes: dict[str, bytes] = {}
    tables = [t for t in (_directory(s, config, "people", s.people, writes),
                          _directory(s, config, "catalog", s.catalog, writes)) if t is not None]
    export = os.path.basename(s.access)
    actual = read_access(s.access, s.access, config, keep_source=True)
    problems = list(actual.problems)
    for table in tables:
        problems += table.problems
    if problems:
        return _refuse(", ".join([s.access] + [t.path for t in tables if t.problems]), problems)
    # the directories as permgate reads them: the rendered CSVs, or the files already in --out
    memory = MemorySource(dict(writes))
    disk = FsSource(s.out) if os.path.isdir(s.out) else memory
    try:
        people: dict[str, Person] = load_people(memory if config.people in writes else disk, config)
        load_catalog(memory if config.catalog in writes else disk, config)
    except ConfigError as err:
        shown = {config.people: s.people, config.catalog: s.catalog}.get(err.path)
        if err.path in writes and shown:
            raise ConfigError(err.path, err.line, err.column, f"{err.detail} (as written from {shown})") from None
        raise
    if UNKNOWN_GRANTER in people:
        raise UsageError(f"the people directory has an employee `{UNKNOWN_GRANTER}`, the id import writes as "
                         "granted_by when the export names nobody; rename that employee")
    undated = [LoadProblem(g.path, g.line, g.column, "the row has no granted_on: give --as-of DATE (the date "
                           "the export was taken), written as granted_on and said in the reason")
               for held in actual.held.values() for g in held.values() if g.granted_on == UNKNOWN]
    if undated and s.as_of is None:
        return _refuse(s.access, undated)
    patterns = {DEFAULT_PATTERN}
    if os.path.isdir(os.path.join(s.out, config.policies)):  # policies come later, often: none yet is fine here
        _, settings, _ = load_policy_files(FsSource(s.out), config)
        patterns.add(settings.get("missing-justification", {}).get("pattern", DEFAULT_PATTERN))
    files: dict[str, list[Mapping[str, str]]] = {}
    headers: dict[str, str] = {}
    reasons: dict[tuple[str | None, bool, bool], str] = {}
    for employee, held in actual.held.items():
        person = people.get(employee)
        folder = f"{config.assignments}/{person.division}" if person else config.assignments
        rel = posixpath.normpath(f"{folder}/{employee}.yaml")
        if person is not None and person.name.isprintable():
            headers[rel] = f"grants held by {person.name} ({person.division})"
        else:
            headers[rel] = f"grants held by {employee}" + ("" if person else f", who is not in {config.people}")
        entries = files.setdefault(rel, [])
        for g in held.values():
            entries.append(_entry(g, export, s.as_of, actual.sources.get(g.line), patterns, reasons))
    for rel in sorted(files):
        writes[rel] = new_file(posixpath.basename(rel)[: -len(".yaml")], list(files[rel]), headers[rel]).encode("utf-8")
    _existing(s, config, writes)
    try:
        os.makedirs(s.out, exist_ok=True)
        # a symlinked folder or file is refused before anything is written; the files are on disk
        # when it returns, after one flush instead of one fsync per file
        write_all(s.out, sorted(writes), writes.__getitem__)
    except OSError as err:
        raise UsageError(f"--out {s.out}: cannot write: {err.strerror} ({err.filename})") from None
    grants = sum(len(entries) for entries in files.values())
    undated_n = sum(1 for held in actual.held.values() for g in held.values() if g.granted_on == UNKNOWN)
    unnamed = sum(1 for held in actual.held.values() for g in held.values() if g.granted_by == UNKNOWN)
    directories = [rel for rel in (config.people, config.catalog) if rel in writes]
    out = [f"Imported {grants} grant{'s' if grants != 1 else ''} of {len(files)} employee"
           f"{'s' if len(files) != 1 else ''} from {one_line(s.access)} into {one_line(s.out)}"
           + (f" (and wrote {', '.join(directories)})" if directories else "") + ".",
           f"Every reason says `no ticket` ({grants}); granted_by {UNKNOWN_GRANTER}: {unnamed}; "
           f"granted_on from --as-of: {undated_n}.",
           f"Next: permgate check --root {one_line(s.out)}"]
    return Outcome("\n".join(out) + "\n", EXIT_CLEAN)


def _entry(g: Grant, export: str, as_of: dt.date | None, source: str | None, patterns: set[str],
           reasons: dict[tuple[str | None, bool, bool], str]) -> dict[str, str]:
    dated = g.granted_on != UNKNOWN
    named = g.granted_by != UNKNOWN
    reason = reasons.get((source, dated, named))
    if reason is None:
        reason = reasons[source, dated, named] = _reason(export, as_of, source, dated, named)
        _no_ticket(g, reason, patterns)
    assert as_of is not None or dated
    return {"permission": g.permission, "granted_by": g.granted_by if named else UNKNOWN_GRANTER,
            "granted_on": g.granted_on if dated else as_of.isoformat() if as_of else "", "reason": reason}


def _no_ticket(g: Grant, reason: str, patterns: set[str]) -> None:
    """The reason must keep failing ``missing-justification``: refuse one that names a ticket by accident."""
    for pattern in patterns:
        if re.search(pattern, reason):
            raise UsageError(f"{g.path}:{g.line}: the reason import would write names a ticket by accident "
                             f"(`{pattern}` matches \"{reason}\"); rename the export or its source so that "
                             "the imported grants stay flagged by missing-justification")
