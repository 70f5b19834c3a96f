from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json
from tests.rules.helpers import grants

F = "assignments/retail-sales/E000002.yaml"


def test_a_self_grant_is_reported_at_its_entry_with_the_grantee_as_related(make_repo: Callable[..., Path]) -> None:
    text = grants("E000002", ("P001", "E000001", "2026-01-05", "ACC-1"), ("P003", "E000002", "2026-01-06", "ACC-2"))
    _, doc = check_json(make_repo({F: text}))
    [finding] = [f for f in doc["findings"] if f["rule"] == "self-grant"]
    assert (finding["path"], finding["line"], finding["column"], finding["employee"]) == (F, 8, 5, "E000002")
    assert finding["message"] == "E000002 Ben Baker granted P003 hr.read to themself on 2026-01-06"
    assert [(r["path"], r["line"]) for r in finding["related"]] == [("people.yaml", 8)]


def test_a_self_grant_by_someone_not_in_the_directory_has_no_related_location(
        make_repo: Callable[..., Path]) -> None:
    path = "assignments/retail-sales/E000404.yaml"
    _, doc = check_json(make_repo({path: grants("E000404", ("P001", "E000404", "2026-01-05", "ACC-1"))}))
    [finding] = [f for f in doc["findings"] if f["rule"] == "self-grant"]
    assert (finding["path"], finding["line"], finding["related"]) == (path, 4, [])
