"""The scope contract (permgate/rules/base.py, ``SCOPES``): an ``employee`` rule evaluated on any
employee-closed subset of the grants files gives exactly the full run's findings in those files.

The split check (permgate/engine/chunked.py) and ``--base`` rely on it.  Checked here for every built-in
rule and policy kind of that scope, on an organisation where each of them fires, several across
two files of one employee, over random employee-closed partitions; and shown to fail when a
partition is not closed.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permgate.config import Config, load_config
from permgate.engine import evaluation as engine
from permgate.findings import Finding
from permgate.load.workspace import load_workspace
from permgate.model import Workspace
from permgate.rules import BUILTIN_RULES, POLICY_KINDS
from tests.anomaly_org import TODAY, Planted, build

Key = tuple[str, str, int, int, str, str | None, str | None, str]


def _key(f: Finding) -> Key:
    return (f.rule, f.path, f.line, f.column, f.severity, f.employee, f.permission, f.message + repr(f.related))


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Config, Planted]:
    root = tmp_path_factory.mktemp("scope") / "org"
    planted = build(root)
    config = load_config(str(root))
    return load_workspace(str(root), config), config, planted


def _groups(ws: Workspace) -> list[tuple[list[str], list[int]]]:
    """The closed units a partition may move: each employee's files (and their problems), and
    each file that gave no grants file (its problems only), as (paths, indexes into ws.files)."""
    by_employee: dict[str, tuple[list[str], list[int]]] = defaultdict(lambda: ([], []))
    for i, f in enumerate(ws.files):
        paths, indexes = by_employee[f.employee]
        paths.append(f.path)
        indexes.append(i)
    parsed = {f.path for f in ws.files}
    loose = sorted({p.path for p in ws.problems} - parsed)
    return [*by_employee.values(), *(([p], []) for p in loose)]


def _part(ws: Workspace, groups: Sequence[tuple[list[str], list[int]]]) -> Workspace:
    indexes = sorted(i for _, ix in groups for i in ix)  # the files in the run's order
    paths = {p for ps, _ in groups for p in ps}
    return dataclasses.replace(ws, files=tuple(ws.files[i] for i in indexes),
                               problems=tuple(p for p in ws.problems if p.path in paths))


def _union(ws: Workspace, config: Config, assignment: Sequence[int]) -> list[Key]:
    groups = _groups(ws)
    parts: dict[int, list[tuple[list[str], list[int]]]] = defaultdict(list)
    for group, part in zip(groups, assignment, strict=True):
        parts[part].append(group)
    out: list[Key] = []
    for chosen in parts.values():
        out += map(_key, engine.employee_findings(_part(ws, chosen), config, TODAY))
    return sorted(out)


EMPLOYEE_RULES = sorted([r.id for r in BUILTIN_RULES if r.scope == "employee"])


def test_every_employee_scope_rule_fires_on_the_organisation(org: tuple[Workspace, Config, Planted]) -> None:
    ws, config, p = org
    found = {(f.rule, f.path, f.line) for f in engine.employee_findings(ws, config, TODAY)}
    rules = {r for r, _, _ in found}
    assert set(EMPLOYEE_RULES) <= rules
    kinds = {POLICY_KINDS[pol.kind].name for pol in ws.policies if pol.id in rules}
    assert kinds == {k.name for k in POLICY_KINDS.values() if k.scope == "employee"}
    # the cases that need both of a's files: a duplicate, both duties, a bulk grant
    assert ("duplicate-grant", p.a_main, 5) in found
    assert ("bulk-grant", p.a_extra, 2) in found
    assert ("no-first-with-last", p.a_extra, 60) in found
    assert ("misplaced-file", p.b_moved, 3) in found
    assert ("unknown-employee", p.unknown, 2) in found
    assert ("invalid-file", p.syntax, 2) in found
    assert ("invalid-file", p.d_bad, 6) in found
    assert ("distribution-to-retail-sales", p.d_bad, 8) in found
    assert ("unknown-role", p.d_bad, 12) in found
    assert ("distribution-to-retail-sales", p.c_second, 8) in found  # through the role's include


def test_the_employee_rules_are_the_split_ones() -> None:
    """Every rule is employee, change or waivers scoped; the split check knows all three."""
    scopes = {r.scope for r in BUILTIN_RULES} | {k.scope for k in POLICY_KINDS.values()}
    assert scopes <= set(engine.SPLIT_SCOPES)


@given(data=st.data())
def test_closed_partitions_give_the_full_run(org: tuple[Workspace, Config, Planted], data: st.DataObject) -> None:
    ws, config, _ = org
    full = sorted(map(_key, engine.employee_findings(ws, config, TODAY)))
    groups = _groups(ws)
    parts = data.draw(st.integers(1, 6), label="parts")
    assignment = data.draw(st.lists(st.integers(0, parts - 1), min_size=len(groups), max_size=len(groups)),
                           label="assignment")
    union = _union(ws, config, assignment)
    for rule in {k[0] for k in full} | {k[0] for k in union}:  # per rule, so a failure names it
        assert [k for k in union if k[0] == rule] == [k for k in full if k[0] == rule], rule


def test_a_partition_that_is_not_closed_differs(org: tuple[Workspace, Config, Planted]) -> None:
    """The property above can fail: a's two files apart lose what only both together show."""
    ws, config, p = org
    full = set(map(_key, engine.employee_findings(ws, config, TODAY)))
    apart = [i for i, f in enumerate(ws.files) if f.path == p.a_extra]
    rest = [i for i in range(len(ws.files)) if i not in apart]
    loose = sorted({q.path for q in ws.problems} - {f.path for f in ws.files})
    one = _part(ws, [([p.a_extra], apart)])
    other = _part(ws, [([ws.files[i].path for i in rest] + loose, rest)])
    split = set(map(_key, engine.employee_findings(one, config, TODAY) + engine.employee_findings(other, config,
                                                                                                  TODAY)))
    lost = {(k[0], k[1], k[2]) for k in full - split}
    assert {("duplicate-grant", p.a_main, 5), ("bulk-grant", p.a_extra, 2),
            ("no-first-with-last", p.a_extra, 60)} <= lost
