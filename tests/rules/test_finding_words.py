"""Each rule's finding in full: place, column, employee, message and related locations.

Mutation round 4 (docs/testing.md) found these rules' messages and related locations pinned by no
test: the rule tests assert (rule, path, line), the words are asserted here, one finding per case.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from permgate.rules.examples import build
from tests.conftest import check_json, every_finding
from tests.rules.helpers import grants, people, settings

F = "assignments/retail-sales/E000002.yaml"
TODAY = "2026-04-01"


def found(make_repo: Callable[..., Path], files: dict[str, str], rule: str) -> list[dict[str, Any]]:
    """The findings of ``rule``, each without the fields no rule here sets."""
    _, doc = check_json(make_repo(files), "--today", TODAY)
    out = []
    for f in every_finding(doc):
        if f["rule"] == rule:
            out.append({k: v for k, v in f.items() if k not in ("companions", "baselined", "waived", "role")})
    return sorted(out, key=lambda f: (f["path"], f["line"], f["column"]))


def rel(path: str, line: int, column: int, message: str) -> dict[str, Any]:
    return {"path": path, "line": line, "column": column, "message": message}


def finding(rule: str, path: str, line: int, column: int, employee: str | None, permission: str | None,
            message: str, related: list[dict[str, Any]], severity: str = "error") -> dict[str, Any]:
    return {"rule": rule, "path": path, "line": line, "column": column, "employee": employee,
            "permission": permission, "message": message, "related": related, "severity": severity}


def test_duplicate_grant_names_the_permission_the_holder_and_the_first_grant(
        make_repo: Callable[..., Path]) -> None:
    """A file settled by the shortcut (E000001's, one grant) before it does not end the check."""
    files = {F: grants("E000002", ("P001", "E000001", "2026-01-05"), ("P001", "E000001", "2026-01-06")),
             "assignments/retail-sales/E000001.yaml": grants("E000001", ("P001", "E000001", "2026-01-05"))}
    assert found(make_repo, files, "duplicate-grant") == [finding(
        "duplicate-grant", F, 8, 5, "E000002", "P001",
        f"P001 billing.read is granted to E000002 Ben Baker again (first at {F}:4)",
        [rel(F, 4, 5, "first grant of the same permission")])]
    unknown = {F: grants("E000002", ("P999", "E000001", "2026-01-05"), ("P999", "E000001", "2026-01-06"))}
    assert [f["message"] for f in found(make_repo, unknown, "duplicate-grant")] == [
        f"P999 is granted to E000002 Ben Baker again (first at {F}:4)"]  # an unknown id is named as written


def test_expired_grant_names_each_permission_and_each_holder(make_repo: Callable[..., Path]) -> None:
    """Two holders and a permission met twice: the names are looked up for each, never carried over."""
    c = "assignments/corporate/E000004.yaml"
    files = {c: grants("E000004", ("P003", "E000004", "2025-01-05", "ticket ACC-1", "2025-06-01")),
             F: grants("E000002", ("P001", "E000001", "2025-01-05", "ticket ACC-1", "2025-06-01"),
                       ("P003", "E000001", "2025-01-05", "ticket ACC-1", "2025-06-02"))}
    said = "(today is 2026-04-01); the entry should be removed"
    assert found(make_repo, files, "expired-grant") == [
        finding("expired-grant", c, 4, 5, "E000004", "P003",
                f"P003 hr.read granted to E000004 Dev Dubois expired on 2025-06-01 {said}", [], "warning"),
        finding("expired-grant", F, 4, 5, "E000002", "P001",
                f"P001 billing.read granted to E000002 Ben Baker expired on 2025-06-01 {said}", [], "warning"),
        finding("expired-grant", F, 9, 5, "E000002", "P003",
                f"P003 hr.read granted to E000002 Ben Baker expired on 2025-06-02 {said}", [], "warning")]


def test_invalid_file_keeps_the_loader_s_column_message_and_employee(make_repo: Callable[..., Path]) -> None:
    files = {F: "---\nemployee: E000002\ngrants:\n  - permission: [x]\n"}
    assert found(make_repo, files, "invalid-file") == [
        finding("invalid-file", F, 4, 5, "E000002", None, "grants[0]: missing required key `granted_by`", []),
        finding("invalid-file", F, 4, 17, "E000002", None,
                "grants[0].permission: expected a string, got a list (an id of letters, digits, '.', '_', ':' "
                "or '-', e.g. E000123 or P083)", [])]


def test_misplaced_file_under_a_configured_folder_with_a_trailing_slash(make_repo: Callable[..., Path]) -> None:
    files = {"permgate.yaml": "---\npaths:\n  assignments: grants-X/\n", F: "",
             "grants-X/corporate/E000002.yaml": grants("E000002", ("P001", "E000001", "2026-01-05")),
             "grants-X/retail-sales/E000001.yaml": grants("E000001", ("P001", "E000001", "2026-01-05")),
             "grants-X/x/E000078.yaml": grants("E000077", ("P001", "E000001", "2026-01-05"))}
    # a file where it belongs, between the two, does not end the check
    assert found(make_repo, files, "misplaced-file") == [
        finding("misplaced-file", "grants-X/corporate/E000002.yaml", 2, 1, "E000002", None,
                "this file sits in grants-X/corporate/ but E000002 Ben Baker is in retail-sales (people.yaml:8); "
                "move it to grants-X/retail-sales/E000002.yaml",
                [rel("people.yaml", 8, 3, "E000002 Ben Baker is in retail-sales")]),
        finding("misplaced-file", "grants-X/x/E000078.yaml", 2, 1, "E000077", None,
                "this file is named E000078.yaml but holds the grants of E000077; move it to E000077.yaml", [])]


def test_misplaced_file_when_the_grants_folder_is_the_root(make_repo: Callable[..., Path]) -> None:
    """``assignments: .``: every folder is a division folder, named without a prefix."""
    files = {"permgate.yaml": "---\npaths:\n  assignments: .\n", F: "",
             "retail-sales/E000002.yaml": grants("E000002", ("P001", "E000001", "2026-01-05")),
             "corporate/E000009.yaml": grants("E000002", ("P002", "E000001", "2026-01-05"))}
    assert found(make_repo, files, "misplaced-file") == [
        finding("misplaced-file", "corporate/E000009.yaml", 2, 1, "E000002", None,
                "this file is named E000009.yaml but holds the grants of E000002 and sits in corporate/ but "
                "E000002 Ben Baker is in retail-sales (people.yaml:8); move it to retail-sales/E000002.yaml",
                [rel("people.yaml", 8, 3, "E000002 Ben Baker is in retail-sales")])]


def test_privilege_management_says_the_holder_s_function_and_who_is_allowed(
        make_repo: Callable[..., Path]) -> None:
    grant = {F: grants("E000002", ("P005", "E000001", "2026-01-05"))}
    head = "P005 access-admin.register lets its holder register access for others (catalog.yaml:21); "
    marked = rel("catalog.yaml", 21, 3, "P005 access-admin.register is marked grants_access")
    sales = build({})["people.yaml"].replace("  manager: E000001\n", "  manager: E000001\n  function: sales\n")
    assert found(make_repo, {**grant, "people.yaml": sales}, "privilege-management") == [finding(
        "privilege-management", F, 4, 5, "E000002", "P005",
        head + "E000002 Ben Baker has function `sales` (people.yaml:8), allowed: access-administration",
        [marked, rel("people.yaml", 8, 3, "E000002 Ben Baker has function `sales`")])]
    two = settings("  privilege-management:\n    functions: [it-security, access-administration]\n")
    assert found(make_repo, {**grant, **two}, "privilege-management")[0]["message"] == (
        head + "E000002 Ben Baker has no function (people.yaml:8), allowed: it-security, access-administration")
    none = settings("  privilege-management:\n    functions: []\n")
    assert found(make_repo, {**grant, **none}, "privilege-management") == [finding(
        "privilege-management", F, 4, 5, "E000002", "P005",
        head + "E000002 Ben Baker has no function (people.yaml:8), allowed: nobody",
        [marked, rel("people.yaml", 8, 3, "E000002 Ben Baker has no function")])]


def test_retired_permission_names_the_catalog_line_the_holder_and_the_granter(
        make_repo: Callable[..., Path]) -> None:
    files = {F: grants("E000002", ("P004", "E000001", "2026-01-05"))}
    assert found(make_repo, files, "retired-permission") == [finding(
        "retired-permission", F, 4, 5, "E000002", "P004",
        "P004 legacy-liaison.read is retired (catalog.yaml:16) but still granted to E000002 Ben Baker by E000001 "
        "on 2026-01-05",
        [rel("catalog.yaml", 16, 3, "P004 legacy-liaison.read is marked retired")])]


def test_stale_after_transfer_is_worded_and_a_later_grant_does_not_end_the_check(
        make_repo: Callable[..., Path]) -> None:
    """Neither a grant after the move nor a file before it of someone who never moved ends the check."""
    d = "assignments/distribution/E000002.yaml"
    files = {"people.yaml": people(("E000001", "retail-sales", None), ("E000003", "distribution", None),
                                   ("E000002", "distribution", "E000003", {"division_since": "2026-03-01"})),
             "assignments/distribution/E000001.yaml": grants("E000001", ("P001", "E000001", "2026-01-05")),
             F: "", d: grants("E000002", ("P002", "E000003", "2026-03-05"), ("P001", "E000001", "2026-02-28"),
                              ("P002", "E000003", "2026-02-28"))}
    moved = ("before E000002 Person E000002 moved to distribution on 2026-03-01 (people.yaml:11); "
             "it needs re-approval")
    since = rel("people.yaml", 11, 3, "E000002 Person E000002 is in distribution since 2026-03-01")
    assert found(make_repo, files, "stale-after-transfer") == [
        finding("stale-after-transfer", d, 8, 5, "E000002", "P001",
                f"P001 billing.read was granted on 2026-02-28, {moved}", [since], "warning"),
        finding("stale-after-transfer", d, 12, 5, "E000002", "P002",
                f"P002 supply-points.read was granted on 2026-02-28, {moved}; distribution permissions are "
                "protected by `distribution-to-retail-sales`",
                [since, rel("catalog.yaml", 8, 3, "P002 supply-points.read is owned by distribution"),
                 rel("policies/unbundling.yaml", 3, 5, "rule distribution-to-retail-sales: Distribution-owned "
                     "permissions must not be granted to retail-sales employees")])]


def test_an_empty_missing_justification_section_keeps_the_default_pattern(make_repo: Callable[..., Path]) -> None:
    files = {F: grants("E000002", ("P001", "E000001", "2026-01-05", "because")),
             **settings("  missing-justification: {}\n")}
    assert found(make_repo, files, "missing-justification") == [finding(
        "missing-justification", F, 4, 5, "E000002", "P001",
        "the grant of P001 billing.read to E000002 Ben Baker by E000001 on 2026-01-05 has a reason that names no "
        "ticket (`\\b[A-Z][A-Z0-9]+-[0-9]+\\b`): \"because\"", [])]
