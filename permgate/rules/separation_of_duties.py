"""separation-of-duties (policy kind): duties one person must not hold together.

A rule names two or more duties, each a set of catalog permissions with ``any_of``
(holding one is enough) or ``all_of`` (only all of them together count).  A person who
holds every duty is flagged once, at the grant that completed the combination (the
latest by ``granted_on``), with the other grants as related locations.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from permgate.findings import Related, Violation
from permgate.model import Grant, PolicyRule, Workspace
from permgate.rules.base import Context, Example, PolicyKind, RuleDoc, grant_violation, policy_related, who


def _order(g: Grant) -> tuple[str, str, int]:
    return (g.granted_on, g.path, g.line)


def _duty_grants(duty: Mapping[str, Any], held: Mapping[str, Grant]) -> list[Grant] | None:
    """The grants that give the person this duty, or None when they do not hold it."""
    if "all_of" in duty:
        if not all(p in held for p in duty["all_of"]):
            return None
        return [held[p] for p in duty["all_of"]]
    matches = [held[p] for p in duty["any_of"] if p in held]
    return [min(matches, key=_order)] if matches else None


def validate(ws: Workspace, rule: PolicyRule) -> str | None:
    duties: Sequence[Mapping[str, Any]] = rule.params["duties"]
    names = [d["name"] for d in duties]
    if len(set(names)) != len(names):
        return f"rule {rule.id}: duty names must be unique"
    for d in duties:
        for pid in d.get("any_of", d.get("all_of", ())):
            if pid not in ws.catalog:
                return f"rule {rule.id}: duty `{d['name']}` names {pid}, which is not in {ws.catalog_path}"
    return None


def check(ws: Workspace, rule: PolicyRule, ctx: Context) -> Iterator[Violation]:
    duties: Sequence[Mapping[str, Any]] = rule.params["duties"]
    relevant = {p for d in duties for p in d.get("any_of", d.get("all_of", ()))}
    holders = sorted({g.employee for g in ws.iter_grants() if g.permission in relevant})
    policy = policy_related(rule)
    for employee in holders:
        held: dict[str, Grant] = {}
        for g in sorted(ws.grants_of(employee), key=_order):
            if g.permission in relevant:
                held.setdefault(g.permission, g)
        parts: list[tuple[str, list[Grant]]] = []
        for d in duties:
            got = _duty_grants(d, held)
            if got is None:
                break
            parts.append((d["name"], got))
        else:
            grants = [g for _, gs in parts for g in gs]
            last = max(grants, key=_order)
            described = "; ".join(f"{name}: {', '.join(g.permission for g in gs)}" for name, gs in parts)
            related = tuple(Related(g.path, g.line, g.column, f"{g.permission} ({name})")
                            for name, gs in parts for g in gs if g is not last)
            yield grant_violation(
                last, f"{who(ws, employee)} holds every duty of `{rule.id}` ({described}); this grant on "
                f"{last.granted_on} completed the combination", (*related, policy))


#: the policy both documented examples run under (role-conflicting-duties' examples too)
EXAMPLE_POLICY = """\
---
rules:
  - id: access-admin-with-payroll
    kind: separation-of-duties
    severity: error
    summary: Who registers access must not also read payroll data
    duties:
      - name: register-access
        any_of: [P005]
      - name: read-payroll
        any_of: [P006]
"""

KIND = PolicyKind(
    name="separation-of-duties",
    summary="One person must not hold all of a set of conflicting duties",
    check=check,
    validate=validate,
    params={
        "duties": "two or more `{name, any_of: [...]}` or `{name, all_of: [...]}` entries listing catalog "
                  "permission ids; a person holding every duty is flagged",
    },
    doc=RuleDoc(
        flags="A person who holds every duty named by the rule. A duty with `any_of` is held with any one "
              "of its permissions, a duty with `all_of` only with all of them. The finding is at the grant "
              "that completed the combination (the latest by `granted_on`); the others are related "
              "locations. Every permission named must be in the catalog.",
        why="Some duties check each other: registering access and auditing it, creating a vendor and "
            "approving its payments, registering a switch and reading the other side's customers. Held "
            "together, one person can do and hide what the other duty exists to catch.",
        fix="Remove one side of the conflict from the person, or split the work between two people. A "
            "temporary cover arrangement can be a waiver with an expiry, approved by someone other than the "
            "grantee and the granter.",
        bad=Example(
            files={
                "policies/duties.yaml": EXAMPLE_POLICY,
                "assignments/corporate/E000004.yaml": """\
---
employee: E000004
grants:
  - permission: P005
    granted_by: E000004
    granted_on: 2026-01-05
    reason: "access administrator appointment, ticket ACC-00111"
  - permission: P006
    granted_by: E000004
    granted_on: 2026-02-02
    reason: "payroll audit, ticket ACC-00112"
    expires: 2026-03-31
"""},
            expect=(("assignments/corporate/E000004.yaml", 8),),
        ),
        good=Example(files={
            "policies/duties.yaml": EXAMPLE_POLICY,
            "assignments/corporate/E000004.yaml": """\
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
