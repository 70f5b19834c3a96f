"""grant-depends-on-gate-change: the related lines name the people entries a verdict rests on.

Real git repositories, the change committed on a branch, ``check --base main`` through the CLI
(survivors of mutation round 3, docs/testing.md).  Each change also edits an unrelated person,
so a finding that named every changed entry (instead of the ones the grant's verdict reads)
would show.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from permgate.rules.examples import BASE, build
from tests.conftest import run_cli
from tests.git_helpers import commit_change, init_repo, write_files

F2 = "assignments/retail-sales/E000002.yaml"
PEOPLE = BASE["people.yaml"]
GATE = "grant-depends-on-gate-change"
# an edit no verdict of E000002's grants reads
UNRELATED = ("Chloe Castro", "Chloe Castro-Lee")


def grant(permission: str, by: str) -> str:
    return (f"  - permission: {permission}\n    granted_by: {by}\n    granted_on: 2026-01-05\n"
            "    reason: \"desk cover, ticket ACC-00120\"\n")


def gate_findings(tmp_path: Path, people: str, added: str) -> list[dict[str, Any]]:
    root = tmp_path / "grants"
    init_repo(root, build({}))
    write_files(root, {"people.yaml": people.replace(*UNRELATED), F2: BASE[F2] + added})
    commit_change(root)
    result = run_cli("check", "--root", str(root), "--base", "main", "--format", "json", "--today", "2026-02-01")
    assert result.exit_code == 1, result.output
    return [f for f in json.loads(result.stdout)["findings"] if f["rule"] == GATE]


def test_a_function_given_with_the_grant_is_named_from_none(tmp_path: Path) -> None:
    people = PEOPLE.replace("  manager: E000001\n", "  manager: E000001\n  function: access-administration\n")
    (found,) = gate_findings(tmp_path, people, grant("P005", by="E000001"))
    assert (found["path"], found["line"], found["column"]) == (F2, 8, 5)
    assert found["message"] == (
        "P005 granted to E000002 would break `privilege-management` under the catalog and people directory at "
        "main; it is allowed only because this change edits people.yaml:8")
    assert found["related"] == [{"path": "people.yaml", "line": 8, "column": 3,
                                 "message": "E000002 Ben Baker changes function (none) -> access-administration"}]


def test_a_manager_given_to_the_grantee_s_manager_is_found_up_the_chain(tmp_path: Path) -> None:
    """E000004 becomes the manager of E000002's manager, and grants to E000002: the line that
    makes the granter an authority is E000001's, found up the grantee's chain."""
    people = PEOPLE.replace("  name: Ada Abbott\n  division: retail-sales\n  manager: null",
                            "  name: Ada Abbott\n  division: retail-sales\n  manager: E000004")
    (found,) = gate_findings(tmp_path, people, grant("P003", by="E000004"))
    assert (found["path"], found["line"], found["column"]) == (F2, 8, 5)
    assert found["message"] == (
        "P003 granted to E000002 would break `granter-authority` under the catalog and people directory at "
        "main; it is allowed only because this change edits people.yaml:4")
    assert found["related"] == [{"path": "people.yaml", "line": 4, "column": 3,
                                 "message": "E000001 Ada Abbott changes manager (none) -> E000004"}]


def test_a_transfer_date_moved_back_with_a_back_dated_grant_is_named(tmp_path: Path) -> None:
    """E000002 moved into retail sales on 2026-01-01; the change adds a grant dated 2025-06-05
    (before the move: stale-after-transfer at the base) and moves division_since back to 2025-01-01,
    which alone would make the grant look current (found by mutation round 3, docs/testing.md)."""
    moved = "  division: retail-sales\n  manager: E000001\n"
    base_people = PEOPLE.replace(moved, moved + "  division_since: 2026-01-01\n")
    root = tmp_path / "grants"
    init_repo(root, {**build({}), "people.yaml": base_people})
    added = ("  - permission: P003\n    granted_by: E000001\n    granted_on: 2025-06-05\n"
             "    reason: \"desk cover, ticket ACC-00120\"\n")
    write_files(root, {"people.yaml": base_people.replace("division_since: 2026-01-01", "division_since: 2025-01-01"),
                       F2: BASE[F2] + added})
    commit_change(root)
    result = run_cli("check", "--root", str(root), "--base", "main", "--format", "json", "--today", "2026-02-01")
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == GATE]
    assert [(f["path"], f["line"]) for f in found] == [(F2, 8)], result.output
    assert "`stale-after-transfer`" in found[0]["message"]
    assert found[0]["related"] == [{"path": "people.yaml", "line": 8, "column": 3,
                                    "message": "E000002 Ben Baker changes division_since 2026-01-01 -> 2025-01-01"}]
