"""self-grant: an employee granted a permission to themself."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import compress
from operator import eq

from permgate.findings import Violation
from permgate.model import EMPLOYEE_OF, GRANTER_OF, Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, grant_violation, person_related, what, who


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    # the grants whose granter is their holder, picked out in C
    selves = map(eq, map(GRANTER_OF, ws.iter_grants()), map(EMPLOYEE_OF, ws.iter_grants()))
    for g in compress(ws.iter_grants(), selves):
        person = ws.people.get(g.employee)
        related = (person_related(person),) if person else ()
        yield grant_violation(
            g, f"{who(ws, g.employee)} granted {what(ws, g.permission)} to themself on {g.granted_on}",
            related)


RULE = Rule(
    id="self-grant",
    summary="An employee granted a permission to themself",
    default_severity="error",
    check=check,
    doc=RuleDoc(
        flags="A grant whose `granted_by:` is the employee who holds it.",
        why="Granting access is a four-eyes decision. In the 2023 incident a special manager registered "
            "the distribution permission for himself; nobody else ever looked at it.",
        fix="Have the employee's manager (or a delegate named in policy) grant the permission, and record "
            "them in `granted_by:`.",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000002
    granted_on: 2026-01-05
    reason: "ticket ACC-00105"
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 4),),
        ),
        good=Example(files={}),
    ),
)
