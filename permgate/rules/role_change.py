"""role-change: in ``--base`` mode, a role that now gives a permission it did not give at the base.

A role change is a change to every holder's effective access: their new findings are at their
grant lines (every rule judges effective grants), and this finding says, at the ``roles.yaml`` line
that brings the permission, how many people it reaches.  ``check --base`` raises it to an error
when one of those holders has a new error through it (``change/judge.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, what
from permgate.rules.roles_common import reach_related, role_related

#: holders named in the message before "and N more"
SHOWN = 5


def gaining_holders(ws: Workspace, base: Workspace, role: str, permission: str) -> list[str]:
    """Employees who gain ``permission`` through ``role``: holders of ``role``, or of a role that includes
    it, that did not give ``permission`` at the base.  (Only those roles' holders are re-judged by an
    incremental run, so the count is the same on both paths.)"""
    before = base.role_reach()
    outer = {r for r, reached in ws.role_reach().items()
             if any(x.permission == permission and role in x.chain for x in reached)
             and not any(x.permission == permission for x in before.get(r, ()))}
    return sorted({g.employee for f in ws.files for g in f.role_grants if g.role in outer})


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    if ctx.base is None or ctx.change is None or not ws.roles:
        return
    before = ctx.base.role_reach()
    for role_id, reached in ws.role_reach().items():
        if role_id not in before:
            continue  # a new role gives nothing until granted, and a grant of it is judged where it is added
        had = {r.permission for r in before[role_id]}
        gained = [r for r in reached if r.permission not in had]
        if not gained:
            continue
        role = ws.roles[role_id]
        for r in gained:
            holders = gaining_holders(ws, ctx.base, role_id, r.permission)
            shown = ", ".join(holders[:SHOWN]) + (f" and {len(holders) - SHOWN} more" if len(holders) > SHOWN else "")
            if len(r.chain) > 1:
                inner = r.chain[1]
                loc = role.include_locs[role.includes.index(inner)]
                how = f"through {' -> '.join(r.chain)}"
            else:
                loc = r.loc
                how = "listed here"
            yield Violation(
                loc.path, loc.line, loc.column,
                f"role {role_id} now gives {what(ws, r.permission)} ({how}), which it did not give at "
                f"{ctx.change.base_ref}; {len(holders)} holder(s) gain it" + (f": {shown}" if holders else ""),
                None, r.permission, (role_related(role), *reach_related(ws, r)), role=role_id)


_ROLES = """\
---
roles:
  - id: sales-standard
    name: Sales standard
    owner_division: corporate
    permissions: [P001]
"""

_GRANT = """\
---
employee: E000002
grants:
  - role: sales-standard
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "onboarding, ticket ACC-00102"
"""

RULE = Rule(
    scope="change",
    id="role-change",
    summary="A role gives a permission it did not give at the base (every holder gains it)",
    default_severity="warning",
    waivable=True,
    check=check,
    doc=RuleDoc(
        flags="In `--base` mode, each permission a role gives at the head and did not give at the base "
              "(listed in it, or reached through an `includes` added or changed), at the `roles.yaml` line "
              "that brings it, with the people who gain it (holders of the role, or of a role that includes "
              "it, that did not give the permission before). "
              "It is an error when one of those holders has a new error through the role.",
        why="One line in a role changes access for everyone who holds it; the reviewer of the pull request "
            "must see that line, and how many people it reaches, beside each holder's own new findings.",
        fix="Add the permission to a role meant for the people who need it, or grant it to them directly.",
        bad=Example(base={"roles.yaml": _ROLES, "assignments/retail-sales/E000002.yaml": _GRANT},
                    files={"roles.yaml": _ROLES.replace("[P001]", "[P001, P003]"),
                           "assignments/retail-sales/E000002.yaml": _GRANT},
                    expect=(("roles.yaml", 6),)),
        good=Example(base={"roles.yaml": _ROLES, "assignments/retail-sales/E000002.yaml": _GRANT},
                     files={"roles.yaml": _ROLES.replace("Sales standard", "Sales (standard)"),
                            "assignments/retail-sales/E000002.yaml": _GRANT}),
    ),
)
