"""permgate revoke: the chosen entries go, every other byte stays. Whole files are compared."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import run_cli

F2 = "assignments/retail-sales/E000002.yaml"
F4 = "assignments/corporate/E000004.yaml"

MESSY = """\
---
# grants held by Ben Baker
employee: E000002   # retail-sales
grants:

  # billing desk
  - permission: P001
    granted_by: 'E000001'
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"   # keep me

  # left over from the liaison pilot, ticket ACC-00999
  # (see the incident report)
  - permission: P002
    granted_by: E000001
    granted_on: 2026-01-05
    reason: >-
      liaison pilot,
      ticket ACC-00999
    # still needed? ask grid ops
    expires: 2027-01-01
  # trailing note about P003 below

  - {permission: P003, granted_by: E000001, granted_on: 2026-01-06, reason: "hr, ticket ACC-00102"}
# end of file comment
"""

MESSY_WITHOUT_P002 = """\
---
# grants held by Ben Baker
employee: E000002   # retail-sales
grants:

  # billing desk
  - permission: P001
    granted_by: 'E000001'
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"   # keep me

  # trailing note about P003 below

  - {permission: P003, granted_by: E000001, granted_on: 2026-01-06, reason: "hr, ticket ACC-00102"}
# end of file comment
"""


def test_removes_entry_with_attached_comments_and_keeps_every_other_byte(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F2: MESSY})
    result = run_cli("revoke", "P002", "--root", str(root))
    assert result.exit_code == 0, result.output
    assert (root / F2).read_text("utf-8") == MESSY_WITHOUT_P002
    out = result.stdout.splitlines()
    assert out[0] == (f"{F2}:12-21: removed P002 from E000002 Ben Baker (retail-sales), granted by E000001 "
                      "on 2026-01-05")
    assert out[1] == "    -  # left over from the liaison pilot, ticket ACC-00999"
    assert out[-1] == "removed 1 grant of P002 from 1 file"
    assert run_cli("check", "--root", str(root)).exit_code == 0


def test_crlf_and_no_final_newline_are_kept(make_repo: Callable[..., Path]) -> None:
    text = ("---\r\nemployee: E000002\r\ngrants:\r\n  - permission: P002\r\n    granted_by: E000001\r\n"
            "    granted_on: 2026-01-05\r\n    reason: \"x\"\r\n  - permission: P001\r\n    granted_by: E000001\r\n"
            "    granted_on: 2026-01-05\r\n    reason: \"y\"")
    root = make_repo({})
    (root / F2).write_bytes(text.encode())
    assert run_cli("revoke", "P002", "--root", str(root)).exit_code == 0
    assert (root / F2).read_bytes() == (
        b"---\r\nemployee: E000002\r\ngrants:\r\n  - permission: P001\r\n    granted_by: E000001\r\n"
        b"    granted_on: 2026-01-05\r\n    reason: \"y\"")


def test_the_last_entry_leaves_an_empty_list_and_indentless_lists_work(make_repo: Callable[..., Path]) -> None:
    text = "---\nemployee: E000002\ngrants:  # all of them\n- permission: P002\n  granted_by: E000001\n" \
           "  granted_on: 2026-01-05\n  reason: \"x\"\n"
    root = make_repo({F2: text})
    assert run_cli("revoke", "P002", "--root", str(root)).exit_code == 0
    assert (root / F2).read_text("utf-8") == "---\nemployee: E000002\ngrants: []  # all of them\n"
    assert run_cli("check", "--root", str(root)).exit_code == 0


def test_division_and_employee_filters_and_dry_run(make_repo: Callable[..., Path]) -> None:
    f4 = "---\nemployee: E000004\ngrants:\n  - permission: P002\n    granted_by: E000003\n" \
         "    granted_on: 2026-01-05\n    reason: \"x\"\n"
    f2 = "---\nemployee: E000002\ngrants:\n  - permission: P002\n    granted_by: E000001\n" \
         "    granted_on: 2026-01-05\n    reason: \"y\"\n"
    root = make_repo({F2: f2, F4: f4})
    before = {p: (root / p).read_bytes() for p in (F2, F4)}
    result = run_cli("revoke", "P002", "--root", str(root), "--division", "retail-sales", "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith(f"{F2}:4-7: would remove P002 from E000002 Ben Baker")
    assert result.stdout.splitlines()[-1] == "would remove 1 grant of P002 in retail-sales from 1 file"
    assert {p: (root / p).read_bytes() for p in (F2, F4)} == before
    result = run_cli("revoke", "P002", "--root", str(root), "--employee", "E000004")
    assert result.exit_code == 0
    assert (root / F4).read_text("utf-8") == "---\nemployee: E000004\ngrants: []\n"
    assert (root / F2).read_bytes() == before[F2]
    result = run_cli("revoke", "P002", "--root", str(root), "--division", "corporate")
    assert (result.exit_code, result.stdout) == (1, "no grant of P002 in corporate to remove\n")
    result = run_cli("revoke", "P999", "--root", str(root))
    assert result.exit_code == 2 and "P999" in result.stderr


def test_a_layout_it_cannot_edit_safely_stops_before_writing_anything(make_repo: Callable[..., Path]) -> None:
    flow = "---\nemployee: E000004\ngrants: [{permission: P002, granted_by: E000003, granted_on: 2026-01-05, " \
           "reason: \"x\"}]\n"
    f2 = "---\nemployee: E000002\ngrants:\n  - permission: P002\n    granted_by: E000001\n" \
         "    granted_on: 2026-01-05\n    reason: \"y\"\n"
    root = make_repo({F2: f2, F4: flow})
    result = run_cli("revoke", "P002", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {F4}:3:")
    assert (root / F2).read_text("utf-8") == f2 and (root / F4).read_text("utf-8") == flow


def test_writes_are_atomic_and_keep_the_mode(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F2: MESSY})
    os.chmod(root / F2, 0o640)
    assert run_cli("revoke", "P002", "--root", str(root)).exit_code == 0
    assert (root / F2).stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in (root / F2).parent.iterdir()) == ["E000002.yaml"]  # no temp file left


def test_incident_revoke_on_the_commit_before_removal_removes_exactly_the_five(
        incident_history: tuple[Path, list[tuple[str, str, str]]], tmp_path: Path) -> None:
    source, log = incident_history
    work = tmp_path / "work"
    shutil.copytree(source, work)

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=work, check=True, capture_output=True, text=True).stdout

    git("checkout", "-q", log[-2][0])
    result = run_cli("revoke", "P083", "--root", str(work), "--division", "retail-sales")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "removed 5 grants of P083 in retail-sales from 5 files"
    holders = ("E000007", "E000009", "E000010", "E000011", "E000012")
    changed = git("diff", "--name-only").split()
    assert changed == [f"assignments/retail-sales/{e}.yaml" for e in holders]
    # every file, whole: byte for byte the state of the removal commit of 2023-03-17
    for rel in git("ls-files", "assignments").split():
        assert (work / rel).read_bytes() == subprocess.run(
            ["git", "show", f"{log[-1][0]}:{rel}"], cwd=work, check=True, capture_output=True).stdout, rel
    for e in holders:
        before = git("show", f"{log[-2][0]}:assignments/retail-sales/{e}.yaml").splitlines(keepends=True)
        assert before[240] == "  - permission: P083\n"
        assert "".join(before[:240] + before[244:]) == (work / f"assignments/retail-sales/{e}.yaml").read_text("utf-8")


BULK = """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk, ticket ACC-00101"
    expires: 2026-03-01
  - permission: P002
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "liaison, ticket ACC-00102"
  - permission: P003
    granted_by: E000002
    granted_on: 2026-01-05
    reason: "hr, ticket ACC-00103"
    expires: 2027-03-01
