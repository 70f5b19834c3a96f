"""forbidden-owner: the unbundling boundary, with the join explained."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, pairs

F = "assignments/retail-sales/E000002.yaml"
TEXT = """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "ticket ACC-00101"
  - permission: P002
    granted_by: E000001
    granted_on: 2022-07-01
    reason: "ticket ACC-00108"
"""


def test_distribution_permission_to_sales_is_flagged_with_the_join(make_repo: Callable[..., Path]) -> None:
    code, doc = check_json(make_repo({F: TEXT}))
    assert code == 1
    # the sales manager could not grant a distribution permission either (granter-authority)
    assert pairs(doc) == {("distribution-to-retail-sales", F, 8), ("granter-authority", F, 8)}
    f = doc["findings"][0]
    assert f["message"] == (
        "P002 supply-points.read is owned by distribution (catalog.yaml:8); "
        "E000002 Ben Baker is in retail-sales (people.yaml:8); granted by E000001 on 2022-07-01")
    assert (f["employee"], f["permission"], f["severity"], f["column"]) == ("E000002", "P002", "error", 5)
    assert [(r["path"], r["line"]) for r in f["related"]] == [
        ("catalog.yaml", 8), ("people.yaml", 8), ("policies/unbundling.yaml", 3)]


def test_same_permission_to_a_distribution_employee_is_fine(make_repo: Callable[..., Path]) -> None:
    text = TEXT.replace("E000002", "E000005").replace("E000001", "E000003")
    people_extra = "- id: E000005\n  name: Eve Eriksen\n  division: distribution\n  manager: E000003\n"
    from permgate.rules.examples import BASE
    root = make_repo({"assignments/distribution/E000005.yaml": text, "people.yaml": BASE["people.yaml"] + people_extra})
    code, doc = check_json(root)
    assert (code, pairs(doc)) == (0, set())


def test_a_transfer_into_sales_makes_existing_grants_violations(make_repo: Callable[..., Path]) -> None:
    from permgate.rules.examples import BASE
    people = BASE["people.yaml"].replace(
        "- id: E000003\n  name: Chloe Castro\n  division: distribution",
        "- id: E000003\n  name: Chloe Castro\n  division: retail-sales")
    text = TEXT.replace("E000002", "E000003").replace("E000001", "E000004")
    path = "assignments/distribution/E000003.yaml"
    code, doc = check_json(make_repo({path: text, "people.yaml": people}))
    assert code == 1
    assert pairs(doc, "distribution-to-retail-sales") == {("distribution-to-retail-sales", path, 8)}
    # the file now sits in the wrong folder, and E000004 is not E000003's manager
    assert pairs(doc) - pairs(doc, "distribution-to-retail-sales") == {
        ("misplaced-file", path, 2), ("granter-authority", path, 4), ("granter-authority", path, 8)}


def test_several_owner_and_grantee_divisions(make_repo: Callable[..., Path]) -> None:
    policy = """\
rules:
  - id: grid-and-corporate-to-sales
    kind: forbidden-owner
    severity: warning
    summary: nothing owned by distribution or corporate for sales
    owner_divisions: [distribution, corporate]
    grantee_divisions: [retail-sales, marketing]
"""
    text = TEXT + "  - permission: P003\n    granted_by: E000001\n    granted_on: 2026-01-05\n"
    # granter-authority (an error: a sales manager granted protected permissions) is lowered here
    config = "severity:\n  granter-authority: warning\n  missing-justification: warning\n"
    code, doc = check_json(make_repo({F: text, "policies/unbundling.yaml": policy, "permgate.yaml": config}))
    assert code == 0  # warnings do not fail by default
    assert pairs(doc, "grid-and-corporate-to-sales") == {
        ("grid-and-corporate-to-sales", F, 8), ("grid-and-corporate-to-sales", F, 12)}


def test_the_second_grantee_and_the_second_owner_division_are_protected(make_repo: Callable[..., Path]) -> None:
    """Every listed division counts, not only the first: the grantee is in the second grantee division,
    the permission's owner is the second owner division."""
    policy = """\
rules:
  - id: grid-to-sales
    kind: forbidden-owner
    severity: error
    summary: nothing owned by distribution for sales
    owner_divisions: [corporate, distribution]
    grantee_divisions: [marketing, retail-sales]
"""
    code, doc = check_json(make_repo({F: TEXT, "policies/unbundling.yaml": policy}))
    assert code == 1
    assert pairs(doc, "grid-to-sales") == {("grid-to-sales", F, 8)}
    f = next(f for f in doc["findings"] if f["rule"] == "grid-to-sales")
    assert f["message"].startswith("P002 supply-points.read is owned by distribution (catalog.yaml:8); "
                                   "E000002 Ben Baker is in retail-sales (people.yaml:8)")
