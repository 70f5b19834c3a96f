from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, pairs
from tests.rules.helpers import grants, settings

RULE = "privilege-management"
F = "assignments/retail-sales/E000002.yaml"
C = "assignments/corporate/E000004.yaml"


def test_only_named_functions_may_hold_grants_access_permissions(make_repo: Callable[..., Path]) -> None:
    files = {F: grants("E000002", ("P001", "E000001", "2026-01-05"), ("P005", "E000001", "2026-01-05")),
             C: grants("E000004", ("P005", "E000004", "2026-01-05"))}
    _, doc = check_json(make_repo(files))
    assert pairs(doc, RULE) == {(RULE, F, 8)}   # E000004 has function access-administration
    _, doc = check_json(make_repo({**files, **settings("  privilege-management:\n    functions: [it-security]\n")}))
    assert pairs(doc, RULE) == {(RULE, F, 8), (RULE, C, 4)}
