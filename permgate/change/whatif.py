"""What-if evaluation: the findings a proposed change would add to a workspace.

``permgate grant`` and ``permgate grantable`` do not know any rule: they build a
workspace with the proposed grants in it (at the file and line where they would be
written), run the engine on it and on the workspace as it is, and keep only what the
change introduces.  Every rule, present or future, applies to a proposal automatically.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable

from permgate.change.changeset import ChangeSet
from permgate.change.compare import split_new
from permgate.config import Config
from permgate.findings import Finding
from permgate.model import Change, Grant, GrantsFile, LoadProblem, Loc, Workspace

#: how the base of a proposal is named in messages of rules that judge a change
PROPOSAL_BASE = "the repository before this grant"


def restrict(ws: Workspace, employees: Collection[str]) -> Workspace:
    """``ws`` with only the grants files (and their problems) of ``employees``."""
    files = tuple(f for f in ws.files if f.employee in employees)
    paths = {f.path for f in files}
    problems = tuple(p for p in ws.problems if p.path in paths or p.employee in employees)
    return dataclasses.replace(ws, files=files, problems=problems)


def with_file(ws: Workspace, path: str, gf: GrantsFile | None, problems: Iterable[LoadProblem] = ()) -> Workspace:
    """``ws`` with the grants file at ``path`` replaced (or added) by ``gf`` and its problems."""
    files = [f for f in ws.files if f.path != path]
    if gf is not None:
        files.append(gf)
    files.sort(key=lambda f: f.path)
    kept = [p for p in ws.problems if p.path != path]
    return dataclasses.replace(ws, files=tuple(files), problems=(*kept, *problems))


def with_grant(ws: Workspace, gf: GrantsFile | None, path: str, employee: str, grant: Grant) -> Workspace:
    """``ws`` with ``grant`` added to ``gf`` (or to a new file at ``path``) without re-reading text.

    Entries below the new one move down by the lines the new entry takes, as they would
    in the written file.
    """
    new, new_roles = ((), (grant,)) if grant.role is not None else ((grant,), ())
    if gf is None:  # a new file in the canonical layout: `employee:` on line 3
        return with_file(ws, path, GrantsFile(path, employee, Loc(path, 3, 1), new, new_roles))
    height = 5 if grant.expires else 4
    # direct grants and role entries below the new one move down (the workspace expands the roles again)
    moved = tuple(g._replace(line=g.line + height) if g.line >= grant.line else g
                  for g in gf.grants if g.role is None)
    roles = tuple(g._replace(line=g.line + height) if g.line >= grant.line else g for g in gf.role_grants)
    return with_file(ws, gf.path, dataclasses.replace(gf, grants=(*moved, *new), role_grants=(*roles, *new_roles)))


def proposal(ws: Workspace, config: Config, path: str, existed: bool) -> ChangeSet:
    """The proposal as a change to one grants file, so that rules judging a change (as in
    ``check --base``: ``bulk-grant``'s ``max_added``...) judge it too, with ``ws`` as the base."""
    change = Change("M", path, path) if existed else Change("A", None, path)
    return ChangeSet(base_ref=PROPOSAL_BASE, base_commit="", changes=(change,), base_config=config,
                     head_config=config, base_policies=ws.policies, head_policies=ws.policies)


def role_insertion_line(gf: GrantsFile | None, role: str) -> int:
    """Where ``- role:`` of a new role entry would go in a file in the canonical layout (after every
    permission entry, by role id)."""
    if gf is None or not (gf.grants or gf.role_grants):
        return 5
    after = [g for g in gf.role_grants if (g.role or "") > role]
    if after:
        return min(g.line for g in after)
    entries = [*(g for g in gf.grants if g.role is None), *gf.role_grants]
    last = max(entries, key=lambda g: g.line)
    return last.line + (5 if last.expires else 4)


def insertion_line(gf: GrantsFile | None, permission: str) -> int:
    """Where ``- permission:`` of a new grant would go in a file in the canonical layout."""
    if gf is None or not gf.grants:
        return 5
    after = [g for g in gf.grants if g.permission > permission]
    if after:
        return min(g.line for g in after)
    last = max(gf.grants, key=lambda g: g.line)
    return last.line + (5 if last.expires else 4)


def introduced(before: Iterable[Finding], after: Iterable[Finding],
               new_locations: Collection[tuple[str, int]] = ()) -> list[Finding]:
    """The findings of ``after`` that ``before`` does not have, by the key ``check --base`` uses
    (``compare.finding_key``, the proposal's files counted as changed); where a key occurs in
    both, only the surplus is new, findings at ``new_locations`` (the proposed lines) first."""
    paths = frozenset(path for path, _line in new_locations)
    return split_new(list(after), list(before), paths, prefer_new=frozenset(new_locations))[0]


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that stop a grant: errors that no waiver covers."""
    return [f for f in findings if f.severity == "error" and f.waived is None]
