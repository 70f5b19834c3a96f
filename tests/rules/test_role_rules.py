"""The role rules judge roles.yaml where it is written, with no holder needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json
from tests.roles_org import ROLES, grants_file

TODAY = ("--today", "2026-06-01")


def _found(doc: dict, rule: str) -> list[tuple[str, int]]:
    return sorted((f["path"], f["line"]) for f in doc["findings"] if f["rule"] == rule)


def test_a_role_crossing_the_boundary_is_refused_with_no_holder(make_repo: Callable[..., Path]) -> None:
    code, doc = check_json(make_repo({"roles.yaml": ROLES}), *TODAY)
    assert code == 1
    # sales-standard (retail-sales) reaches P002 through grid-read: at the line of grid-read that lists it
    assert _found(doc, "role-crosses-boundary") == [("roles.yaml", 15)]
    [f] = [f for f in doc["findings"] if f["rule"] == "role-crosses-boundary"]
    assert ("roles.yaml", 11) in {(r["path"], r["line"]) for r in f["related"]}  # the include on the way
    assert f["permission"] == "P002" and f["employee"] is None


def test_include_cycles_are_refused_at_each_include(make_repo: Callable[..., Path]) -> None:
    roles = ROLES.replace("    permissions: [P001]\n", "    permissions: [P001]\n    includes: [sales-standard]\n", 1)
    code, doc = check_json(make_repo({"roles.yaml": roles}), *TODAY)
    assert code == 1
    assert _found(doc, "invalid-role") == [("roles.yaml", 6), ("roles.yaml", 12)]


def test_a_cycle_still_expands_what_each_role_lists(make_repo: Callable[..., Path]) -> None:
    roles = ROLES.replace("    permissions: [P001]\n", "    permissions: [P001]\n    includes: [sales-standard]\n", 1)
    files = {"roles.yaml": roles, "assignments/retail-sales/E000002.yaml": grants_file("E000002", "role:sales-base")}
    _, doc = check_json(make_repo(files), *TODAY)
    # sales-base -> sales-standard -> grid-read: P002 reaches the holder despite the cycle
    assert ("distribution-to-retail-sales", 4, "sales-base") in {
        (f["rule"], f["line"], f["role"]) for f in doc["findings"]}


def test_a_role_id_equal_to_a_permission_id_is_refused(make_repo: Callable[..., Path]) -> None:
    roles = ROLES.replace("id: sales-base", "id: P003").replace("includes: [sales-base, grid-read]",
                                                                 "includes: [P003, grid-read]")
    _, doc = check_json(make_repo({"roles.yaml": roles}), *TODAY)
    assert _found(doc, "invalid-role") == [("roles.yaml", 2)]


def test_unknown_members_are_refused_at_their_lines(make_repo: Callable[..., Path]) -> None:
    roles = ROLES.replace("permissions: [P001]", "permissions: [P001, P777]").replace(
        "includes: [sales-base, grid-read]", "includes: [sales-base, grid-reed]")
    _, doc = check_json(make_repo({"roles.yaml": roles}), *TODAY)
    assert _found(doc, "invalid-role") == [("roles.yaml", 5), ("roles.yaml", 11)]


def test_a_grant_of_an_unknown_role_is_flagged_at_its_line(make_repo: Callable[..., Path]) -> None:
    files = {"roles.yaml": ROLES,
             "assignments/retail-sales/E000002.yaml": grants_file("E000002", "P001", "role:sales-standrad")}
    _, doc = check_json(make_repo(files), *TODAY)
    assert _found(doc, "unknown-role") == [("assignments/retail-sales/E000002.yaml", 8)]


def test_a_role_grant_without_any_roles_file_is_flagged(make_repo: Callable[..., Path]) -> None:
    files = {"assignments/retail-sales/E000002.yaml": grants_file("E000002", "role:sales-standard")}
    code, doc = check_json(make_repo(files), *TODAY)
    assert code == 1 and _found(doc, "unknown-role") == [("assignments/retail-sales/E000002.yaml", 4)]
