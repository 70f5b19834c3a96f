"""The small organisation every rule example starts from (shown in docs/rules/index.md).

An example names only the files it changes; ``build`` lays them over ``BASE``.
"""

from __future__ import annotations

from collections.abc import Mapping

BASE: Mapping[str, str] = {
    "catalog.yaml": """\
---
# permission catalog
permissions:
- id: P001
  name: billing.read
  owner_division: retail-sales
  description: Read access to billing systems
- id: P002
  name: supply-points.read
  owner_division: distribution
  description: Read access to supply-point data, including new entrants' customers
- id: P003
  name: hr.read
  owner_division: corporate
  description: Read access to HR systems
- id: P004
  name: legacy-liaison.read
  owner_division: corporate
  description: Left over from a retired process
  retired: true
- id: P005
  name: access-admin.register
  owner_division: corporate
  description: Register permissions for other employees
  grants_access: true
- id: P006
  name: payroll.read
  owner_division: corporate
  description: Read salaries and bank details (personal data)
  sensitive: true
""",
    "people.yaml": """\
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
- id: E000003
  name: Chloe Castro
  division: distribution
  manager: null
- id: E000004
  name: Dev Dubois
  division: corporate
  manager: null
  function: access-administration
""",
    "policies/unbundling.yaml": """\
---
rules:
  - id: distribution-to-retail-sales
    kind: forbidden-owner
    severity: error
    waivable: false
    summary: Distribution-owned permissions must not be granted to retail-sales employees
    owner_divisions: [distribution]
    grantee_divisions: [retail-sales]
""",
    "assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
""",
}


def build(files: Mapping[str, str]) -> dict[str, str]:
    """``BASE`` with ``files`` laid over it (a value of ``""`` deletes the file)."""
    merged = dict(BASE)
    for path, text in files.items():
        if text == "":
            merged.pop(path, None)
        else:
            merged[path] = text
    return merged
