"""The fast paths of the heaviest rules give exactly what the plain per-grant loops gave.

``missing-justification`` and ``granter-authority`` look people up once per file, memoise
verdicts and search a faster equivalent of the default ticket pattern.  The plain loops
they replaced are kept here as oracles and compared violation by violation (message,
location, related locations) on a generated organisation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from permgate.config import Config
from permgate.findings import Related, Violation
from permgate.load.access import read_access
from permgate.load.workspace import load_workspace
from permgate.model import Grant, Workspace
from permgate.rules import Context, expired_but_active, granter_authority, missing_justification
from permgate.rules.base import (
    grant_violation,
    permission_related,
    person_related,
    policy_related,
    settings_of,
    what,
    who,
)
from permgate.rules.forbidden_owner import protected_owners
from tests.conftest import gen_org

ALPHABET = "AZBC019-_ xé\n.(Ǆ"


@given(st.text(alphabet=ALPHABET, max_size=14))
def test_fast_default_pattern_matches_the_same_reasons(text: str) -> None:
    slow = re.compile(missing_justification.DEFAULT_PATTERN)
    fast = re.compile(missing_justification.FAST_DEFAULT_PATTERN)
    assert bool(fast.search(text)) == bool(slow.search(text))


def _missing_justification_oracle(ws: Workspace) -> Iterator[Violation]:
    text = settings_of(ws, "missing-justification").get("pattern", missing_justification.DEFAULT_PATTERN)
    pattern = re.compile(text)
    for g in ws.iter_grants():
        reason = g.reason.strip()
        if not reason:
            problem = "has no `reason`"
        elif not pattern.search(reason):
            problem = f"has a reason that names no ticket (`{text}`): \"{reason}\""
        else:
            continue
        yield grant_violation(g, f"the grant of {what(ws, g.permission)} to {who(ws, g.employee)} "
                                 f"by {g.granted_by} on {g.granted_on} {problem}")


def _granter_authority_oracle(ws: Workspace) -> Iterator[Violation]:
    protected = protected_owners(ws)
    delegates = granter_authority.delegations(ws)
    for g in ws.iter_grants():
        grantee = ws.people.get(g.employee)
        granter = ws.people.get(g.granted_by)
        if grantee is None or granter is None:
            continue
        reasons: list[str] = []
        related = []
        if g.granted_by != g.employee:
            chain = ws.management_chain(g.employee)
            if g.granted_by not in chain:
                allowed_people, allowed_divisions = delegates.get(g.granted_by, (frozenset(), frozenset()))
                if g.employee not in allowed_people and grantee.division not in allowed_divisions:
                    above = ", ".join(chain) if chain else "nobody (no manager)"
                    reasons.append(f"{granter.label} is not in the management chain of {grantee.label} "
                                   f"({above}) nor a delegate for them")
                    related.append(person_related(grantee, f"{grantee.label} reports to {grantee.manager}"
                                                  if grantee.manager else f"{grantee.label} has no manager"))
        perm = ws.catalog.get(g.permission)
        if perm is not None and perm.owner_division in protected and granter.division != perm.owner_division:
            rule = protected[perm.owner_division]
            reasons.append(f"{perm.label} is owned by {perm.owner_division} ({perm.loc}), protected by "
                           f"`{rule.id}`, but {granter.label} is in {granter.division} ({granter.loc})")
            related += [permission_related(ws, perm), person_related(granter), policy_related(rule)]
        if reasons:
            yield grant_violation(g, "; ".join(reasons) + f"; granted on {g.granted_on}", tuple(related))


def test_fast_rules_equal_the_plain_loops(tmp_path: Path) -> None:
    root = tmp_path / "org"
    gen_org(root, 300, 11, violations=30)
    # the shipped unbundling policy protects distribution: both halves of granter-authority fire;
    # and people who are not in the directory, on either side of a grant
    (root / "assignments" / "corporate" / "E999998.yaml").write_text(
        "---\nemployee: E999998\ngrants:\n"
        "  - permission: P001\n    granted_by: E000001\n    granted_on: 2022-01-05\n    reason: needed\n",
        encoding="utf-8")
    (root / "assignments" / "corporate" / "E000003.yaml").write_text(
        "---\nemployee: E000003\ngrants:\n"
        "  - permission: P001\n    granted_by: E999999\n    granted_on: 2022-01-05\n    reason: needed\n"
        "  - permission: P002\n    granted_by: E000002\n    granted_on: 2022-01-05\n    reason: ACC-1\n"
        "  - permission: P003\n    granted_by: E999999\n    granted_on: 2022-01-05\n    reason: ''\n",
        encoding="utf-8")
    ws = load_workspace(str(root))
    ctx = Context(today=dt.date(2023, 1, 1), policies=ws.policies)
    fast_mj = list(missing_justification.check(ws, ctx))
    fast_ga = list(granter_authority.check(ws, ctx))
    assert fast_mj and fast_ga
    assert {"E999998", "E000003"} <= {v.employee for v in fast_mj}
    assert fast_mj == list(_missing_justification_oracle(ws))
    assert fast_ga == list(_granter_authority_oracle(ws))
    assert any(len(v.related) > 1 for v in fast_ga)  # the owner half fired
    assert any(len(v.related) in (1, 4) and "management chain" in v.message for v in fast_ga)


def _expired_but_active_oracle(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    """The loop ``expired-but-active`` had: every held row's employee indexed, then each row looked up."""
    assert ctx.actual is not None
    today = ctx.today.isoformat()
    for employee, held in ctx.actual.held.items():
        mine = ws.grants_of(employee)
        if not mine:
            continue
        by_permission: dict[str, list[Grant]] = {}
        for g in mine:
            by_permission.setdefault(g.permission, []).append(g)
        for permission, row in held.items():
            grants = by_permission.get(permission)
            if not grants or any(g.expires is None or g.expires >= today for g in grants):
                continue
            last = max(grants, key=lambda g: g.expires or "")
            yield grant_violation(
                row, f"{what(ws, permission)} granted to {who(ws, employee)} expired on {last.expires} "
                f"(today is {today}) but the system of record still holds it",
                (Related(last.path, last.line, last.column, f"the grant, expired on {last.expires}"),))


