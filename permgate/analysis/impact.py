"""Blast radius of a change: who gains and who loses which effective permission, and through what.

Effective access is what every rule judges: direct grants, and each role entry expanded through
``includes`` (``model.expand_file``).  A pair (employee, permission) held at the head and not at
the base is ``gained``; the reverse ``lost``.  ``via`` says how it is (or was) held: ``direct``, or
``role:ID`` (the role granted); several ways are listed in order, direct first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from permgate.model import Workspace

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


def effective_access(ws: Workspace) -> dict[tuple[str, str], tuple[str, ...]]:
    """(employee, permission) -> the ways it is held (``direct`` first, then ``role:ID`` sorted)."""
    out: dict[tuple[str, str], set[str]] = {}
    for g in ws.iter_grants():
        out.setdefault((g.employee, g.permission), set()).add("direct" if g.role is None else f"role:{g.role}")
    return {k: tuple(sorted(v, key=lambda w: (w != "direct", w))) for k, v in out.items()}


def changes(head: Workspace, base: Workspace) -> list[AccessChange]:
    after, before = effective_access(head), effective_access(base)
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
