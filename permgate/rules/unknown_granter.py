"""unknown-granter: a grant's ``granted_by`` is not in the people directory."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import GRANTER_OF, Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, grant_violation, what, who


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    people = ws.people
    if people.keys() >= set(map(GRANTER_OF, ws.iter_grants())):
        return  # every granter is in the directory (one set, no Python step per grant)
    for g in ws.iter_grants():
        if g.granted_by not in people:
            yield grant_violation(
                g, f"granted_by {g.granted_by} is not in {ws.people_path}; {what(ws, g.permission)} "
                f"granted to {who(ws, g.employee)} on {g.granted_on}")


RULE = Rule(
    id="unknown-granter",
    summary="A grant was given by someone missing from the people directory",
    default_severity="error",
    check=check,
    doc=RuleDoc(
        flags="A grant whose `granted_by:` is not an id in the people directory.",
        why="Compliance must answer who granted what. A granter nobody can identify means nobody can be "
            "asked why the access was given, and no authority rule can be applied.",
        fix="Correct the granter's id; if the granter has left, have a current manager re-approve the grant.",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000777
    granted_on: 2026-01-05
    reason: "ticket ACC-00104"
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 4),),
        ),
        good=Example(files={}),
    ),
)
