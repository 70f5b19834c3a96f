"""forbidden-owner (policy kind): the unbundling boundary between divisions.

Permissions whose catalog ``owner_division`` is in ``owner_divisions`` must not be
granted to people whose ``division`` is in ``grantee_divisions``.
"""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import PolicyRule, Workspace
from permgate.rules.base import (
    Context,
    Example,
    PolicyKind,
    RuleDoc,
    grant_violation,
    grants_of_permissions,
    permission_related,
    person_related,
    policy_related,
)

#: the policy kind's name, as policies declare it
NAME = "forbidden-owner"


def protected_owners(ws: Workspace) -> dict[str, PolicyRule]:
    """Divisions whose permissions a ``forbidden-owner`` rule protects, with the first such rule."""
    out: dict[str, PolicyRule] = {}
    for p in ws.policies:
        if p.kind == NAME:
            for d in p.params.get("owner_divisions", ()):
                out.setdefault(d, p)
    return out


def forbidden_to(ws: Workspace, division: str) -> frozenset[str]:
    """The owning divisions whose permissions ``forbidden-owner`` rules forbid to ``division``."""
    return frozenset(o for p in ws.policies if p.kind == NAME and division in p.params.get("grantee_divisions", ())
                     for o in p.params.get("owner_divisions", ()))


def check(ws: Workspace, rule: PolicyRule, ctx: Context) -> Iterator[Violation]:
    owners = frozenset(rule.params["owner_divisions"])
    grantees = frozenset(rule.params["grantee_divisions"])
    forbidden = {pid: p for pid, p in ws.catalog.items() if p.owner_division in owners}
    if not forbidden:
        return
    people = ws.people
    policy = policy_related(rule)
    for g in grants_of_permissions(ws, forbidden):
        perm = forbidden[g.permission]
        person = people.get(g.employee)
        if person is None or person.division not in grantees:
            continue
        yield grant_violation(
            g,
            f"{perm.label} is owned by {perm.owner_division} ({perm.loc}); "
            f"{person.label} is in {person.division} ({person.loc}); "
            f"granted by {g.granted_by} on {g.granted_on}",
            (permission_related(ws, perm), person_related(person), policy),
        )


KIND = PolicyKind(
    name=NAME,
    summary="Permissions owned by some divisions must not be granted to people in others",
    check=check,
    removes_grant=True,
    params={
        "owner_divisions": "divisions whose permissions are protected",
        "grantee_divisions": "divisions whose people must not hold them",
    },
    doc=RuleDoc(
        flags="A grant of a permission whose catalog `owner_division` is one of `owner_divisions` to an "
              "employee whose people-directory `division` is one of `grantee_divisions`.",
        why="Legal unbundling separates the grid company from retail sales: grid data on competitors' "
            "customers must not reach sales staff. In 2023 five sales employees held a distribution "
            "permission; four of them viewed 69 contracts of competitors' customers before anyone noticed.",
        fix="Remove the grant. If the work really needs the data, it belongs to the owning division: ask "
            "them for the specific, lawful information, not for the permission.",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
  - permission: P002
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "transfer-in registration, ticket ACC-00108"
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 8),),
        ),
        good=Example(files={}),
    ),
)
