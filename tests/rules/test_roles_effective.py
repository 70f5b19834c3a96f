"""Every rule judges effective access: a role grant is judged as the permissions it reaches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, every_finding
from tests.roles_org import FILES, ROLES_CLEAN, grants_file

TODAY = ("--today", "2026-06-01")


def _by_rule(doc: dict, rule: str) -> list[dict]:
    # companions (issue 18: the other rules' findings on a grant crossing the boundary) count too
    return [f for f in every_finding(doc) if f["rule"] == rule]


def test_forbidden_permission_reached_through_an_include_is_flagged_at_the_role_grant(
        make_repo: Callable[..., Path]) -> None:
    code, doc = check_json(make_repo(FILES), *TODAY)
    assert code == 1
    [f] = _by_rule(doc, "distribution-to-retail-sales")
    assert (f["path"], f["line"], f["permission"], f["role"]) == \
        ("assignments/retail-sales/E000002.yaml", 8, "P002", "sales-standard")
    # the role chain: the include line in sales-standard, then the line of grid-read that lists P002
    assert [(r["path"], r["line"]) for r in f["related"] if r["path"] == "roles.yaml"] == \
        [("roles.yaml", 11), ("roles.yaml", 15)]
    assert "given through role sales-standard (roles.yaml:11)" in f["message"]


def test_direct_findings_carry_role_null(make_repo: Callable[..., Path]) -> None:
    files = {**FILES, "assignments/retail-sales/E000002.yaml": grants_file("E000002", "P002")}
    _, doc = check_json(make_repo(files), *TODAY)
    [f] = _by_rule(doc, "distribution-to-retail-sales")
    assert f["role"] is None and f["line"] == 4


def test_self_grant_and_granter_authority_through_a_role(make_repo: Callable[..., Path]) -> None:
    files = {**FILES, "assignments/retail-sales/E000002.yaml": grants_file("E000002", "role:sales-standard",
                                                                           granter="E000002")}
    _, doc = check_json(make_repo(files), *TODAY)
    assert {(f["permission"], f["line"], f["role"]) for f in _by_rule(doc, "self-grant")} == \
        {("P001", 4, "sales-standard"), ("P002", 4, "sales-standard"), ("P003", 4, "sales-standard")}


def test_a_clean_role_gives_no_finding(make_repo: Callable[..., Path]) -> None:
    files = {**FILES, "roles.yaml": ROLES_CLEAN,
             "assignments/retail-sales/E000002.yaml": grants_file("E000002", "role:sales-standard")}
    code, doc = check_json(make_repo(files), *TODAY)
    assert doc["findings"] == [] and code == 0


def test_separation_of_duties_across_a_role_and_a_direct_grant(make_repo: Callable[..., Path]) -> None:
    policy = """\
---
rules:
  - id: billing-vs-hr
    kind: separation-of-duties
    severity: error
    summary: No one both reads billing and HR
    duties:
      - name: billing
        any_of: [P001]
      - name: hr
        any_of: [P003]
"""
    roles = ROLES_CLEAN.replace("permissions: [P003]\n", "permissions: []\n")
    files = {**FILES, "roles.yaml": roles, "policies/sod.yaml": policy,
             "assignments/retail-sales/E000002.yaml": grants_file("E000002", "P003", "role:sales-standard")}
    _, doc = check_json(make_repo(files), *TODAY)
    assert [(f["line"], f["permission"]) for f in _by_rule(doc, "billing-vs-hr")] != []
    assert {f["line"] for f in _by_rule(doc, "billing-vs-hr")} <= {4, 8}


def test_a_waiver_of_the_permission_covers_it_through_a_role(make_repo: Callable[..., Path]) -> None:
    waivers = """\
---
waivers:
  - rule: expiry-required
    employee: E000002
    permission: P006
    reason: payroll audit support
    ticket: ACC-9
    approved_by: E000004
    approved_on: 2026-01-05
    expires: 2026-06-30
"""
    roles = ROLES_CLEAN + """\
  - id: payroll
    name: Payroll
    owner_division: corporate
    permissions: [P006]
"""
    files = {**FILES, "roles.yaml": roles, "policies/waivers.yaml": waivers,
             "assignments/retail-sales/E000002.yaml": grants_file("E000002", "role:payroll")}
    _, doc = check_json(make_repo(files), *TODAY)
    [f] = _by_rule(doc, "expiry-required")
    assert (f["line"], f["permission"], f["role"]) == (4, "P006", "payroll")
    assert f["waived"] is not None


def test_the_baseline_accepts_findings_through_roles_with_entries_of_rule_employee_permission(
        make_repo: Callable[..., Path]) -> None:
    from tests.conftest import run_cli

    root = make_repo(FILES)
    assert run_cli("baseline", "--root", str(root), "--today", "2026-06-01").exit_code == 0
    text = (root / "policies" / "baseline.yaml").read_text("utf-8")
    assert "- {rule: granter-authority, employee: E000002, permission: P002}" in text
    _, doc = check_json(root, *TODAY)
    # the boundary is not waivable, so no baseline accepts it (through a role or not)
    assert {f["rule"] for f in doc["findings"] if f["baselined"] is None} == {
        "role-crosses-boundary", "distribution-to-retail-sales"}
    assert {(f["rule"], f["role"]) for f in doc["findings"] if f["baselined"] is not None} == {
        ("granter-authority", "sales-standard"), ("duplicate-grant", "sales-standard")}
