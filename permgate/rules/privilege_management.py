"""privilege-management: a permission that grants access, held outside access administration."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import (
    Context,
    Example,
    Rule,
    RuleDoc,
    grant_violation,
    grants_of_permissions,
    permission_related,
    person_related,
    settings_of,
)

DEFAULT_FUNCTIONS = ("access-administration",)


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    functions = tuple(settings_of(ws, "privilege-management").get("functions", DEFAULT_FUNCTIONS))
    allowed = frozenset(functions)
    # only grants of these can violate: picked out in C, people only for those
    access = {pid: perm for pid, perm in ws.catalog.items() if perm.grants_access}
    for g in grants_of_permissions(ws, access):
        perm = access[g.permission]
        person = ws.people.get(g.employee)
        if person is None or person.function in allowed:
            continue
        has = f"function `{person.function}`" if person.function else "no function"
        yield grant_violation(
            g, f"{perm.label} lets its holder register access for others ({perm.loc}); {person.label} has "
            f"{has} ({person.loc}), allowed: {', '.join(functions) or 'nobody'}",
            (permission_related(ws, perm, f"{perm.label} is marked grants_access"),
             person_related(person, f"{person.label} has {has}")))


RULE = Rule(
    id="privilege-management",
    summary="A permission that can grant access is held by someone outside access administration",
    default_severity="error",
    check=check,
    settings={"functions": "people-directory functions allowed to hold `grants_access` permissions "
                           "(default `[access-administration]`)"},
    doc=RuleDoc(
        flags="A grant of a permission the catalog marks `grants_access: true` to a person whose people-"
              "directory `function:` is not one of `functions` (default `access-administration`).",
        why="Whoever can register permissions decides what everyone else can see. In 2023 the ability to "
            "register items sat with sales managers, who registered a distribution item for sales staff; "
            "the fix was to delete the item and the ability to register it.",
        fix="Remove the grant and route registrations through access administration, or, if the person "
            "really administers access, record `function: access-administration` in the people directory.",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
  - permission: P005
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "register the new starters, ticket ACC-00109"
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 8),),
        ),
        good=Example(files={"assignments/corporate/E000004.yaml": """\
---
employee: E000004
grants:
  - permission: P005
    granted_by: E000004
    granted_on: 2026-01-05
    reason: "access administrator appointment, ticket ACC-00111"
"""}),
    ),
)
