"""The incident replay's system export: item 83 ticked on the registration screen for a sales employee
that git never approved is found at its row, by ``undeclared-access`` and by the boundary rule."""

from __future__ import annotations

import json

from tests.conftest import PROJECT, run_cli

INCIDENT = PROJECT / "examples" / "incident-2023"


def test_item_83_registered_on_the_screen_is_found_at_its_row() -> None:
    export = INCIDENT / "system-export.csv"
    row = export.read_text(encoding="utf-8").splitlines().index("E000001,P083,2023-03-01,,,registration-screen") + 1
    result = run_cli("reconcile", "--root", str(INCIDENT), "--actual", str(export), "--format", "json",
                     "--today", "2023-03-28")
    doc = json.loads(result.stdout)
    at_row = {(f["rule"], f["permission"], f["employee"]) for f in doc["findings"]
              if f["path"] == "system-export.csv" and f["line"] == row}
    assert at_row == {("undeclared-access", "P083", "E000001"), ("distribution-to-retail-sales", "P083", "E000001")}
    assert not [f for f in doc["findings"] if f["rule"] in ("unprovisioned-grant", "invalid-export")]
    assert result.exit_code == 1
