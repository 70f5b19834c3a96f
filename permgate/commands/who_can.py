"""``permgate who-can PERMISSION``: every holder of a permission, with the evidence."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from permgate.commands import EXIT_CLEAN, EXIT_FINDINGS, Outcome
from permgate.config import Config, load_config
from permgate.errors import ConfigError, UsageError
from permgate.git.repo import GitSource, Repo
from permgate.load.source import FsSource, Source
from permgate.load.workspace import grants_paths, load_catalog, load_frame, load_grants_of, load_workspace
from permgate.model import Grant, GrantsFile, LoadProblem, Permission, Person, Workspace, expand_file
from permgate.runtime.parallel import Ahead


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
    return _resolve(ws.catalog, ws.catalog_path, arg)


def _resolve(catalog: Mapping[str, Permission], catalog_path: str, arg: str) -> str:
    if arg in catalog:
        return arg
    named = sorted(pid for pid, p in catalog.items() if p.name == arg)
    if len(named) > 1:  # never guess which one: the answer would be about a permission not asked for
        which = ", ".join(f"{pid} ({catalog[pid].loc})" for pid in named)
        raise UsageError(f"`{arg}` is the name of {len(named)} permissions in {catalog_path}: {which}; "
                         "give the id")
    return named[0] if named else arg


def holders(ws: Workspace, permission: str) -> list[dict[str, Any]]:
    """Every grant of ``permission`` in ``ws``, with the holder's name and division."""
    return holders_of([g for g in ws.iter_grants() if g.permission == permission], ws.people)


def holders_of(grants: Iterable[Grant], people: Mapping[str, Person]) -> list[dict[str, Any]]:
    """``grants`` as the holders ``who-can`` lists, in file and line order."""
    out = []
    for g in grants:
        person = people.get(g.employee)
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


def _scan(source: FsSource, config: Config, permission: str) -> tuple[list[Grant], list[LoadProblem], list[GrantsFile]]:
    return load_grants_of(source, config, permission)


def _working_tree(settings: WhoCanSettings) -> tuple[Workspace, str, list[dict[str, Any]]]:
    """The fast path of the working tree (no ``--rev``, no ``--at``): only the grants of the
    permission asked for are read from each file (``load.workspace.load_grants_of``, over the
    cores), in a child started as soon as the catalog names the permission, while this process
    loads the rest of the frame (people, policies).  Errors come in the plain path's order: the
    frame's, then the grants folder's, then an ambiguous name.  The workspace returned has the
    frame and every file's problems, no grants files.  ``tests/commands/test_who_can_fast.py``
    proves it equal to ``_workspace`` + ``holders``."""
    source = FsSource(settings.root)
    config = load_config(source)
    try:
        permission: str | None = _resolve(load_catalog(source, config), config.catalog, settings.permission)
    except (UsageError, ConfigError):
        permission = None  # said below, in the plain path's order
    scan = Ahead(functools.partial(_scan, source, config, permission)) if permission is not None else None
    try:
        frame = load_frame(source, config)
        if scan is None:
            grants_paths(source, config)  # its error comes before the name's
            permission = resolve_permission(frame, settings.permission)
            grants, problems, with_roles = _scan(source, config, permission)
        else:
            grants, problems, with_roles = scan.result()
    except BaseException:
        if scan is not None:
            scan.discard()
        raise
    assert permission is not None
    if with_roles:  # files with role entries: expanded by the frame's roles, as the workspace expands them
        reach = frame.role_reach()
        grants += [g for gf in with_roles for g in expand_file(gf, reach).grants if g.permission == permission]
    return dataclasses.replace(frame, problems=tuple(problems)), permission, holders_of(grants, frame.people)


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


def run_who_can(settings: WhoCanSettings, fast: bool = True) -> Outcome:
    """The holders of the permission; ``fast=False`` takes the plain path (the whole workspace loaded)."""
    if fast and settings.at is None and settings.rev is None:
        ws, permission, found = _working_tree(settings)
        moment = None
    else:
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
