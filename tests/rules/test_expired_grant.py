from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, pairs
from tests.rules.helpers import grants

F = "assignments/retail-sales/E000002.yaml"


def test_expired_grant_is_a_warning_from_the_day_after(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F: grants("E000002", ("P001", "E000001", "2026-01-05", "cover ACC-3", "2026-03-31"))})
    code, doc = check_json(root, "--today", "2026-03-31")
    assert pairs(doc, "expired-grant") == set()
    code, doc = check_json(root, "--today", "2026-04-01")
    assert pairs(doc, "expired-grant") == {("expired-grant", F, 4)}
    assert [f["severity"] for f in doc["findings"] if f["rule"] == "expired-grant"] == ["warning"]
    assert code == 0
    code, _ = check_json(root, "--today", "2026-04-01", "--fail-on", "warning")
    assert code == 1
