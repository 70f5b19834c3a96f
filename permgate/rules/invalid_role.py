"""invalid-role: a role definition that cannot be used as written.

An include of a role that is not defined, an include that closes a cycle, a permission that is
not in the catalog, a role id that is also a permission id.  Each at its line in ``roles.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Related, Violation
from permgate.model import Role, Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, permission_related


def _cycle(ws: Workspace, start: Role, inner: str) -> list[str] | None:
    """The include path from ``inner`` back to ``start``, or None."""
    stack: list[tuple[str, list[str]]] = [(inner, [inner])]
    seen: set[str] = set()
    while stack:
        current, path = stack.pop()
        if current == start.id:
            return path
        if current in seen or current not in ws.roles:
            continue
        seen.add(current)
        for nxt in reversed(ws.roles[current].includes):
            stack.append((nxt, [*path, nxt]))
    return None


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    for role in ws.roles.values():
        perm = ws.catalog.get(role.id)
        if perm is not None:
            yield Violation(role.loc.path, role.loc.line, role.loc.column,
                            f"role id `{role.id}` is also a permission id ({perm.label}, {perm.loc}); a role and "
                            f"a permission must not share an id", None, None, (permission_related(ws, perm),),
                            role=role.id)
        for pid, loc in zip(role.permissions, role.permission_locs, strict=True):
            if pid not in ws.catalog:
                yield Violation(loc.path, loc.line, loc.column,
                                f"role {role.id} lists {pid}, which is not in {ws.catalog_path}", role=role.id)
        for inc, loc in zip(role.includes, role.include_locs, strict=True):
            if inc not in ws.roles:
                yield Violation(loc.path, loc.line, loc.column,
                                f"role {role.id} includes `{inc}`, which is not a role in {role.loc.path}",
                                role=role.id)
                continue
            back = _cycle(ws, role, inc)
            if back is not None:
                other = ws.roles[inc]
                yield Violation(loc.path, loc.line, loc.column,
                                f"role {role.id} includes {inc}, which leads back to it "
                                f"({' -> '.join([role.id, *back])}): includes must not form a cycle",
                                None, None, (Related(other.loc.path, other.loc.line, other.loc.column,
                                                     f"role {other.label}"),), role=role.id)


_ROLES = """\
---
roles:
  - id: sales-base
    name: Sales base
    owner_division: retail-sales
    permissions: [P001, P999]
    includes: [sales-standard]
  - id: sales-standard
    name: Sales standard
    owner_division: retail-sales
    permissions: [P003]
    includes: [sales-base]
"""

RULE = Rule(
    id="invalid-role",
    summary="A role includes an unknown role or itself, lists an unknown permission, or shares a permission's id",
    default_severity="error",
    waivable=False,
    always_reported=True,
    scope="frame",
    check=check,
    doc=RuleDoc(
        flags="In `roles.yaml`: an `includes` entry naming no role, an `includes` entry that leads back to the "
              "role (a cycle; each include of the cycle is flagged), a `permissions` entry that is not in the "
              "catalog, or a role whose id is also a permission id. Each at its line.",
        why="What a role gives must be exactly what its definition says. An include that names nothing gives "
            "nothing silently; a cycle has no meaning; a role id equal to a permission id lets a reader (and a "
            "waiver, a review) take one for the other.",
        fix="Correct the id, remove the include that closes the cycle, or rename the role.",
        bad=Example(files={"roles.yaml": _ROLES},
                    expect=(("roles.yaml", 6), ("roles.yaml", 7), ("roles.yaml", 12))),
        good=Example(files={"roles.yaml": _ROLES.replace(", P999", "").replace("    includes: [sales-base]\n", "")}),
    ),
)
