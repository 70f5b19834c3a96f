"""role-grants-everything: a role that gives most of what its division may be given at all.

The "everything" role is bulk-grant in a bundle: it uses ``bulk-grant``'s ``share`` and
``min_grants`` settings, against the permissions grantable to the role's ``owner_division``.
"""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, settings_of
from permgate.rules.bulk_grant import DEFAULT_MIN_GRANTS, DEFAULT_SHARE, grantable


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    if not ws.roles:
        return
    settings = settings_of(ws, "bulk-grant")
    share = float(settings.get("share", DEFAULT_SHARE))
    min_grants = int(settings.get("min_grants", DEFAULT_MIN_GRANTS))
    reach = ws.role_reach()
    pools: dict[str, frozenset[str]] = {}
    for role in ws.roles.values():
        pool = pools.get(role.owner_division)
        if pool is None:
            pool = pools[role.owner_division] = grantable(ws, role.owner_division)
        count = sum(1 for r in reach[role.id] if r.permission in pool)
        if pool and count >= min_grants and count >= share * len(pool):
            yield Violation(role.loc.path, role.loc.line, role.loc.column,
                            f"role {role.id} gives {count} of the {len(pool)} permissions grantable to "
                            f"{role.owner_division} ({count * 100 // len(pool)}%, threshold {share:.0%}): a "
                            f"grant-everything role", role=role.id)


_ROLES = """\
---
roles:
  - id: everything
    name: Everything
    owner_division: retail-sales
    permissions: [P001, P003, P005, P006]
"""

RULE = Rule(
    id="role-grants-everything",
    summary="A role gives most of the permissions grantable to its division (the grant-everything pattern)",
    default_severity="warning",
    scope="frame",
    check=check,
    doc=RuleDoc(
        flags="A role in `roles.yaml` that gives at least `share` (default 80%) of the permissions grantable "
              "to its `owner_division` (not retired, not forbidden to it by a `forbidden-owner` rule), and at "
              "least `min_grants` (default 10) of them; both are `bulk-grant`'s settings. The finding is at "
              "the role's `- id:` line.",
        why="Ticking every item the screen offers is how the 2023 incident happened; a role that holds "
            "everything does it for every holder, and no single grant looks wrong.",
        fix="Split the role by task, so each holder gets what the task needs.",
        bad=Example(files={"roles.yaml": _ROLES, "policies/bulk.yaml": "settings:\n  bulk-grant:\n    min_grants: 3\n"},
                    expect=(("roles.yaml", 3),)),
        good=Example(files={"roles.yaml": _ROLES.replace("[P001, P003, P005, P006]", "[P001]"),
                            "policies/bulk.yaml": "settings:\n  bulk-grant:\n    min_grants: 3\n"}),
    ),
)
