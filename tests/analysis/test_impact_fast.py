"""``impact.changes`` compares the (employee, permission) pairs of both sides as sets and finds the ways
of holding only the pairs that differ; ``changes_plain`` reads the effective access of the whole of
both sides.  They must give the same list on random organisations that hold permissions directly and
through roles (includes, a role removed, a role re-added with other members, a pair held both ways),
with grants expired, expiring on the day and in force."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from permgate.analysis import impact
from permgate.model import Grant, GrantsFile, Loc, Person, Role, Workspace

PERMS = ["P1", "P2", "P3", "P4"]
ROLES = ["r1", "r2", "r3"]
EMPLOYEES = ["E1", "E2", "E3"]
TODAY = "2026-06-01"
EXPIRES = [None, "2026-05-31", TODAY, "2026-06-02"]  # expired, in force on its last day, in force


def _roles(draw: st.DrawFn) -> dict[str, Role]:
    out = {}
    for rid in ROLES:
        if draw(st.booleans()):
            perms = tuple(draw(st.lists(st.sampled_from(PERMS), max_size=3, unique=True)))
            later = [r for r in ROLES if r > rid]  # includes without a cycle
            includes = tuple(draw(st.lists(st.sampled_from(later), max_size=2, unique=True))) if later else ()
            out[rid] = Role(rid, rid, "retail-sales", "", perms, includes, Loc("roles.yaml", 1, 1))
    return out


def _files(draw: st.DrawFn) -> tuple[GrantsFile, ...]:
    files = []
    for e in EMPLOYEES:
        entries = draw(st.lists(st.sampled_from([*PERMS, *(f"role:{r}" for r in ROLES)]), max_size=5))
        grants, role_grants = [], []
        for line, entry in enumerate(entries, start=4):
            expires = draw(st.sampled_from(EXPIRES))
            if entry.startswith("role:"):
                role_grants.append(Grant(e, "", "E9", "2026-01-01", "r", expires, f"{e}.yaml", line, 5, entry[5:]))
            else:
                grants.append(Grant(e, entry, "E9", "2026-01-01", "r", expires, f"{e}.yaml", line, 5))
        files.append(GrantsFile(f"{e}.yaml", e, Loc(f"{e}.yaml", 1, 1), tuple(grants), tuple(role_grants)))
    return tuple(files)


@st.composite
def workspaces(draw: st.DrawFn) -> Workspace:
    people = {e: Person(e, e, draw(st.sampled_from(["retail-sales", "distribution"])), None, Loc("people.yaml", 1, 1))
              for e in EMPLOYEES}
    return Workspace(root=".", catalog_path="catalog.yaml", people_path="people.yaml", catalog={}, people=people,
                     files=_files(draw), policies=(), roles=_roles(draw))


@settings(max_examples=400, deadline=None)
@given(workspaces(), workspaces())
def test_changes_from_the_differing_pairs_equal_the_whole_comparison(head: Workspace, base: Workspace) -> None:
    assert impact.changes(head, base, TODAY) == impact.changes_plain(head, base, TODAY)


@settings(max_examples=100, deadline=None)
@given(workspaces())
def test_a_side_against_itself_changes_nothing(ws: Workspace) -> None:
    assert impact.changes(ws, ws, TODAY) == impact.changes_plain(ws, ws, TODAY) == []
