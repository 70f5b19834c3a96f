"""Blast radius of a change: who gains and who loses which effective permission, and through what.

Effective access is what every rule judges: direct grants, and each role entry expanded through
``includes`` (``model.expand_file``), in force on ``today`` (an expired grant gives no access;
one expiring today still does, as ``expired-grant`` judges).  A pair (employee, permission) held at
the head and not at the base is ``gained``; the reverse ``lost``.  ``mass-change`` counts the same
pairs (``model.held``).  ``via`` says how it is (or was) held: ``direct``, or
``role:ID`` (the role granted); several ways are listed in order, direct first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import compress
from typing import Any

from permgate.model import EMPLOYEE_OF, PERMISSION_OF, Workspace, held, in_force

VERSION = 1


@dataclass(frozen=True)
class AccessChange:
    employee: str
    permission: str
    change: str  # gained | lost
    via: tuple[str, ...]
    division: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"employee": self.employee, "permission": self.permission, "change": self.change,
                "via": self.via[0], "all_via": list(self.via), "division": self.division}


def effective_access(ws: Workspace, today: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """(employee, permission) -> the ways it is held on ``today`` (``direct`` first, then ``role:ID`` sorted)."""
    out: dict[tuple[str, str], set[str]] = {}
    for g in in_force(ws, today):
        out.setdefault((g.employee, g.permission), set()).add("direct" if g.role is None else f"role:{g.role}")
    return {k: tuple(sorted(v, key=lambda w: (w != "direct", w))) for k, v in out.items()}


def _access_of(ws: Workspace, today: str, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, ...]]:
    """``effective_access(ws, today)`` restricted to ``pairs``: only the grants of those pairs are read."""
    if not pairs:
        return {}
    grants = in_force(ws, today)
    wanted = map(pairs.__contains__, zip(map(EMPLOYEE_OF, grants), map(PERMISSION_OF, grants), strict=True))
    out: dict[tuple[str, str], set[str]] = {}
    for g in compress(grants, wanted):
        out.setdefault((g.employee, g.permission), set()).add("direct" if g.role is None else f"role:{g.role}")
    return {k: tuple(sorted(v, key=lambda w: (w != "direct", w))) for k, v in out.items()}


def changes(head: Workspace, base: Workspace, today: str) -> list[AccessChange]:
    """Every pair gained or lost by ``today``, sorted by permission, change and employee.  The pairs
    held on each side are compared as sets, and the ways of holding one (``effective_access``) are
    found only for those that differ (the whole of both sides: ``changes_plain``,
    ``tests/analysis/test_impact_fast.py``)."""
    after_pairs, before_pairs = held(head, today), held(base, today)
    after = _access_of(head, today, after_pairs - before_pairs)
    before = _access_of(base, today, before_pairs - after_pairs)
    return _listed(head, base, after, before)


def changes_plain(head: Workspace, base: Workspace, today: str) -> list[AccessChange]:
    """``changes`` from the effective access of the whole of both sides."""
    return _listed(head, base, effective_access(head, today), effective_access(base, today))


def _listed(head: Workspace, base: Workspace, after: Mapping[tuple[str, str], tuple[str, ...]],
            before: Mapping[tuple[str, str], tuple[str, ...]]) -> list[AccessChange]:
    out: list[AccessChange] = []
    for (employee, permission), via in after.items():
        if (employee, permission) not in before:
            person = head.people.get(employee)
            out.append(AccessChange(employee, permission, "gained", via, person.division if person else None))
    for (employee, permission), via in before.items():
        if (employee, permission) not in after:
            person = base.people.get(employee)
            out.append(AccessChange(employee, permission, "lost", via, person.division if person else None))
    out.sort(key=lambda c: (c.permission, c.change, c.employee))
    return out


def summary(found: list[AccessChange]) -> dict[str, Any]:
    by_permission: dict[str, Counter[str]] = {}
    by_division: dict[str, Counter[str]] = {}
    for c in found:
        by_permission.setdefault(c.permission, Counter())[c.change] += 1
        by_division.setdefault(c.division or "(unknown)", Counter())[c.change] += 1

    def counts(table: Mapping[str, Counter[str]]) -> dict[str, dict[str, int]]:
        return {k: {"gained": v["gained"], "lost": v["lost"]} for k, v in sorted(table.items())}

    return {
        "gained": sum(1 for c in found if c.change == "gained"),
        "lost": sum(1 for c in found if c.change == "lost"),
        "employees_gaining": len({c.employee for c in found if c.change == "gained"}),
        "employees_losing": len({c.employee for c in found if c.change == "lost"}),
        "by_permission": counts(by_permission),
        "by_division": counts(by_division),
    }
