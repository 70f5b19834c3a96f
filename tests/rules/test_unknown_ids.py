"""unknown-granter, unknown-employee, unknown-permission: the finding, its place and its words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import check_json
from tests.rules.helpers import grants

F = "assignments/retail-sales/E000002.yaml"


def findings_of(doc: dict[str, Any], rule: str) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["message"]) for f in doc["findings"] if f["rule"] == rule]


def test_an_unknown_granter_is_named_with_the_permission_and_the_grantee(make_repo: Callable[..., Path]) -> None:
    text = grants("E000002", ("P001", "E000001", "2026-01-05", "ACC-1"), ("P003", "E000404", "2026-01-06", "ACC-2"))
    _, doc = check_json(make_repo({F: text}))
    assert findings_of(doc, "unknown-granter") == [(
        F, 8, "granted_by E000404 is not in people.yaml; P003 hr.read granted to E000002 Ben Baker on 2026-01-06")]


def test_an_unknown_permission_is_named_with_the_grantee_and_the_granter(make_repo: Callable[..., Path]) -> None:
    text = grants("E000002", ("P001", "E000001", "2026-01-05", "ACC-1"), ("P404", "E000001", "2026-01-06", "ACC-2"))
    _, doc = check_json(make_repo({F: text}))
    assert findings_of(doc, "unknown-permission") == [(
        F, 8, "P404 is not in catalog.yaml; granted to E000002 Ben Baker by E000001 on 2026-01-06")]


def test_an_unknown_employee_is_reported_at_the_employee_key_with_the_count_of_grants(
        make_repo: Callable[..., Path]) -> None:
    path = "assignments/retail-sales/E000404.yaml"
    text = grants("E000404", ("P001", "E000001", "2026-01-05", "ACC-1"), ("P003", "E000001", "2026-01-06", "ACC-2"))
    _, doc = check_json(make_repo({path: text}))
    assert findings_of(doc, "unknown-employee") == [(
        path, 2, "E000404 is not in people.yaml; the 2 grant(s) in this file cannot be checked against a division")]
    [finding] = [f for f in doc["findings"] if f["rule"] == "unknown-employee"]
    assert (finding["column"], finding["employee"]) == (1, "E000404")
