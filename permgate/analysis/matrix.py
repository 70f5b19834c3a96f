"""The access matrix: grants counted by grantee division and permission owner division.

A cell is *forbidden* when a ``forbidden-owner`` policy rule names its owner division
and its grantee division; any grant counted there is a boundary crossing.  Grants of
unknown employees or permissions land in an ``(unknown)`` row or column rather than
vanishing.

``access_matrix`` holds every grant of the workspace.  ``report --html`` shows a cell's count
and its first grants only, so a run over chunks of grants files (``engine/chunked.py``) builds
the matrix from each chunk's ``ChunkCells`` (``chunk_cells``: counts and the first ``limit``
grants of each cell) merged in file order (``merge_cells``): the same counts and the same first
grants as ``access_matrix`` (``tests/analysis/test_matrix.py``).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import chain

from permgate.model import EMPLOYEE_OF, PERMISSION_OF, Grant, Workspace

UNKNOWN = "(unknown)"

Key = tuple[str, str]  # (grantee division, owner division)


@dataclass(frozen=True)
class Matrix:
    rows: tuple[str, ...]  # grantee divisions
    columns: tuple[str, ...]  # permission owner divisions
    #: (row, column) -> grants, in file order: every grant (``access_matrix``) or the first ones
    #: (``merge_cells``); ``counts`` holds the whole count
    cells: Mapping[Key, tuple[Grant, ...]]
    forbidden: Mapping[Key, tuple[str, ...]]  # (row, column) -> ids of the rules forbidding it
    counts: Mapping[Key, int]

    def count(self, row: str, column: str) -> int:
        return self.counts.get((row, column), 0)


def _key(ws: Workspace, g: Grant) -> Key:
    person = ws.people.get(g.employee)
    perm = ws.catalog.get(g.permission)
    return (person.division if person else UNKNOWN, perm.owner_division if perm else UNKNOWN)


def _matrix(ws: Workspace, cells: dict[Key, tuple[Grant, ...]], counts: dict[Key, int]) -> Matrix:
    """The matrix of ``ws``'s people, catalog and policies with these cells."""
    forbidden: dict[Key, list[str]] = {}
    for rule in ws.policies:
        if rule.kind != "forbidden-owner":
            continue
        for grantee in rule.params.get("grantee_divisions", ()):
            for owner in rule.params.get("owner_divisions", ()):
                forbidden.setdefault((grantee, owner), []).append(rule.id)
    rows = {p.division for p in ws.people.values()} | {r for r, _ in counts} | {r for r, _ in forbidden}
    columns = {p.owner_division for p in ws.catalog.values()} | {c for _, c in counts} | {c for _, c in forbidden}

    def order(names: set[str]) -> tuple[str, ...]:
        return tuple(sorted(names, key=lambda n: (n == UNKNOWN, n)))

    return Matrix(order(rows), order(columns), cells, {k: tuple(v) for k, v in forbidden.items()}, counts)


def access_matrix(ws: Workspace) -> Matrix:
    """The matrix of every grant of ``ws``."""
    cells: dict[Key, list[Grant]] = {}
    for g in ws.iter_grants():
        cells.setdefault(_key(ws, g), []).append(g)
    return _matrix(ws, {k: tuple(v) for k, v in cells.items()}, {k: len(v) for k, v in cells.items()})


#: a chunk's part of the matrix: per cell, its count and its first grants (as plain tuples: they
#: cross a pipe), in file order
ChunkCells = dict[Key, tuple[int, list[tuple[object, ...]]]]


def chunk_cells(limit: int) -> functools.partial[ChunkCells]:
    """What each chunk of a split run works out for the matrix (``engine.chunked.Streaming.extra``)."""
    return functools.partial(_chunk_cells, limit=limit)


def _chunk_cells(ws: Workspace, limit: int) -> ChunkCells:
    """``access_matrix``'s cells of ``ws``, each cut at ``limit`` grants, with every count; the
    cell of each grant worked out by C code (one division look-up per employee and per permission)."""
    grants = list(ws.iter_grants())
    people, catalog = ws.people, ws.catalog
    division = {e: (p.division if (p := people.get(e)) else UNKNOWN) for e in set(map(EMPLOYEE_OF, grants))}
    owner = {i: (q.owner_division if (q := catalog.get(i)) else UNKNOWN) for i in set(map(PERMISSION_OF, grants))}
    keys = list(zip(map(division.__getitem__, map(EMPLOYEE_OF, grants)),
                    map(owner.__getitem__, map(PERMISSION_OF, grants)), strict=True))
    counts = Counter(keys)
    order = sorted(range(len(keys)), key=keys.__getitem__)  # stable: each cell's grants in file order
    out: ChunkCells = {}
    start = 0
    for key in sorted(counts):
        n = counts[key]
        out[key] = (n, [tuple(grants[i]) for i in order[start:start + min(n, limit)]])
        start += n
    return out


_make_grant = functools.partial(tuple.__new__, Grant)


def merge_cells(frame: Workspace, parts: Iterable[ChunkCells | None], limit: int) -> Matrix:
    """The matrix of the frame (people, catalog, policies) and of the chunks' ``parts``, given in
    file order: each cell's whole count and its first ``limit`` grants."""
    counts: dict[Key, int] = {}
    firsts: dict[Key, list[list[tuple[object, ...]]]] = {}
    for part in parts:
        for key, (n, grants) in (part or {}).items():
            have = min(counts.get(key, 0), limit)
            counts[key] = counts.get(key, 0) + n
            if have < limit:
                firsts.setdefault(key, []).append(grants[:limit - have])
    cells = {k: tuple(map(_make_grant, chain.from_iterable(v))) for k, v in firsts.items()}
    return _matrix(frame, cells, counts)
