"""retired-permission: a grant of a permission the catalog marks ``retired: true``."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, grant_violation, permission_related, who


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    retired = {pid: perm for pid, perm in ws.catalog.items() if perm.retired}
    if not retired:
        return
    for g in ws.iter_grants():
        perm = retired.get(g.permission)
        if perm is not None:
            yield grant_violation(
                g, f"{perm.label} is retired ({perm.loc}) but still granted to {who(ws, g.employee)} "
                f"by {g.granted_by} on {g.granted_on}",
                (permission_related(ws, perm, f"{perm.label} is marked retired"),))


RULE = Rule(
    id="retired-permission",
    summary="A grant of a permission the catalog marks as retired",
    default_severity="error",
    check=check,
    doc=RuleDoc(
        flags="A grant of a permission that the catalog marks `retired: true`.",
        why="Leftover items are how the 2023 incident happened: a permission created for a process that "
            "no longer existed stayed on the list and was granted by people who did not know what it opened.",
        fix="Remove the grant. If the access is still needed, grant the permission that replaced it.",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P004
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "ticket ACC-00107"
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 4),),
        ),
        good=Example(files={}),
    ),
)
