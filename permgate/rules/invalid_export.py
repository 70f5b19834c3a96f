"""invalid-export: a row of the system of record's export that cannot be read (``permgate reconcile``)."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    if ctx.actual is None:
        return
    for p in ctx.actual.problems:
        yield Violation(p.path, p.line, p.column, p.message, p.employee)


RULE = Rule(
    id="invalid-export",
    summary="A row of the system of record's export cannot be read",
    default_severity="error",
    waivable=False,
    always_reported=True,
    scope="reconcile",
    check=check,
    doc=RuleDoc(
        flags="In `permgate reconcile --actual EXPORT`, a row of the export permgate cannot use: a line that is "
              "not UTF-8 or holds a NUL byte, broken CSV quoting, a row with more or fewer fields than the "
              "header, an empty or malformed id, a date that is not YYYY-MM-DD, a JSON Lines line that is not "
              "an object of strings, or the same employee and permission listed twice. The finding is at "
              "`EXPORT:LINE:FIELD`: the line the row starts on and the position of the field in the row.",
        why="A row that is skipped hides exactly the access the comparison exists to find. The other rows are "
            "still compared, so one bad row never hides the rest.",
        fix="Correct the export at the row shown (or the export job that wrote it); docs/reconcile.md "
            "describes the format.",
        bad=Example(
            files={"access.csv": "employee,permission\nE000002,P001\nE000002\n"},
            actual="access.csv",
            expect=(("access.csv", 3),),
        ),
        good=Example(files={"access.csv": "employee,permission\nE000002,P001\n"}, actual="access.csv"),
    ),
)
