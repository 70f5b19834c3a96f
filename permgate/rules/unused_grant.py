"""unused-grant: the system of record says a held permission has not been used for a long time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, grant_violation, settings_of, what, who

DEFAULT_DAYS = 90


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    actual = ctx.actual
    if actual is None or not actual.last_used:
        return
    days = int(settings_of(ws, "unused-grant").get("days", DEFAULT_DAYS))
    before = (ctx.today - dt.timedelta(days=days)).isoformat()
    last_used = actual.last_used
    for employee, held in actual.held.items():
        for permission, row in held.items():
            used = last_used.get(row.line)
            if used is not None and used < before:
                yield grant_violation(row, f"{what(ws, permission)} held by {who(ws, employee)} was last used on "
                                      f"{used}, more than {days} days before {ctx.today.isoformat()}")


RULE = Rule(
    id="unused-grant",
    summary="The system of record says a held permission has not been used for a long time",
    default_severity="note",
    scope="reconcile",
    check=check,
    settings={"days": f"a permission last used more than this many days ago is reported (default {DEFAULT_DAYS})"},
    doc=RuleDoc(
        flags="In `permgate reconcile --actual EXPORT` with a `last_used` column, a row whose `last_used` date "
              "is more than `settings: unused-grant: days` (default 90) before today. An empty `last_used` "
              "says nothing and is not reported.",
        why="Access nobody uses is risk with no benefit: least privilege says remove it.",
        fix="Revoke the grant in git (`permgate revoke`) and in the system, or keep it knowingly.",
        bad=Example(
            files={"access.csv": "employee,permission,last_used\nE000002,P001,2026-01-20\n"},
            actual="access.csv",
            expect=(("access.csv", 2),),
        ),
        good=Example(files={"access.csv": "employee,permission,last_used\nE000002,P001,2026-05-20\n"},
                     actual="access.csv"),
    ),
)
