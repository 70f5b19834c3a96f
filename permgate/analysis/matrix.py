"""The access matrix: grants counted by grantee division and permission owner division.

A cell is *forbidden* when a ``forbidden-owner`` policy rule names its owner division
and its grantee division; any grant counted there is a boundary crossing.  Grants of
unknown employees or permissions land in an ``(unknown)`` row or column rather than
vanishing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from permgate.model import Grant, Workspace

UNKNOWN = "(unknown)"


@dataclass(frozen=True)
class Matrix:
    rows: tuple[str, ...]  # grantee divisions
    columns: tuple[str, ...]  # permission owner divisions
    cells: Mapping[tuple[str, str], tuple[Grant, ...]]  # (row, column) -> grants, in file order
    forbidden: Mapping[tuple[str, str], tuple[str, ...]]  # (row, column) -> ids of the rules forbidding it

    def count(self, row: str, column: str) -> int:
        return len(self.cells.get((row, column), ()))


def access_matrix(ws: Workspace) -> Matrix:
    cells: dict[tuple[str, str], list[Grant]] = {}
    for g in ws.iter_grants():
        person = ws.people.get(g.employee)
        perm = ws.catalog.get(g.permission)
        key = (person.division if person else UNKNOWN, perm.owner_division if perm else UNKNOWN)
        cells.setdefault(key, []).append(g)
    forbidden: dict[tuple[str, str], list[str]] = {}
    for rule in ws.policies:
        if rule.kind != "forbidden-owner":
            continue
        for grantee in rule.params.get("grantee_divisions", ()):
            for owner in rule.params.get("owner_divisions", ()):
                forbidden.setdefault((grantee, owner), []).append(rule.id)
    rows = {p.division for p in ws.people.values()} | {r for r, _ in cells} | {r for r, _ in forbidden}
    columns = {p.owner_division for p in ws.catalog.values()} | {c for _, c in cells} | {c for _, c in forbidden}

    def order(names: set[str]) -> tuple[str, ...]:
        return tuple(sorted(names, key=lambda n: (n == UNKNOWN, n)))

    return Matrix(order(rows), order(columns), {k: tuple(v) for k, v in cells.items()},
                  {k: tuple(v) for k, v in forbidden.items()})