"""


def test_revoke_expired_removes_only_grants_expired_at_today(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F2: BULK})
    dry = run_cli("revoke", "--expired", "--today", "2026-06-01", "--dry-run", "--root", str(root))
    assert dry.exit_code == 0, dry.output
    assert (root / F2).read_text("utf-8") == BULK
    result = run_cli("revoke", "--expired", "--today", "2026-06-01", "--root", str(root))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith(f"{F2}:4-8: removed P001 from E000002")
    assert "removed 1 grant (expired) from 1 file" in result.stdout
    text = (root / F2).read_text("utf-8")
    assert "P001" not in text and "P002" in text and "P003" in text


def test_revoke_rule_removes_every_grant_the_rule_flags_and_nothing_else(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F2: BULK})
    result = run_cli("revoke", "--rule", "self-grant", "--today", "2026-06-01", "--root", str(root))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith(f"{F2}:13-17: removed P003 from E000002")
    text = (root / F2).read_text("utf-8")
    assert "P003" not in text and "P001" in text and "P002" in text
    flags = run_cli("check", "--root", str(root), "--format", "json", "--today", "2026-06-01").stdout
    assert '"self-grant"' not in flags


def test_revoke_filters_narrow_each_other_and_one_is_needed(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F2: BULK})
    none = run_cli("revoke", "P002", "--expired", "--today", "2026-06-01", "--root", str(root))
    assert "no grant of P002 (expired) to remove" in none.stdout
    assert (root / F2).read_text("utf-8") == BULK
    bare = run_cli("revoke", "--root", str(root))
    assert bare.exit_code == 2 and "a PERMISSION, --expired or --rule RULE" in bare.output
    unknown = run_cli("revoke", "--rule", "no-such-rule", "--root", str(root))
    assert unknown.exit_code == 2 and "--rule no-such-rule: no such rule" in unknown.output
