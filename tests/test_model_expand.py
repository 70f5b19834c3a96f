"""``model.expand_file`` builds each effective grant with C (``tuple.__new__``) instead of
``Grant._replace``: the same grants, in the same order, of the same type."""

from __future__ import annotations

from hypothesis import given, settings

from permgate.model import Grant, GrantsFile, Workspace, expand_file, role_reach
from tests.analysis.test_impact_fast import workspaces


def _plain(gf: GrantsFile, ws: Workspace) -> GrantsFile:
    reach = role_reach(ws.roles)
    effective = [g for g in gf.grants if g.role is None]
    for rg in gf.role_grants:
        effective.extend(rg._replace(permission=r.permission) for r in reach.get(rg.role or "", ()))
    effective.sort(key=lambda g: g.line)
    return GrantsFile(gf.path, gf.employee, gf.employee_loc, tuple(effective), gf.role_grants)


@settings(max_examples=300, deadline=None)
@given(workspaces())
def test_expansion_by_c_equals_replace(ws: Workspace) -> None:
    reach = role_reach(ws.roles)
    for gf in ws.files:
        fast = expand_file(gf, reach)
        assert fast == _plain(gf, ws)
        assert all(type(g) is Grant for g in fast.grants)
        assert expand_file(fast, reach) == fast  # expanding again is the same
