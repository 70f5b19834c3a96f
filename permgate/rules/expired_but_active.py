"""expired-but-active: a grant expired in git, and the system of record still holds it."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Related, Violation
from permgate.model import Grant, Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, grant_violation, what, who


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    actual = ctx.actual
    if actual is None:
        return
    today = ctx.today.isoformat()
    held = actual.held
    empty: dict[str, Grant] = {}
    # only a pair with an expired grant can be reported: look at those (a few in a hundred), not at
    # every row's employee (1.4 million rows at 100,000 employees)
    candidates: dict[str, set[str]] = {}
    for g in ws.iter_grants():
        if g.expires is not None and g.expires < today and g.permission in held.get(g.employee, empty):
            candidates.setdefault(g.employee, set()).add(g.permission)
    for employee, permissions in candidates.items():
        by_permission: dict[str, list[Grant]] = {}
        for g in ws.grants_of(employee):
            if g.permission in permissions:
                by_permission.setdefault(g.permission, []).append(g)
        mine = held[employee]
        for permission, grants in by_permission.items():
            if any(g.expires is None or g.expires >= today for g in grants):
                continue  # a grant still in force
            last = max(grants, key=lambda g: g.expires or "")
            yield grant_violation(
                mine[permission], f"{what(ws, permission)} granted to {who(ws, employee)} expired on {last.expires} "
                f"(today is {today}) but the system of record still holds it",
                (Related(last.path, last.line, last.column, f"the grant, expired on {last.expires}"),))


RULE = Rule(
    id="expired-but-active",
    summary="A grant expired in git but the system of record still holds it",
    default_severity="error",
    scope="reconcile",
    check=check,
    doc=RuleDoc(
        flags="In `permgate reconcile --actual EXPORT`, a row of the export whose every grant in git has "
              "expired (`expires:` before today). The finding is at the export's row, with the expired "
              "grant's line.",
        why="An expiry date is a promise that access ends. If the system never removes it, the promise was "
            "only on paper, and `expired-grant` in git cannot tell.",
        fix="Remove the access in the system, then the expired entry in git; or renew the grant in git with a "
            "new reason and expiry if the work continues.",
        bad=Example(
            files={
                "assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk cover, ticket ACC-00101"
    expires: 2026-03-31
""",
                "access.csv": "employee,permission\nE000002,P001\n",
            },
            actual="access.csv",
            expect=(("access.csv", 2),),
        ),
        good=Example(files={"access.csv": "employee,permission\nE000002,P001\n"}, actual="access.csv"),
    ),
)
