"""unprovisioned-grant: git grants a permission the system of record does not hold."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Related, Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, grant_violation, what, who


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    actual = ctx.actual
    if actual is None:
        return
    today = ctx.today.isoformat()
    empty: dict[str, object] = {}
    related = (Related(actual.path, 1, 1, "the system of record's export"),)
    for g in ws.iter_grants():
        if g.expires is not None and g.expires < today:
            continue  # expired: absence from the system is right
        if g.permission not in actual.held.get(g.employee, empty):
            yield grant_violation(g, f"{what(ws, g.permission)} is granted to {who(ws, g.employee)} but the "
                                  "system of record does not hold it", related)


RULE = Rule(
    id="unprovisioned-grant",
    summary="A grant in git that the system of record does not hold",
    default_severity="warning",
    scope="reconcile",
    check=check,
    doc=RuleDoc(
        flags="In `permgate reconcile --actual EXPORT`, a grant in force in git (not expired) that no row of "
              "the export holds. The finding is at the grant's line.",
        why="The grants repository is meant to be the record of who holds what. A grant merged but never "
            "provisioned makes the record wrong, and hides that the provisioning step is not done.",
        fix="Provision the access in the system, or remove the grant from git if it is no longer wanted.",
        bad=Example(
            files={"access.csv": "employee,permission\n"},
            actual="access.csv",
            expect=(("assignments/retail-sales/E000002.yaml", 4),),
        ),
        good=Example(files={"access.csv": "employee,permission\nE000002,P001\n"}, actual="access.csv"),
    ),
)
