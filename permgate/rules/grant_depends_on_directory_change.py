"""grant-depends-on-directory-change: a grant allowed only because the same change moved its holder.

``--base`` mode only.  For each person whose division differs between the base and the
change, the policy rules are run again with that person put back into their base
division; a grant that breaks a rule there but not in the change depends on the move.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Person, Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, person_related, policy_related
from permgate.rules.kinds import POLICY_KINDS


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    base, change = ctx.base, ctx.change
    if base is None or change is None or base.people is ws.people:  # one directory for both: nobody moved
        return
    moved: dict[str, tuple[Person, Person]] = {}
    for pid, after in ws.people.items():
        before = base.people.get(pid)
        if before is not None and before.division != after.division:
            moved[pid] = (before, after)
    if not moved:
        return
    files = tuple(f for f in ws.files if f.employee in moved)
    now = dataclasses.replace(ws, files=files, problems=())
    people = dict(ws.people)
    for pid, (before, after) in moved.items():
        people[pid] = after._replace(division=before.division)
    reverted = dataclasses.replace(now, people=people)
    seen: set[tuple[str, int, int]] = set()
    for policy in ctx.policies:
        kind = POLICY_KINDS.get(policy.kind)
        if kind is None:
            continue
        flagged_now = {(v.path, v.line, v.column) for v in kind.check(now, policy, ctx)}
        for v in kind.check(reverted, policy, ctx):
            where = (v.path, v.line, v.column)
            if v.employee not in moved or where in flagged_now or where in seen:
                continue
            seen.add(where)
            before, after = moved[v.employee]
            yield Violation(
                v.path, v.line, v.column,
                f"{v.permission} held by {after.label} would break rule `{policy.id}` in {before.division} "
                f"(their division at {change.base_ref}); it is allowed only because this change moves them "
                f"to {after.division} ({after.loc})",
                v.employee, v.permission,
                (person_related(after, f"{after.label} moves from {before.division} to {after.division} "
                                       "in this change"), policy_related(policy)),
            )


_PEOPLE_MOVED = """\
---
# employees
people:
- id: E000001
  name: Ada Abbott
  division: retail-sales
  manager: null
- id: E000002
  name: Ben Baker
  division: distribution
  manager: E000003
- id: E000003
  name: Chloe Castro
  division: distribution
  manager: null
- id: E000004
  name: Dev Dubois
  division: corporate
  manager: null
"""

_GRANT = """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
  - permission: P002
    granted_by: E000003
    granted_on: 2026-01-05
    reason: "supply-point desk, ticket ACC-00110"
"""

RULE = Rule(
    scope="change",
    id="grant-depends-on-directory-change",
    summary="A grant is allowed only because the same change moved its holder into another division",
    default_severity="warning",
    waivable=False,  # a waiver would live in policies/, inside the very change it excuses
    check=check,
    doc=RuleDoc(
        flags="In `--base` mode, a grant that a policy rule would flag with its holder in the division the "
              "people directory gives at the base, and that passes only because the same change moves the "
              "holder to another division (typically into the division that owns the permission).",
        why="Editing the people directory is the cheapest way around a boundary rule: move the person on "
            "paper, and the grant passes. A real transfer is decided by HR, not by the author of a grants "
            "change, so a reviewer must see that the grant rests on the move.",
        fix="Land the transfer on its own (from the HR process that owns the people directory), then the "
            "grant. If the transfer is real and already approved, link its record in the pull request.",
        bad=Example(files={"people.yaml": _PEOPLE_MOVED, "assignments/retail-sales/E000002.yaml": _GRANT},
                    base={}, expect=(("assignments/retail-sales/E000002.yaml", 8),)),
        good=Example(files={"people.yaml": _PEOPLE_MOVED}, base={}),
    ),
)
