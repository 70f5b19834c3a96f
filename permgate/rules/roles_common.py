"""What the role rules share: the example ``roles.yaml`` and how a role is described."""

from __future__ import annotations

from permgate.findings import Related
from permgate.model import Reach, Role, Workspace


def role_related(role: Role, what: str | None = None) -> Related:
    return Related(role.loc.path, role.loc.line, role.loc.column, what or f"role {role.label} ({role.owner_division})")


def reach_related(ws: Workspace, reach: Reach) -> tuple[Related, ...]:
    """The lines by which a role reaches a permission: each ``includes`` on the way, then the listing."""
    out: list[Related] = []
    for outer, inner in zip(reach.chain, reach.chain[1:], strict=False):
        role = ws.roles[outer]
        loc = role.include_locs[role.includes.index(inner)] if inner in role.includes else role.loc
        out.append(Related(loc.path, loc.line, loc.column, f"role {outer} includes role {inner}"))
    last = ws.roles[reach.chain[-1]]
    out.append(Related(reach.loc.path, reach.loc.line, reach.loc.column,
                       f"role {last.id} ({last.name}) gives {reach.permission}"))
    return tuple(out)


def path_words(reach: Reach) -> str:
    """``sales-standard -> grid-read`` (or ``sales-standard`` itself)."""
    return " -> ".join(reach.chain)


#: ``roles.yaml`` of the rule examples (over ``examples.BASE``): a role for retail-sales that
#: includes a distribution-owned permission through ``grid-read`` (its include at line 8, P002 at line 12)
EXAMPLE_ROLES = """\
---
roles:
  - id: sales-standard
    name: Sales standard
    owner_division: retail-sales
    description: What every retail-sales employee needs
    permissions: [P001]
    includes: [grid-read]
  - id: grid-read
    name: Grid read
    owner_division: distribution
    permissions: [P002]
"""

#: the same roles without the include that crosses the boundary
EXAMPLE_ROLES_CLEAN = EXAMPLE_ROLES.replace("    includes: [grid-read]\n", "")
