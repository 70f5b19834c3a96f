"""A small organisation that grants through roles (laid over ``permgate.rules.examples.BASE``).

``roles.yaml`` lines: ``sales-base`` lists P001 at line 5; ``sales-standard`` (line 6) includes
``sales-base`` and ``grid-read`` at line 11; ``grid-read`` (line 12) lists P002 at line 15.
"""

from __future__ import annotations

ROLES = """\
roles:
  - id: sales-base
    name: Sales base
    owner_division: retail-sales
    permissions: [P001]
  - id: sales-standard
    name: Sales standard
    owner_division: retail-sales
    description: what every retail-sales employee needs
    permissions: [P003]
    includes: [sales-base, grid-read]
  - id: grid-read
    name: Grid read
    owner_division: distribution
    permissions: [P002]
"""

#: the same roles without the include that crosses the boundary
ROLES_CLEAN = ROLES.replace("includes: [sales-base, grid-read]", "includes: [sales-base]")


def grants_file(employee: str, *entries: str, granter: str = "E000001") -> str:
    """A grants file of ``entries`` (``P001`` or ``role:sales-standard``), four lines each from line 4."""
    out = ["---", f"employee: {employee}", "grants:"]
    for e in entries:
        key, _, value = e.rpartition(":")
        out += [f"  - {key or 'permission'}: {value}", f"    granted_by: {granter}",
                "    granted_on: 2026-01-05", '    reason: "onboarding, ticket ACC-00102"']
    return "\n".join(out) + "\n"


#: E000002 (retail-sales) holds P001 directly at line 4 and sales-standard at line 8
FILES = {
    "roles.yaml": ROLES,
    "assignments/retail-sales/E000002.yaml": grants_file("E000002", "P001", "role:sales-standard"),
}
