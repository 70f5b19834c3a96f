"""One grants file -> ``GrantsFile`` plus the problems that become ``invalid-file`` findings.

This is the hot path of a large run (one call per employee).  A file that does not
parse gives no grants; a file that parses but breaks the schema still contributes the
grant entries that are themselves valid, so one typo does not hide a cross-boundary
grant two entries further down.
"""

from __future__ import annotations

from permgate.errors import LoadError
from permgate.load import canonical
from permgate.load.source import Source
from permgate.load.yamldoc import decode, parse
from permgate.model import Grant, GrantsFile, LoadProblem, Loc

Loaded = tuple[GrantsFile | None, list[LoadProblem]]


def load_grants_file(source: Source, rel: str, max_bytes: int, fast: bool = True) -> Loaded:
    """Read and load one grants file (``fast``: try the canonical-layout recogniser first)."""
    try:
        data = source.read_bytes(rel, max_bytes)
    except LoadError as err:
        return None, [LoadProblem(rel, err.line, err.column, err.detail)]
    return load_grants_bytes(data, rel, fast)


def load_grants_bytes(data: bytes, rel: str, fast: bool = True) -> Loaded:
    """Load a grants file from its content: the fast path when it accepts, else the full path."""
    try:
        text = decode(data, rel)
    except LoadError as err:
        return None, [LoadProblem(rel, err.line, err.column, err.detail)]
    return grants_from_text(text, rel, fast)


def grants_from_text(text: str, rel: str, fast: bool = True) -> Loaded:
    """Like ``load_grants_file`` for text already in memory (``permgate grant`` judges a file before writing it)."""
    if fast:
        gf = canonical.grants_file(text, rel)
        if gf is not None:
            return gf, []
    return load_grants_text(text, rel)


def load_grants_text(text: str, rel: str) -> Loaded:
    """The full strict path: YAML events with positions, then the JSON Schema."""
    from permgate.load.schemas import validate  # jsonschema is slow to import; most runs never need it

    try:
        doc = parse(text, rel)
    except LoadError as err:
        return None, [LoadProblem(rel, err.line, err.column, err.detail)]
    if doc.empty:
        return None, [LoadProblem(rel, 1, 1, "file is empty; a grants file needs `employee:` and `grants:`")]
    schema_problems = validate(doc, "grants")
    data = doc.data
    employee = data.get("employee") if isinstance(data, dict) else None
    employee = employee if isinstance(employee, str) else None
    problems = [LoadProblem(rel, p.line, p.column, p.message, employee) for p in schema_problems]
    bad_items: set[int] = set()
    whole_file_bad = False
    for p in schema_problems:
        if len(p.path) >= 2 and p.path[0] == "grants" and isinstance(p.path[1], int):
            bad_items.add(p.path[1])
        else:
            whole_file_bad = True
    if whole_file_bad or employee is None:
        return None, problems
    grants: list[Grant] = []
    role_grants: list[Grant] = []
    for index, item in enumerate(data["grants"]):
        if index in bad_items:
            continue
        line, column = doc.position(("grants", index))
        role = item.get("role")
        (grants if role is None else role_grants).append(Grant(
            employee=employee,
            permission=item.get("permission", ""),
            granted_by=item["granted_by"],
            granted_on=item["granted_on"],
            reason=item.get("reason", ""),
            expires=item.get("expires"),
            path=rel,
            line=line,
            column=column,
            role=role,
        ))
    line, column = doc.position(("employee",))
    key_line, key_column = doc.key_positions.get(("employee",), (line, column))
    return GrantsFile(rel, employee, Loc(rel, key_line, key_column), tuple(grants), tuple(role_grants)), problems
