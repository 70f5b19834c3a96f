"""``permgate grantable``: the registration screen the 2023 incident lacked.

For every permission in the catalog, simulate granting it to the employee (by the
granter: ``--by``, or the employee's manager; reason a placeholder that names a ticket;
granted today) and run the engine: a permission is grantable when the grant would
introduce no error, excluded otherwise, with the rules that exclude it.  Retired
permissions are not simulated: they are excluded by ``retired-permission``.  A
permission that only fails for want of an expiry is grantable with ``expires_required``.

The simulation reads the catalog, the people directory, the policies and only the
employee's own grants files, and adds each grant to the records in memory, so its cost
is one load of the directory plus a few milliseconds per permission.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from permgate.change.whatif import (
    blocking,
    insertion_line,
    introduced,
    proposal,
    restrict,
    role_insertion_line,
    with_grant,
)
from permgate.commands import EXIT_CLEAN, Outcome
from permgate.commands.grant import check_id, target_file
from permgate.config import Config, load_config
from permgate.dates import add_days
from permgate.engine.evaluation import evaluate
from permgate.errors import UsageError
from permgate.findings import Finding
from permgate.load.workspace import load_workspace
from permgate.model import Grant, GrantsFile, Permission, Role, Workspace

PLACEHOLDER_REASON = "access request, ticket ACC-00000 (permgate grantable simulation)"
#: the expiry tried when a grant without one is refused: 30 days after the grant
TRIAL_EXPIRY_DAYS = 30
VERSION = 1


@dataclass(frozen=True)
class GrantableSettings:
    employee: str
    root: str = "."
    granted_by: str | None = None
    reason: str | None = None
    expires: dt.date | None = None
    today: dt.date | None = None
    format: str = "text"


@dataclass(frozen=True)
class Verdict:
    permission: Permission
    findings: tuple[Finding, ...]
    expires_required: bool = False

    @property
    def errors(self) -> int:
        return len(blocking(self.findings))

    @property
    def grantable(self) -> bool:
        return self.errors == 0

    def to_dict(self) -> dict[str, Any]:
        p = self.permission
        out: dict[str, Any] = {"permission": p.id, "name": p.name, "owner_division": p.owner_division,
                               "sensitive": p.sensitive}
        details = [{"rule": f.rule, "severity": f.severity, "message": f.message, "waived": f.waived is not None}
                   for f in self.findings]
        if self.grantable:
            out["expires_required"] = self.expires_required
            out["findings"] = details
        else:
            out["rules"] = sorted({f.rule for f in blocking(self.findings)})
            out["findings"] = details
        return out


class Simulator:
    """Grants one permission at a time to one employee, in memory."""

    def __init__(self, ws: Workspace, config: Config, employee: str, granter: str, reason: str,
                 today: dt.date) -> None:
        self.ws, self.config, self.employee, self.granter = ws, config, employee, granter
        self.reason, self.today = reason, today
        self.path, self.file = target_file(ws, config, employee)
        self.before = evaluate(ws, config, today)
        self.change = proposal(ws, config, self.path, self.file is not None)

    def try_grant(self, permission: str, expires: dt.date | None) -> tuple[Finding, ...]:
        gf: GrantsFile | None = self.file
        line = insertion_line(gf, permission)
        path = gf.path if gf is not None else self.path
        grant = Grant(self.employee, permission, self.granter, self.today.isoformat(), self.reason,
                      expires.isoformat() if expires else None, path, line, 5)
        after = evaluate(with_grant(self.ws, gf, path, self.employee, grant), self.config, self.today,
                         base=self.ws, change=self.change)
        return tuple(introduced(self.before, after, {(path, line)}))


    def try_role(self, role: str, expires: dt.date | None) -> tuple[Finding, ...]:
        gf: GrantsFile | None = self.file
        line = role_insertion_line(gf, role)
        path = gf.path if gf is not None else self.path
        grant = Grant(self.employee, "", self.granter, self.today.isoformat(), self.reason,
                      expires.isoformat() if expires else None, path, line, 5, role)
        after = evaluate(with_grant(self.ws, gf, path, self.employee, grant), self.config, self.today,
                         base=self.ws, change=self.change)
        return tuple(introduced(self.before, after, {(path, line)}))


@dataclass(frozen=True)
class RoleVerdict:
    role: Role
    findings: tuple[Finding, ...]

    @property
    def grantable(self) -> bool:
        return not blocking(self.findings)

    def to_dict(self) -> dict[str, Any]:
        r = self.role
        out: dict[str, Any] = {"role": r.id, "name": r.name, "owner_division": r.owner_division,
                               "findings": [{"rule": f.rule, "severity": f.severity, "message": f.message,
                                             "permission": f.permission, "waived": f.waived is not None}
                                            for f in self.findings]}
        if not self.grantable:
            out["rules"] = sorted({f.rule for f in blocking(self.findings)})
        return out


def judge_roles(sim: Simulator, ws: Workspace, expires: dt.date | None) -> list[RoleVerdict]:
    """Each role of ``roles.yaml`` granted alone: grantable, or the rules that exclude it."""
    return [RoleVerdict(role, sim.try_role(rid, expires)) for rid, role in sorted(ws.roles.items())]


def judge(sim: Simulator, perm: Permission, expires: dt.date | None, retired_severity: str) -> Verdict:
    if perm.retired:
        msg = f"{perm.label} is retired ({perm.loc}); it can no longer be granted"
        return Verdict(perm, (Finding("retired-permission", retired_severity, msg, perm.loc.path, perm.loc.line,
                                      perm.loc.column, sim.employee, perm.id),))
    found = sim.try_grant(perm.id, expires)
    verdict = Verdict(perm, found)
    if verdict.grantable or expires is not None:
        return verdict
    retry = Verdict(perm, sim.try_grant(perm.id, add_days(sim.today, TRIAL_EXPIRY_DAYS)), True)
    # an expiry that removes some errors but not all: the remaining ones are what excludes it
    return retry if retry.errors < verdict.errors else verdict


def compute(s: GrantableSettings) -> tuple[Workspace, str, list[Verdict], list[RoleVerdict]]:
    check_id(s.employee, "EMPLOYEE")
    config = load_config(s.root)
    ws = restrict(load_workspace(s.root, config, {s.employee}), {s.employee})
    person = ws.people.get(s.employee)
    if person is None:
        raise UsageError(f"{s.employee} is not in {config.people}; add them before granting anything")
    if s.granted_by is not None:
        granter = check_id(s.granted_by, "--by")
    elif person.manager is None:
        raise UsageError(f"{s.employee} has no manager in {config.people}; name the granter with --by")
    else:
        granter = person.manager
    today = s.today or dt.date.today()
    sim = Simulator(ws, config, s.employee, granter, s.reason or PLACEHOLDER_REASON, today)
    retired_severity = config.severity.get("retired-permission", "error")
    verdicts = [judge(sim, ws.catalog[pid], s.expires, retired_severity) for pid in sorted(ws.catalog)]
    return ws, granter, verdicts, judge_roles(sim, ws, s.expires)


def _who(ws: Workspace, pid: str) -> str:
    p = ws.people.get(pid)
    return f"{p.label} ({p.division})" if p else pid


def render_text(ws: Workspace, employee: str, granter: str, verdicts: list[Verdict],
                roles: Sequence[RoleVerdict] = ()) -> str:
    ok = [v for v in verdicts if v.grantable]
    no = [v for v in verdicts if not v.grantable]
    lines = [f"Permissions {_who(ws, employee)} may be given by {_who(ws, granter)}: "
             f"{len(ok)} of {len(verdicts)}"]
    for v in ok:
        p = v.permission
        notes = (["sensitive"] if p.sensitive else []) + (["needs --expires"] if v.expires_required else [])
        notes += [f"{f.severity}[{f.rule}]" + (" waived" if f.waived else "") for f in v.findings]
        lines.append(f"  {p.id}  {p.name} ({p.owner_division})" + (f"  {', '.join(notes)}" if notes else ""))
    lines.append(f"Excluded: {len(no)}")
    for v in no:
        p = v.permission
        rules = sorted({f.rule for f in blocking(v.findings)})
        lines.append(f"  {p.id}  {p.name} ({p.owner_division})" + ("  sensitive" if p.sensitive else "")
                     + f"  excluded by {', '.join(rules)}")
        lines.extend(f"      {f.severity}[{f.rule}]{' (waived)' if f.waived else ''} {f.message}" for f in v.findings)
    if roles:
        ok_roles = [r for r in roles if r.grantable]
        lines.append(f"Roles {_who(ws, employee)} may be given by {_who(ws, granter)}: {len(ok_roles)} of {len(roles)}")
        lines.extend(f"  {r.role.id}  {r.role.name} ({r.role.owner_division})" for r in ok_roles)
        lines.append(f"Roles excluded: {len(roles) - len(ok_roles)}")
        for r in roles:
            if not r.grantable:
                lines.append(f"  {r.role.id}  {r.role.name} ({r.role.owner_division})  excluded by "
                             f"{', '.join(sorted({f.rule for f in blocking(r.findings)}))}")
                lines.extend(f"      {f.severity}[{f.rule}] {f.message}" for f in blocking(r.findings))
    return "\n".join(lines) + "\n"


def render_json(employee: str, granter: str, verdicts: list[Verdict], roles: Sequence[RoleVerdict] = ()) -> str:
    doc: dict[str, Any] = {
        "version": VERSION,
        "employee": employee,
        "granted_by": granter,
        "grantable": [v.to_dict() for v in verdicts if v.grantable],
        "excluded": [v.to_dict() for v in verdicts if not v.grantable],
    }
    if roles:  # only when roles.yaml defines roles (docs/roles.md)
        doc["roles"] = {"grantable": [r.to_dict() for r in roles if r.grantable],
                        "excluded": [r.to_dict() for r in roles if not r.grantable]}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def run_grantable(s: GrantableSettings) -> Outcome:
    ws, granter, verdicts, roles = compute(s)
    if s.format == "json":
        return Outcome(render_json(s.employee, granter, verdicts, roles), EXIT_CLEAN)
    return Outcome(render_text(ws, s.employee, granter, verdicts, roles), EXIT_CLEAN)
