from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, pairs
from tests.rules.helpers import grants, settings

F = "assignments/retail-sales/E000002.yaml"


def test_expiry_required_only_for_sensitive_permissions(make_repo: Callable[..., Path]) -> None:
    files = {F: grants("E000002",
                       ("P001", "E000001", "2026-01-05"),                      # not sensitive: fine
                       ("P006", "E000001", "2026-01-05", "case ACC-2"),        # sensitive, no expiry: line 8
                       )}
    _, doc = check_json(make_repo(files), "--today", "2026-02-01")
    assert pairs(doc, "expiry-required") == {("expiry-required", F, 8)}


def test_expiry_at_most_max_days_after_granted_on(make_repo: Callable[..., Path]) -> None:
    at_limit = grants("E000002", ("P006", "E000001", "2026-01-01", "case ACC-2", "2026-06-30"))  # 180 days
    _, doc = check_json(make_repo({F: at_limit}), "--today", "2026-02-01")
    assert pairs(doc, "expiry-required") == set()
    over = grants("E000002", ("P006", "E000001", "2026-01-01", "case ACC-2", "2026-07-01"))
    _, doc = check_json(make_repo({F: over}), "--today", "2026-02-01")
    assert pairs(doc, "expiry-required") == {("expiry-required", F, 4)}
    _, doc = check_json(make_repo({F: at_limit, **settings("  expiry-required:\n    max_days: 30\n")}),
                        "--today", "2026-02-01")
    assert pairs(doc, "expiry-required") == {("expiry-required", F, 4)}
