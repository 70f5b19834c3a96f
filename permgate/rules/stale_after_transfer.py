"""stale-after-transfer: a grant that predates the holder's move into their division."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Grant, Person, PolicyRule, Workspace
from permgate.rules.base import (
    Context,
    Example,
    Rule,
    RuleDoc,
    grant_violation,
    permission_related,
    person_related,
    policy_related,
    what,
)
from permgate.rules.forbidden_owner import protected_owners


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    protected = protected_owners(ws)
    people = ws.people
    for f in ws.files:
        person = people.get(f.employee)  # a file's grants are all its employee's
        if person is None or person.division_since is None:
            continue
        yield from _stale(ws, person, f.grants, protected)


def _stale(ws: Workspace, person: Person, grants: tuple[Grant, ...],
           protected: dict[str, PolicyRule]) -> Iterator[Violation]:
    assert person.division_since is not None
    for g in grants:
        if g.granted_on >= person.division_since:
            continue
        related = [person_related(person, f"{person.label} is in {person.division} since {person.division_since}")]
        message = (f"{what(ws, g.permission)} was granted on {g.granted_on}, before {person.label} moved to "
                   f"{person.division} on {person.division_since} ({person.loc}); it needs re-approval")
        perm = ws.catalog.get(g.permission)
        severity = None
        if perm is not None and perm.owner_division in protected:
            rule = protected[perm.owner_division]
            severity = "error"
            message += f"; {perm.owner_division} permissions are protected by `{rule.id}`"
            related += [permission_related(ws, perm), policy_related(rule)]
        yield grant_violation(g, message, tuple(related))._replace(severity=severity)


RULE = Rule(
    id="stale-after-transfer",
    summary="A grant dated before the holder joined their current division",
    default_severity="warning",
    check=check,
    doc=RuleDoc(
        flags="A grant whose `granted_on:` is before the holder's `division_since:` in the people directory. "
              "A warning; an error when the permission's owning division is protected by a `forbidden-owner` "
              "rule (a severity set for the rule in `permgate.yaml` applies to both).",
        why="Access follows the job. A grant approved for the previous posting was judged against that "
            "posting's needs and boundaries; after a transfer it is carried along unreviewed, and a "
            "transfer between unbundled divisions carries the other side's data with it.",
        fix="Have the current manager review the grant: re-grant it with a new `granted_on` on or after "
            "`division_since` and a current reason, or remove it.",
        bad=Example(
            files={"people.yaml": """\
---
# employees
people:
- id: E000001
  name: Ada Abbott
  division: retail-sales
  manager: null
- id: E000002
  name: Ben Baker
  division: retail-sales
  manager: E000001
  division_since: 2026-02-01
- id: E000003
  name: Chloe Castro
  division: distribution
  manager: null
- id: E000004
  name: Dev Dubois
  division: corporate
  manager: null
  function: access-administration
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 4),),
        ),
        good=Example(files={}),
    ),
)
