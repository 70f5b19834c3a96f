from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, pairs, run_cli
from tests.rules.helpers import grants, settings

RULE = "missing-justification"
F = "assignments/retail-sales/E000002.yaml"
NO_REASON = """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
"""


def test_reason_missing_or_without_ticket(make_repo: Callable[..., Path]) -> None:
    _, doc = check_json(make_repo({F: NO_REASON}))
    assert pairs(doc, RULE) == {(RULE, F, 4)}
    _, doc = check_json(make_repo({F: grants("E000002", ("P001", "E000001", "2026-01-05", "every item I can grant"),
                                             ("P006", "E000001", "2026-01-05", "see ticket HR-77", "2026-02-01"))}))
    assert pairs(doc, RULE) == {(RULE, F, 4)}


def test_pattern_is_a_setting(make_repo: Callable[..., Path]) -> None:
    files = {F: grants("E000002", ("P001", "E000001", "2026-01-05", "ticket HR-77")),
             **settings("  missing-justification:\n    pattern: \"\\\\bACC-[0-9]{5}\\\\b\"\n")}
    _, doc = check_json(make_repo(files))
    assert pairs(doc, RULE) == {(RULE, F, 4)}


def test_a_broken_pattern_is_a_configuration_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo(settings("  missing-justification:\n    pattern: \"ACC-[0-9\"\n"))
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: policies/settings.yaml:3:3: missing-justification: pattern is not")
