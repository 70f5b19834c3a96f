"""``permgate revoke [PERMISSION] [--expired] [--rule RULE]``: remove grant entries everywhere at
once, nothing else.

The grants removed are those that pass every filter given: of PERMISSION; expired (``expires``
before ``--today``); flagged by RULE (at their ``- permission:`` line, as ``check`` reports it,
waived findings excepted); in a division; of one employee.  At least one of the first three.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from permgate.commands import EXIT_CLEAN, EXIT_FINDINGS, Outcome
from permgate.commands.who_can import resolve_permission, unread_warnings
from permgate.config import Config, load_config
from permgate.edit.atomic import check_writable, write_inside
from permgate.edit.revoke import Removal, remove_entries
from permgate.errors import UsageError
from permgate.load import files
from permgate.load.workspace import load_workspace
from permgate.model import Grant, Workspace


@dataclass(frozen=True)
class RevokeSettings:
    permission: str | None
    root: str = "."
    division: str | None = None
    employee: str | None = None
    dry_run: bool = False
    expired: bool = False
    rule: str | None = None
    today: dt.date | None = None


def _flagged(ws: Workspace, config: Config, rule: str, today: dt.date) -> set[tuple[str, int]]:
    """Where ``rule`` flags a grant (path, line of its ``- permission:``), waived findings excepted."""
    from permgate.engine.evaluation import evaluate, rule_catalogue  # only --rule runs the rules

    if rule not in {info.id for info in rule_catalogue(ws, config)}:
        raise UsageError(f"--rule {rule}: no such rule (permgate rules lists them)")
    return {(f.path, f.line) for f in evaluate(ws, config, today)
            if f.rule == rule and f.permission is not None and f.waived is None}


def run_revoke(settings: RevokeSettings) -> Outcome:
    if settings.permission is None and not settings.expired and settings.rule is None:
        raise UsageError("say what to revoke: a PERMISSION, --expired or --rule RULE (or several)")
    root = settings.root
    config = load_config(root)
    ws = load_workspace(root, config)
    today = settings.today or dt.date.today()
    permission = None if settings.permission is None else resolve_permission(ws, settings.permission)
    holders = [g for g in ws.iter_grants() if permission is None or g.permission == permission]
    if permission is not None and permission not in ws.catalog and not holders:
        raise UsageError(f"permission `{permission}` is not in {ws.catalog_path} and nobody holds it")
    if settings.expired:
        holders = [g for g in holders if g.expires is not None and g.expires < today.isoformat()]
    if settings.rule is not None:
        flagged = _flagged(ws, config, settings.rule, today)
        holders = [g for g in holders if (g.path, g.line) in flagged]
    chosen: dict[str, list[Grant]] = {}
    # access given through a role is not removed by editing grants files: removing the role entry
    # would take every other permission of the role too; the role's line is named instead
    through_roles: list[Grant] = []
    for g in holders:
        person = ws.people.get(g.employee)
        if settings.division is not None and (person is None or person.division != settings.division):
            continue
        if settings.employee is not None and g.employee != settings.employee:
            continue
        if g.role is not None:
            through_roles.append(g)
            continue
        chosen.setdefault(g.path, []).append(g)

    # plan every file before writing any: one file that cannot be edited safely stops all
    planned: list[tuple[str, bytes, list[Removal]]] = []
    by_path = {f.path: f for f in ws.files}
    for rel in sorted(chosen):
        check_writable(root, rel)  # no write through a symlink: refused before any file is written
        content = files.read_bytes(root, rel, config.max_file_bytes)
        direct = tuple(g for g in by_path[rel].grants if g.role is None)  # role entries stay as they are
        new, removals = remove_entries(content, rel, chosen[rel], direct, config.max_file_bytes,
                                       by_path[rel].role_grants)
        planned.append((rel, new, removals))
    if not settings.dry_run:
        for rel, new, _ in planned:
            write_inside(root, rel, new)

    verb = "would remove" if settings.dry_run else "removed"
    out: list[str] = []
    count = 0
    for rel, _, removals in planned:
        for r in removals:
            count += 1
            person = ws.people.get(r.grant.employee)
            who = f"{person.label} ({person.division})" if person else r.grant.employee
            lines = f"{r.first_line}" if r.first_line == r.last_line else f"{r.first_line}-{r.last_line}"
            out.append(f"{rel}:{lines}: {verb} {r.grant.permission} from {who}, granted by {r.grant.granted_by} "
                       f"on {r.grant.granted_on}")
            out.extend(f"    -{line}" for line in r.text.rstrip("\n").split("\n"))
    what = " ".join(part for part in ["expired" if settings.expired else "",
                                      f"flagged by {settings.rule}" if settings.rule else ""] if part)
    scope = "".join([f" of {permission}" if permission else "", f" ({what})" if what else "",
                     f" in {settings.division}" if settings.division else "",
                     f" held by {settings.employee}" if settings.employee else ""])
    if count:
        out.append(f"{verb} {count} grant{'' if count == 1 else 's'}{scope} "
                   f"from {len(planned)} file{'' if len(planned) == 1 else 's'}")
        if permission is None:
            per = Counter(r.grant.permission for _, _, removals in planned for r in removals)
            out.extend(f"    {n:>6}  {pid}" for pid, n in sorted(per.items(), key=lambda kv: (-kv[1], kv[0])))
    else:
        out.append(f"no grant{scope} to remove")
    for g in sorted(through_roles, key=lambda g: (g.path, g.line, g.permission)):
        reach = next((r for r in ws.role_reach().get(g.role or "", ()) if r.permission == g.permission), None)
        where = f"{' -> '.join(reach.chain)} ({reach.loc})" if reach else g.role
        out.append(f"{g.path}:{g.line}: not removed: {g.employee} holds {g.permission} through role {where}; "
                   f"remove it from the role in {ws.roles_path} (every holder loses it) or remove the role entry")
    if through_roles:
        roles = sorted({g.role or "" for g in through_roles})
        out.append(f"{len(through_roles)} grant{'' if len(through_roles) == 1 else 's'}{scope} kept through "
                   f"role{'' if len(roles) == 1 else 's'} {', '.join(roles)}")
    stderr = unread_warnings(ws, "grants")
    code = EXIT_CLEAN if count and not ws.problems and not through_roles else EXIT_FINDINGS
    return Outcome("\n".join(out) + "\n", code, stderr)
