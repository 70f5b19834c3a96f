"""duplicate-grant: the same permission is granted to the same employee more than once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from permgate.findings import Related, Violation
from permgate.model import PERMISSION_OF, Grant, Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, grant_violation, what, who


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    # A file holds the grants of one employee.  When that employee has no other file and
    # the file names each permission once, it cannot hold a duplicate: most files are
    # settled by one set, and only the rest go through the (large) dictionary below.
    files_of = Counter(f.employee for f in ws.files)
    first: dict[tuple[str, str], Grant] = {}
    for f in ws.files:
        grants = f.grants
        if files_of[f.employee] == 1 and len(set(map(PERMISSION_OF, grants))) == len(grants):
            continue
        yield from _duplicates(ws, grants, first)


def _duplicates(ws: Workspace, grants: tuple[Grant, ...], first: dict[tuple[str, str], Grant]) -> Iterator[Violation]:
    for g in grants:
        key = (g.employee, g.permission)
        earlier = first.get(key)
        if earlier is None:
            first[key] = g
            continue
        yield grant_violation(
            g, f"{what(ws, g.permission)} is granted to {who(ws, g.employee)} again "
            f"(first at {earlier.path}:{earlier.line})",
            (Related(earlier.path, earlier.line, earlier.column, "first grant of the same permission"),))


RULE = Rule(
    id="duplicate-grant",
    summary="The same permission is granted to the same employee twice",
    default_severity="error",
    check=check,
    doc=RuleDoc(
        flags="A second grant of a permission the employee already holds, in the same file or in another "
              "file for the same employee.",
        why="Two entries with different dates, granters or expiries make it unclear which one holds; "
            "revoking one leaves the other in place.",
        fix="Keep one entry (the one with the correct granter, reason and expiry) and delete the other.",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "ticket ACC-00101"
  - permission: P001
    granted_by: E000001
    granted_on: 2026-03-01
    reason: "ticket ACC-00106"
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 8),),
        ),
        good=Example(files={}),
    ),
)
