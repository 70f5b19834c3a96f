"""expired-grant: a grant whose ``expires`` date has passed (``--today``)."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, grant_violation, what, who


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    today = ctx.today.isoformat()
    # labels looked up once per permission and per run of one employee's grants (files come whole)
    whats: dict[str, str] = {}
    whom_id: str | None = None
    whom = ""
    for g in ws.iter_grants():
        if g.expires is not None and g.expires < today:
            label = whats.get(g.permission)
            if label is None:
                label = whats[g.permission] = what(ws, g.permission)
            if g.employee != whom_id:
                whom_id, whom = g.employee, who(ws, g.employee)
            yield grant_violation(
                g, f"{label} granted to {whom} expired on {g.expires} (today is {today}); the entry should be removed")


RULE = Rule(
    id="expired-grant",
    summary="A grant's expiry date has passed but the grant is still listed",
    default_severity="warning",
    check=check,
    doc=RuleDoc(
        flags="A grant whose `expires:` is before today (`--today`, default the current date). A grant "
              "expiring today is still valid.",
        why="The grants repository is the record of who holds what. An expired entry that stays listed "
            "either still works in the target system (the access never ended) or makes the record wrong.",
        fix="Delete the entry and have the access removed, or renew it with a new `granted_on`, reason and "
            "`expires` if the work continues.",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2020-01-06
    reason: "billing desk cover, ticket ACC-00031"
    expires: 2020-03-31
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 4),),
        ),
        good=Example(files={}),
    ),
)
