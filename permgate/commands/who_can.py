"""``permgate who-can PERMISSION``: every holder of a permission, with the evidence."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from permgate.commands import EXIT_CLEAN, EXIT_FINDINGS, Outcome
from permgate.config import load_config
from permgate.errors import UsageError
from permgate.git.repo import GitSource, Repo
from permgate.load.source import FsSource, Source
from permgate.load.workspace import load_workspace
from permgate.model import Workspace


@dataclass(frozen=True)
class WhoCanSettings:
    permission: str
    root: str = "."
    rev: str | None = None  # read this git revision instead of the working tree
    format: str = "text"
    at: dt.date | None = None  # the holders on this day, on the first-parent history of ``rev`` (or HEAD)


def open_source(root: str, rev: str | None) -> Source:
    """The working tree under ``root``, or ``root`` as it was at git revision ``rev``."""
    return GitSource(Repo(root), rev) if rev else FsSource(root)


def unread_warnings(ws: Workspace, what: str) -> str:
    """A fail-closed note for grants files (or entries) that could not be read."""
    paths = sorted({(p.path, p.line) for p in ws.problems})
    return "".join(f"warning: {path}:{line}: could not be read; {what} there are not listed\n"
                   for path, line in paths)


def resolve_permission(ws: Workspace, arg: str) -> str:
    """``arg`` as a permission id: an id, or the catalog ``name`` of exactly one permission."""
    if arg in ws.catalog:
        return arg
    named = sorted(pid for pid, p in ws.catalog.items() if p.name == arg)
    if len(named) > 1:  # never guess which one: the answer would be about a permission not asked for
        which = ", ".join(f"{pid} ({ws.catalog[pid].loc})" for pid in named)
        raise UsageError(f"`{arg}` is the name of {len(named)} permissions in {ws.catalog_path}: {which}; "
                         "give the id")
    return named[0] if named else arg


def holders(ws: Workspace, permission: str) -> list[dict[str, Any]]:
    out = []
    for g in ws.iter_grants():
        if g.permission != permission:
            continue
        person = ws.people.get(g.employee)
        out.append({
            "employee": g.employee,
            "name": person.name if person else None,
            "division": person.division if person else None,
            "path": g.path,
            "line": g.line,
            "granted_by": g.granted_by,
            "granted_on": g.granted_on,
            "expires": g.expires,
            **({"role": g.role} if g.role is not None else {}),
        })
    out.sort(key=lambda h: (h["path"], h["line"]))
    return out


def _path(ws: Workspace, role: str, permission: str) -> str:
    """``sales-standard -> grid-read (roles.yaml:15)``: the role chain to the line that lists the permission."""
    for r in ws.role_reach().get(role, ()):
        if r.permission == permission:
            return f"{' -> '.join(r.chain)} ({r.loc})"
    return role


def _workspace(settings: WhoCanSettings) -> tuple[Workspace, str | None]:
    """The workspace to read holders from, and the commit of ``--at`` (None without it)."""
    if settings.at is None:
        source = open_source(settings.root, settings.rev)
        return load_workspace(source, load_config(source)), None
    # imported here, not at the top: only --at walks history (start-up speed of the plain command)
    from permgate.analysis.moment import moment_at, workspace_at

    repo = Repo(settings.root)
    rev = settings.rev or "HEAD"
    moment = moment_at(repo, rev, settings.at)
    return workspace_at(repo, rev, moment), moment


def run_who_can(settings: WhoCanSettings) -> Outcome:
    ws, moment = _workspace(settings)
    permission = resolve_permission(ws, settings.permission)
    found = holders(ws, permission)
    perm = ws.catalog.get(permission)
    if perm is None and not found:
        hint = "" if settings.rev or settings.at else (
            "; if it was removed, --rev REV or --at DATE asks an earlier revision")
        raise UsageError(f"permission `{permission}` is not in {ws.catalog_path} and nobody holds it{hint}")
    stderr = unread_warnings(ws, "holders")
    if perm is None:
        stderr = f"warning: {permission} is not in {ws.catalog_path}\n" + stderr
    when = f" on {settings.at} (commit {moment[:12]})" if moment else ""
    if settings.format == "json":
        doc: dict[str, Any] = {"holders": found}
        if moment:
            doc["at"] = {"date": str(settings.at), "commit": moment}
        text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    else:
        lines = [f"{h['path']}:{h['line']}: {h['employee']} {h['name'] or '(not in people)'} "
                 f"({h['division'] or 'unknown division'}), granted by {h['granted_by']} on {h['granted_on']}, "
                 f"expires {h['expires'] or 'never'}" + (f", through role {_path(ws, h['role'], permission)}"
                                                         if "role" in h else "") for h in found]
        title = perm.label if perm else permission
        owner = f", owned by {perm.owner_division}" if perm else ""
        lines.append(f"{len(found)} holder{'' if len(found) == 1 else 's'} of {title}{owner}{when}")
        text = "\n".join(lines) + "\n"
    return Outcome(text, EXIT_FINDINGS if ws.problems else EXIT_CLEAN, stderr)
