from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import check_json
from tests.rules.helpers import grants, people

RULE = "stale-after-transfer"
PEOPLE = people(("E000001", "retail-sales", None), ("E000003", "distribution", None),
                ("E000002", "distribution", "E000003", {"division_since": "2026-03-01"}))
F = "assignments/distribution/E000002.yaml"


def stale(doc: dict[str, Any]) -> set[tuple[str, int, str]]:
    return {(f["path"], f["line"], f["severity"]) for f in doc["findings"] if f["rule"] == RULE}


def test_grants_before_division_since(make_repo: Callable[..., Path]) -> None:
    files = {"people.yaml": PEOPLE, F: grants(
        "E000002",
        ("P001", "E000001", "2026-02-28"),   # before the move, retail-owned: warning
        ("P002", "E000003", "2026-02-28"),   # before the move, distribution-owned (protected): error
        ("P002", "E000003", "2026-03-01"),   # on the day of the move: fine
    ), "assignments/retail-sales/E000002.yaml": ""}
    _, doc = check_json(make_repo(files))
    assert stale(doc) == {(F, 4, "warning"), (F, 8, "error")}


def test_configured_severity_wins(make_repo: Callable[..., Path]) -> None:
    files = {"people.yaml": PEOPLE, "permgate.yaml": "---\nseverity:\n  stale-after-transfer: note\n",
             F: grants("E000002", ("P002", "E000003", "2026-02-28")),
             "assignments/retail-sales/E000002.yaml": ""}
    _, doc = check_json(make_repo(files))
    assert stale(doc) == {(F, 4, "note")}
