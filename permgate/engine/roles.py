"""Findings about access given through a role: which role, and the ``roles.yaml`` lines behind it.

Rules judge effective grants (``model.expand_file``) and know nothing of roles: an effective grant
is a grant at the ``- role:`` entry's line whose ``permission`` the role reaches.  After the rules
ran, a finding about such a grant (its path, line and permission) is marked with the role and
gets the role chain among its related locations: the line of each ``includes`` that leads to the
permission, and the line that lists it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from permgate.findings import Finding, Related
from permgate.model import Reach, Workspace
from permgate.rules.roles_common import reach_related

RoleKey = tuple[str, int, str]


def role_grant_index(ws: Workspace) -> dict[RoleKey, str]:
    """(path, line, permission) of every effective grant given through a role -> the role granted."""
    out: dict[RoleKey, str] = {}
    for f in ws.files:
        if f.role_grants:
            for g in f.grants:
                if g.role is not None:
                    out.setdefault((g.path, g.line, g.permission), g.role)
    return out


def reach_of(ws: Workspace, role: str, permission: str) -> Reach | None:
    for r in ws.role_reach().get(role, ()):
        if r.permission == permission:
            return r
    return None


def mark_roles(ws: Workspace, findings: list[Finding], index: Mapping[RoleKey, str] | None = None) -> list[Finding]:
    """``findings`` with the role and its chain added to each finding about a grant given through a role."""
    if index is None:
        index = role_grant_index(ws)
    if not index:
        return findings
    related: dict[tuple[str, str], tuple[Related, ...]] = {}
    out: list[Finding] = []
    for f in findings:
        role = index.get((f.path, f.line, f.permission)) if f.permission is not None and f.role is None else None
        if role is None:
            out.append(f)
            continue
        extra = related.get((role, f.permission or ""))
        if extra is None:
            reach = reach_of(ws, role, f.permission or "")
            extra = related[(role, f.permission or "")] = reach_related(ws, reach) if reach else ()
        via = f"; given through role {role}" + (f" ({extra[0].path}:{extra[0].line})" if extra else "")
        out.append(dataclasses.replace(f, message=f.message + via, role=role, related=(*f.related, *extra)))
    return out