def test_expired_but_active_looks_only_at_expired_grants_and_agrees(tmp_path: Path) -> None:
    root = tmp_path / "org"
    gen_org(root, 300, 12, violations=30)
    # the same permission granted twice to one employee: once expired, once expired later (the later
    # one is named), and a pair with one grant in force (not reported)
    (root / "assignments" / "corporate" / "E000003.yaml").write_text(
        "---\nemployee: E000003\ngrants:\n"
        "  - permission: P001\n    granted_by: E000001\n    granted_on: 2022-01-05\n    reason: ACC-1\n"
        "    expires: 2023-01-01\n"
        "  - permission: P001\n    granted_by: E000001\n    granted_on: 2022-01-05\n    reason: ACC-2\n"
        "    expires: 2024-01-01\n"
        "  - permission: P002\n    granted_by: E000001\n    granted_on: 2022-01-05\n    reason: ACC-3\n"
        "    expires: 2023-01-01\n"
        "  - permission: P002\n    granted_by: E000001\n    granted_on: 2022-01-05\n    reason: ACC-4\n",
        encoding="utf-8")
    ws = load_workspace(str(root))
    rows = ["employee,permission", *sorted({f"{g.employee},{g.permission}" for g in ws.iter_grants()})]
    rows.append("E999999,P001")  # held by nobody git knows
    (tmp_path / "access.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    actual = read_access(str(tmp_path / "access.csv"), "access.csv", Config())
    ctx = Context(today=dt.date(2026, 6, 1), policies=ws.policies, actual=actual)
    fast = sorted(expired_but_active.check(ws, ctx), key=lambda v: (v.path, v.line))
    assert len(fast) > 20 and ("access.csv", rows.index("E000003,P001") + 1) in {(v.path, v.line) for v in fast}
    assert "expired on 2024-01-01" in next(v.message for v in fast if v.employee == "E000003")
    assert all(v.permission != "P002" for v in fast if v.employee == "E000003")
    assert fast == sorted(_expired_but_active_oracle(ws, ctx), key=lambda v: (v.path, v.line))
