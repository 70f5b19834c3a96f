"""unknown-role: a grant names a role that ``roles.yaml`` does not define."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, who


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    for f in ws.files:
        for g in f.role_grants:
            if g.role not in ws.roles:
                yield Violation(g.path, g.line, g.column,
                                f"role `{g.role}` is not in {ws.roles_path}; granted to {who(ws, g.employee)} by "
                                f"{g.granted_by} on {g.granted_on}: it gives nothing until it is defined",
                                g.employee, None)


RULE = Rule(
    id="unknown-role",
    summary="A grant names a role missing from roles.yaml",
    default_severity="error",
    waivable=False,
    check=check,
    doc=RuleDoc(
        flags="A grant whose `role:` is not an id in `roles.yaml` (or the file `paths.roles` names).",
        why="A role that is not defined gives nothing permgate can judge; defining it later would give its "
            "permissions to every holder with no grant changing. Typos also hide the intended role.",
        fix="Correct the role id, or define the role in `roles.yaml` (a change its owners review).",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - role: sales-standrad
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "ticket ACC-00103"
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 4),),
        ),
        good=Example(files={}),
    ),
)
