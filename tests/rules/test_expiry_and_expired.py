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
