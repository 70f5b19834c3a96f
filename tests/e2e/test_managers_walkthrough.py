"""docs/managers.md, replayed: a transferred-in employee gets access through grantable and grant."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import PROJECT, run_cli

T = ("--today", "2026-11-27", "--on", "2026-11-27")
DOC = (PROJECT / "docs" / "managers.md").read_text("utf-8")


def test_walkthrough(tmp_path: Path) -> None:
    root = tmp_path / "grants"
    root.mkdir()
    for name in ("catalog.yaml", "people.yaml", "roles.yaml"):
        shutil.copy(PROJECT / name, root / name)
    for folder in ("assignments", "policies"):
        shutil.copytree(PROJECT / folder, root / folder)
    people = (root / "people.yaml").read_text("utf-8")
    before = "- id: E000012\n  name: Sven Ito\n  division: corporate\n  manager: E000003\n  function: finance\n"
    after = ("- id: E000012\n  name: Sven Ito\n  division: retail-sales\n  manager: E000004\n"
             "  division_since: 2026-11-01\n  function: sales\n")
    assert before in people and after in DOC
    (root / "people.yaml").write_text(people.replace(before, after), encoding="utf-8")

    check = run_cli("check", "--root", str(root), "--today", "2026-11-27")
    assert check.exit_code == 1
    assert check.stdout.splitlines()[0] in DOC  # misplaced-file
    moved = root / "assignments" / "retail-sales" / "E000012.yaml"
    (root / "assignments" / "corporate" / "E000012.yaml").rename(moved)
    for p in ("P013", "P015"):
        assert run_cli("revoke", p, "--employee", "E000012", "--root", str(root)).exit_code == 0

    listing = run_cli("grantable", "E000012", "--root", str(root), "--today", "2026-11-27").stdout.splitlines()
    elided = ("  P008", "  P009", "  P010", "  P011")  # excluded like P007; the page shows "..."
    for line in listing:
        if not line.startswith(("      ", *elided)):
            assert line in DOC, line

    args = ("--by", "E000004", "--root", str(root), *T)
    reason = "transfer to the billing desk, ticket ACC-03020"
    dry = run_cli("grant", "E000012", "P001", "P003", "P015", "--reason", reason, "--dry-run", *args)
    assert dry.exit_code == 0 and all(line in DOC for line in dry.stdout.splitlines())
    assert run_cli("grant", "E000012", "P001", "P003", "P015", "--reason", reason, *args).exit_code == 0
    assert run_cli("grant", "E000012", "P012", "--reason", "payroll queries, ticket ACC-03021",
                   "--expires", "2027-05-26", *args).exit_code == 0
    refused = run_cli("grant", "E000006", "P008", "--reason", "switching desk needs meter data, ticket ACC-03011",
                      *args)
    assert refused.exit_code == 1 and all(line in DOC for line in refused.stdout.splitlines())
    final = run_cli("check", "--root", str(root), "--today", "2026-11-27")
    assert final.exit_code == 0 and final.stdout.splitlines()[-1] in DOC
    assert run_cli("fmt", "--check", "--root", str(root)).stdout.splitlines()[-1] in DOC
