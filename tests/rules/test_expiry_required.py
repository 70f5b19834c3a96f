from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def findings_of(doc: dict[str, Any], rule: str = "expiry-required") -> list[tuple[str, int, str]]:
    return sorted((f["path"], f["line"], f["message"]) for f in doc["findings"] if f["rule"] == rule)


def test_a_future_grant_is_counted_from_today_so_it_cannot_stretch_the_period(
        make_repo: Callable[..., Path]) -> None:
    # 180 days after its granted_on, but 514 days after today
    future = grants("E000002", ("P006", "E000001", "2027-01-01", "case ACC-2", "2027-06-30"))
    _, doc = check_json(make_repo({F: future}), "--today", "2026-02-01")
    assert findings_of(doc) == [(F, 4, "P006 payroll.read is sensitive (catalog.yaml:26); the grant to E000002 "
                                       "Ben Baker on 2027-01-01 expires 2027-06-30, later than 2026-07-31: at most "
                                       "180 days after today (granted_on is in the future)")]
    [finding] = [f for f in doc["findings"] if f["rule"] == "expiry-required"]
    assert [(r["path"], r["line"], r["message"]) for r in finding["related"]] == [
        ("catalog.yaml", 26, "P006 payroll.read is marked sensitive")]


def test_a_grant_dated_today_is_counted_from_its_granted_on(make_repo: Callable[..., Path]) -> None:
    today = grants("E000002", ("P006", "E000001", "2026-02-01", "case ACC-2"))
    _, doc = check_json(make_repo({F: today}), "--today", "2026-02-01")
    assert findings_of(doc) == [(F, 4, "P006 payroll.read is sensitive (catalog.yaml:26); the grant to E000002 "
                                       "Ben Baker on 2026-02-01 has no `expires`: at most 180 days after "
                                       "granted_on")]


def test_a_compliant_grant_does_not_end_the_check_of_the_ones_after_it(make_repo: Callable[..., Path]) -> None:
    files = {F: grants("E000002", ("P006", "E000001", "2026-01-01", "case ACC-1", "2026-03-01"),
                       ("P006", "E000001", "2026-01-10", "case ACC-2", "2026-12-31"))}
    _, doc = check_json(make_repo(files), "--today", "2026-02-01")
    assert [(p, line) for p, line, _ in findings_of(doc)] == [(F, 9)]
    assert findings_of(doc)[0][2].endswith("expires 2026-12-31, later than 2026-07-09: at most 180 days after "
                                           "granted_on")
