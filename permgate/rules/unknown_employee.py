"""unknown-employee: a grants file names an employee who is not in the people directory."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    for f in ws.files:
        if f.employee not in ws.people:
            loc = f.employee_loc
            yield Violation(
                loc.path, loc.line, loc.column,
                f"{f.employee} is not in {ws.people_path}; the {len(f.grants)} grant(s) in this file "
                "cannot be checked against a division",
                f.employee,
            )


RULE = Rule(
    id="unknown-employee",
    summary="A grants file belongs to an employee missing from the people directory",
    default_severity="error",
    check=check,
    doc=RuleDoc(
        flags="A grants file whose `employee:` is not an id in the people directory.",
        why="Every boundary rule judges a grant by the division of the person who holds it. A grant to "
            "someone the directory does not know cannot be judged, so it must not pass silently; it is "
            "also the typical trace of a leaver whose access was never removed.",
        fix="Add the person to the people directory with their division and manager, or correct the id, "
            "or delete the file if the person has left.",
        bad=Example(
            files={"assignments/retail-sales/E000099.yaml": """\
---
employee: E000099
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "ticket ACC-00102"
"""},
            expect=(("assignments/retail-sales/E000099.yaml", 2),),
        ),
        good=Example(files={}),
    ),
)
