"""role-conflicting-duties: a role that by itself gives every duty of a separation-of-duties rule."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from permgate.findings import Related, Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, policy_related
from permgate.rules.separation_of_duties import EXAMPLE_POLICY


def _holds(duty: Mapping[str, Any], held: Mapping[str, Any]) -> list[str] | None:
    if "all_of" in duty:
        return list(duty["all_of"]) if all(p in held for p in duty["all_of"]) else None
    got = [p for p in duty["any_of"] if p in held]
    return got[:1] or None


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    if not ws.roles:
        return
    rules = [p for p in ws.policies if p.kind == "separation-of-duties"]
    reach = ws.role_reach()
    for role in ws.roles.values():
        held = {r.permission: r for r in reach[role.id]}
        for rule in rules:
            duties: Sequence[Mapping[str, Any]] = rule.params["duties"]
            parts = [(d["name"], _holds(d, held)) for d in duties]
            if any(got is None for _, got in parts):
                continue
            described = "; ".join(f"{name}: {', '.join(got or ())}" for name, got in parts)
            related = tuple(Related(held[p].loc.path, held[p].loc.line, held[p].loc.column,
                                    f"{p} ({name}), through {' -> '.join(held[p].chain)}")
                            for name, got in parts for p in got or ())
            yield Violation(role.loc.path, role.loc.line, role.loc.column,
                            f"role {role.id} by itself gives every duty of `{rule.id}` ({described}); "
                            f"every holder would hold them all", None, None,
                            (*related, policy_related(rule)), role=role.id)


_ROLES = """\
---
roles:
  - id: back-office
    name: Back office
    owner_division: corporate
    permissions: [P003, P006]
    includes: [access-admin]
  - id: access-admin
    name: Access administration
    owner_division: corporate
    permissions: [P005]
"""

RULE = Rule(
    id="role-conflicting-duties",
    summary="A role by itself gives every duty of a separation-of-duties rule",
    default_severity="error",
    scope="frame",
    check=check,
    doc=RuleDoc(
        flags="A role in `roles.yaml` that gives, itself or through `includes`, every duty of a "
              "`separation-of-duties` rule. The finding is at the role's `- id:` line; the lines that give "
              "each duty are related locations. No one needs to hold the role.",
        why="Whoever is given such a role holds the conflicting duties together from the first day; the "
            "separation was lost when the role was written, and each holder's finding would only repeat it.",
        fix="Split the role so that no role gives every duty; grant the parts to different people.",
        bad=Example(files={"roles.yaml": _ROLES, "policies/sod.yaml": EXAMPLE_POLICY}, expect=(("roles.yaml", 3),)),
        good=Example(files={"roles.yaml": _ROLES.replace("    includes: [access-admin]\n", ""),
                            "policies/sod.yaml": EXAMPLE_POLICY}),
    ),
)
