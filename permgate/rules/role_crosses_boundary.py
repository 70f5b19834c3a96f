"""role-crosses-boundary: a role meant for a division gives a permission a ``forbidden-owner`` rule forbids to it.

Judged where the role is defined, with no holder needed: a role whose ``owner_division`` is a
grantee division of a ``forbidden-owner`` rule and that reaches (itself or through ``includes``)
a permission owned by one of that rule's protected divisions.
"""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, permission_related, policy_related
from permgate.rules.forbidden_owner import NAME as FORBIDDEN_OWNER
from permgate.rules.roles_common import EXAMPLE_ROLES, EXAMPLE_ROLES_CLEAN, path_words, reach_related, role_related


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    if not ws.roles:
        return
    rules = [p for p in ws.policies if p.kind == FORBIDDEN_OWNER]
    reach = ws.role_reach()
    for role in ws.roles.values():
        for rule in rules:
            if role.owner_division not in rule.params.get("grantee_divisions", ()):
                continue
            owners = rule.params.get("owner_divisions", ())
            for r in reach[role.id]:
                perm = ws.catalog.get(r.permission)
                if perm is None or perm.owner_division not in owners:
                    continue
                via = "" if len(r.chain) == 1 else f" through {path_words(r)}"
                yield Violation(
                    r.loc.path, r.loc.line, r.loc.column,
                    f"role {role.id} is meant for {role.owner_division} but gives {perm.label}{via}, owned by "
                    f"{perm.owner_division} ({perm.loc}); `{rule.id}` forbids it to {role.owner_division}, "
                    f"so every holder would break it",
                    None, perm.id,
                    (role_related(role), *reach_related(ws, r)[:-1], permission_related(ws, perm),
                     policy_related(rule)),
                    role=role.id,
                )


RULE = Rule(
    id="role-crosses-boundary",
    summary="A role meant for a division gives a permission a forbidden-owner rule forbids to that division",
    default_severity="error",
    waivable=False,
    scope="frame",
    check=check,
    doc=RuleDoc(
        flags="A role in `roles.yaml` whose `owner_division` is one of the `grantee_divisions` of a "
              "`forbidden-owner` rule and that gives, itself or through `includes`, a permission owned by "
              "one of that rule's `owner_divisions`. The finding is at the line that lists the permission "
              "(in the included role when it comes through `includes`), with the role and each include on "
              "the way as related locations. No one needs to hold the role.",
        why="One line in a role gives a permission to every holder at once: the 2023 incident was a "
            "registration screen of 120 items ticked wholesale. A role that crosses the unbundling boundary "
            "must be refused where it is defined, before anyone is given it.",
        fix="Remove the permission (or the include that brings it) from the role; a permission the "
            "division truly needs belongs to a role of its own owner's division, granted by its owners.",
        bad=Example(files={"roles.yaml": EXAMPLE_ROLES}, expect=(("roles.yaml", 12),)),
        good=Example(files={"roles.yaml": EXAMPLE_ROLES_CLEAN}),
    ),
)
