"""``permgate grant``: judge a proposed grant like ``check`` would, and write it only if clean.

The proposal is written into the employee's grants file in memory (or a new file at
``<assignments>/<division>/<EMPLOYEE>.yaml``), that text is read back with the strict
loader, and the engine runs on the workspace before and after: the verdict is what
the change introduces.  The after-run also gets the proposal as a change with the
current workspace as its base, so rules that judge a change (``check --base``) apply.
By default the workspace holds the catalog, the people
directory, the policies and the employee's own grants files (fast on any size of
organisation: every rule judges a person's grants against the directory, catalog and
policies); ``full`` reads every grants file, for rules that compare people with each
other.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

from permgate.change.whatif import blocking, introduced, proposal, restrict, with_file
from permgate.commands import EXIT_CLEAN, EXIT_FINDINGS, Outcome
from permgate.config import Config, load_config
from permgate.edit.atomic import check_writable, write_inside
from permgate.edit.insert import insert_grants
from permgate.edit.render import entry_order, new_file
from permgate.engine.evaluation import evaluate, rule_catalogue
from permgate.errors import EditError, UsageError
from permgate.load import files
from permgate.load.grants import grants_from_text
from permgate.load.workspace import load_workspace
from permgate.load.yamldoc import decode, parse
from permgate.model import GrantsFile, Workspace
from permgate.reporters import Report
from permgate.reporters.text import render

# fullmatch: ``$`` would also match before a final "\n" (an id `E1\n` is not E1)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class GrantSettings:
    employee: str
    permissions: tuple[str, ...]
    granted_by: str
    reason: str
    root: str = "."
    expires: dt.date | None = None
    on: dt.date | None = None
    today: dt.date | None = None
    dry_run: bool = False
    full: bool = False
    color: bool = False
    #: roles (``roles.yaml``) to grant, each one ``- role:`` entry
    roles: tuple[str, ...] = ()


def check_id(value: str, what: str) -> str:
    if not _ID.fullmatch(value):
        raise UsageError(f"{what} `{value}` is not an id (letters, digits, '.', '_', ':' or '-', e.g. E000123 or P083)")
    return value


def target_file(ws: Workspace, config: Config, employee: str) -> tuple[str, GrantsFile | None]:
    """The file the employee's new grants go to: the canonical one, else the first they have."""
    person = ws.people.get(employee)
    folder = f"{config.assignments}/{person.division}" if person else config.assignments
    canonical = posixpath.normpath(f"{folder}/{employee}.yaml")
    mine = sorted((f for f in ws.files if f.employee == employee), key=lambda f: (f.path != canonical, f.path))
    if mine:
        return mine[0].path, mine[0]
    return canonical, None


def proposed_text(root: str, config: Config, ws: Workspace, employee: str, path: str, gf: GrantsFile | None,
                  grants: list[Mapping[str, str]]) -> tuple[bytes, list[int]]:
    """The bytes the employee's file would hold, and the line of each new entry (permission order)."""
    if gf is None:
        if os.path.lexists(os.path.join(root, path)):
            raise EditError(path, 1, 1, f"the file exists but permgate cannot read it as {employee}'s grants; "
                            "fix it first (`permgate check`)")
        person = ws.people.get(employee)
        header = f"grants held by {person.name} ({person.division})" if person else None
        text = new_file(employee, grants, header)
        doc = parse(text, path)
        return text.encode("utf-8"), [doc.position(("grants", n))[0] for n in range(len(grants))]
    data = files.read_bytes(root, path, config.max_file_bytes)
    bom = data.startswith(_BOM)
    text, lines = insert_grants(decode(data, path), path, grants)
    return (_BOM if bom else b"") + text.encode("utf-8"), lines


def run_grant(s: GrantSettings) -> Outcome:
    check_id(s.employee, "EMPLOYEE")
    check_id(s.granted_by, "--by")
    for p in s.permissions:
        check_id(p, "PERMISSION")
    for r in s.roles:
        check_id(r, "--role")
    if not s.permissions and not s.roles:
        raise UsageError("name at least one PERMISSION (or --role ROLE) to grant")
    today = s.today or dt.date.today()
    on = s.on or today
    if s.expires is not None and s.expires <= on:
        raise UsageError(f"--expires {s.expires.isoformat()} is not after the grant date {on.isoformat()}: "
                         "a grant must be in force for at least a day")
    config = load_config(s.root)
    scope = {s.employee}
    ws = load_workspace(s.root, config, None if s.full else scope)
    if s.employee not in ws.people:  # as `grantable` says it: no file for someone nobody knows
        raise UsageError(f"{s.employee} is not in {config.people}; add them before granting anything")
    if not s.full:
        ws = restrict(ws, scope)
    unknown = [r for r in s.roles if r not in ws.roles]
    if unknown:
        raise UsageError(f"role `{unknown[0]}` is not in {ws.roles_path}")
    grants: list[dict[str, str]] = []
    for key, value in [*(("permission", p) for p in s.permissions), *(("role", r) for r in s.roles)]:
        g = {key: value, "granted_by": s.granted_by, "granted_on": on.isoformat(), "reason": s.reason}
        if s.expires is not None:
            g["expires"] = s.expires.isoformat()
        grants.append(g)
    path, gf = target_file(ws, config, s.employee)
    check_writable(s.root, path)  # a symlinked division folder is refused before any verdict
    data, lines = proposed_text(s.root, config, ws, s.employee, path, gf, list(grants))
    new_gf, problems = grants_from_text(decode(data, path), path)
    after_ws = with_file(ws, path, new_gf, problems)
    before = evaluate(ws, config, today)
    after = evaluate(after_ws, config, today, base=ws, change=proposal(ws, config, path, gf is not None))
    found = introduced(before, after, {(path, line) for line in lines})
    report = Report(findings=tuple(found), rules=tuple(rule_catalogue(ws, config)), files=1,
                    grants=len(grants), color=s.color)
    out = render(report)
    where = ", ".join(f"{g.get('permission') or 'role ' + g['role']} at {path}:{line}"
                      for g, line in zip(sorted(grants, key=entry_order), lines, strict=True))
    errors = len(blocking(found))
    already = sum(1 for f in before if f.employee == s.employee and f.waived is None)
    if already:
        out += (f"Note: {s.employee} already has {already} finding{'s' if already != 1 else ''} that this change "
                "does not add; see `permgate check`.\n")
    if errors:
        out += (f"Not written: granting {', '.join([*s.permissions, *(f'role {r}' for r in s.roles)])} to "
                f"{s.employee} would introduce "
                f"{errors} error{'s' if errors != 1 else ''}. No file was changed.\n")
        return Outcome(out, EXIT_FINDINGS)
    if s.dry_run:
        out += f"Dry run: would add {where}. Nothing written.\n"
        return Outcome(out, EXIT_CLEAN)
    write_inside(s.root, path, data)
    out += f"Added {where}.\n"
    return Outcome(out, EXIT_CLEAN)
