"""The always-on rules of issue 2: each flags exactly its pattern, at the grant's line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, pairs

F = "assignments/retail-sales/E000002.yaml"


def grants(*entries: tuple[str, str, str], employee: str = "E000002") -> str:
    out = f"---\nemployee: {employee}\ngrants:\n"
    for permission, granter, date in entries:
        out += (f"  - permission: {permission}\n    granted_by: {granter}\n    granted_on: {date}\n"
                '    reason: "ticket ACC-00001"\n')
    return out


def findings(make_repo: Callable[..., Path], text: str, path: str = F) -> set[tuple[str, str, int]]:
    _, doc = check_json(make_repo({path: text}))
    return pairs(doc)


def test_clean_base_org_has_no_findings(make_repo: Callable[..., Path]) -> None:
    code, doc = check_json(make_repo({}))
    assert code == 0
    assert doc["findings"] == []


def test_self_grant(make_repo: Callable[..., Path]) -> None:
    text = grants(("P001", "E000001", "2026-01-05"), ("P003", "E000002", "2026-01-06"))
    assert findings(make_repo, text) == {("self-grant", F, 8)}


def test_unknown_permission(make_repo: Callable[..., Path]) -> None:
    text = grants(("P001", "E000001", "2026-01-05"), ("P404", "E000001", "2026-01-06"))
    assert findings(make_repo, text) == {("unknown-permission", F, 8)}


def test_unknown_granter(make_repo: Callable[..., Path]) -> None:
    text = grants(("P003", "E000404", "2026-01-05"))
    assert findings(make_repo, text) == {("unknown-granter", F, 4)}


def test_unknown_employee_points_at_employee_line(make_repo: Callable[..., Path]) -> None:
    path = "assignments/retail-sales/E000404.yaml"
    text = grants(("P001", "E000001", "2026-01-05"), employee="E000404")
    assert findings(make_repo, text, path) == {("unknown-employee", path, 2)}


def test_duplicate_grant_flags_the_second_and_relates_the_first(make_repo: Callable[..., Path]) -> None:
    text = grants(("P001", "E000001", "2026-01-05"), ("P003", "E000001", "2026-01-05"),
                  ("P001", "E000001", "2026-02-01"))
    _, doc = check_json(make_repo({F: text}))
    assert pairs(doc) == {("duplicate-grant", F, 12)}
    assert doc["findings"][0]["related"] == [
        {"path": F, "line": 4, "column": 5, "message": "first grant of the same permission"}]


def test_duplicate_grant_across_two_files_of_one_employee(make_repo: Callable[..., Path]) -> None:
    other = "assignments/retail-sales/E000002-extra.yaml"
    root = make_repo({other: grants(("P001", "E000001", "2026-03-01"))})
    _, doc = check_json(root)
    assert pairs(doc, "duplicate-grant") in ({("duplicate-grant", F, 4)}, {("duplicate-grant", other, 4)})
    assert pairs(doc, "misplaced-file") == {("misplaced-file", other, 2)}  # not named after the employee


def test_retired_permission(make_repo: Callable[..., Path]) -> None:
    text = grants(("P001", "E000001", "2026-01-05"), ("P004", "E000001", "2026-01-05"))
    assert findings(make_repo, text) == {("retired-permission", F, 8)}


def test_severity_is_configuration(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        F: grants(("P001", "E000002", "2026-01-05")),
        "permgate.yaml": "severity:\n  self-grant: warning\n",
    })
    code, doc = check_json(root)
    assert code == 0
    assert [(f["rule"], f["severity"]) for f in doc["findings"]] == [("self-grant", "warning")]
    code, _ = check_json(root, "--fail-on", "warning")
    assert code == 1
