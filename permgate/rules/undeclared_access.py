"""undeclared-access: the system of record holds a permission that git does not grant."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Related, Violation
from permgate.model import Workspace
from permgate.rules.base import (
    Context,
    Example,
    Rule,
    RuleDoc,
    grant_violation,
    permission_related,
    person_related,
    what,
    who,
)


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    actual = ctx.actual
    if actual is None:
        return
    for employee, held in actual.held.items():
        granted = {g.permission for g in ws.grants_of(employee)}
        for permission, row in held.items():
            if permission in granted:
                continue
            message = f"{what(ws, permission)} is held by {who(ws, employee)} in the system of record " \
                      "but granted in no grants file"
            related: list[Related] = []
            revoked = actual.revocations.get((employee, permission))
            if revoked is not None:
                message += f"; git revoked it on {revoked.date} in commit {revoked.commit[:12]} " \
                           f"({revoked.path}): a revocation never applied"
            else:
                message += "; registered outside git"
            person = ws.people.get(employee)
            if person is not None:
                related.append(person_related(person))
            perm = ws.catalog.get(permission)
            if perm is not None:
                related.append(permission_related(ws, perm))
            yield grant_violation(row, message, tuple(related))


RULE = Rule(
    id="undeclared-access",
    summary="The system of record holds a permission no grants file grants",
    default_severity="error",
    scope="reconcile",
    check=check,
    doc=RuleDoc(
        flags="In `permgate reconcile --actual EXPORT`, a row of the export (an employee holding a permission "
              "in the system of record) that no grants file grants, expired or not. When the git history "
              "shows the grant was removed, the message names the date and the commit: a revocation merged "
              "in git but never applied in the system. The finding is at the export's row.",
        why="A grants repository that passes every rule proves nothing if access can be registered in the "
            "system directly, by ticking items on a screen, or if a revocation merged in git never reaches "
            "the system. This is how the 2023 incident's access came to be.",
        fix="Remove the access in the system; or, if it is needed, grant it in git through review (`permgate "
            "grant`), so that the record and the system agree.",
        bad=Example(
            files={"access.csv": "employee,permission\nE000002,P001\nE000002,P003\n"},
            actual="access.csv",
            expect=(("access.csv", 3),),
        ),
        good=Example(files={"access.csv": "employee,permission\nE000002,P001\n"}, actual="access.csv"),
    ),
)
