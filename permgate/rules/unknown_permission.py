"""unknown-permission: a grant names a permission that is not in the catalog."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import PERMISSION_OF, Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, grant_violation, who


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    catalog = ws.catalog
    if catalog.keys() >= set(map(PERMISSION_OF, ws.iter_grants())):
        return  # every permission granted is in the catalog (one set, no Python step per grant)
    for g in ws.iter_grants():
        if g.permission not in catalog:
            yield grant_violation(
                g, f"{g.permission} is not in {ws.catalog_path}; granted to {who(ws, g.employee)} "
                f"by {g.granted_by} on {g.granted_on}")


RULE = Rule(
    id="unknown-permission",
    summary="A grant names a permission missing from the catalog",
    default_severity="error",
    check=check,
    doc=RuleDoc(
        flags="A grant whose `permission:` is not an id in the permission catalog.",
        why="The catalog says which division owns a permission; without an entry no boundary rule can "
            "judge the grant. Typos here also hide the real permission from review.",
        fix="Correct the permission id, or add the permission to the catalog with its owning division "
            "(a change its owners review).",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P999
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "ticket ACC-00103"
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 4),),
        ),
        good=Example(files={}),
    ),
)
