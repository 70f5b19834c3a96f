"""``permgate reconcile``: the system of record's export against the grants repository (docs/reconcile.md).

Each test is the situation as it happens: access registered on the screen that git never granted,
a revocation merged in git and never applied (a real git repository, the revoking commit named),
an expired grant still active, a grant never provisioned, unreadable rows, and a boundary
violation that exists only in the system.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from permgate.rules.examples import BASE
from tests.conftest import run_cli
from tests.git_helpers import commit_all, git, init_repo

TODAY = "2026-06-01"
HEADER = "employee,permission,granted_on,granted_by,last_used,source\n"
HELD = "E000002,P001,2026-01-05,E000001,2026-05-30,screen\n"


def reconcile(root: Path, export: Path | str, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("reconcile", "--root", str(root), "--actual", str(export), "--format", "json",
                     "--today", TODAY, *extra)
    return result.exit_code, json.loads(result.stdout)


def found(doc: dict[str, Any]) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["path"], f["line"]) for f in doc["findings"]}


def by_rule(doc: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["rule"] == rule]


def test_access_registered_outside_git_is_undeclared(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"access.csv": HEADER + HELD + "E000002,P003,2026-02-01,E000001,,screen\n"})
    code, doc = reconcile(root, root / "access.csv")
    assert found(doc) == {("undeclared-access", "access.csv", 3)}
    [f] = by_rule(doc, "undeclared-access")
    assert f["employee"] == "E000002" and f["permission"] == "P003" and f["column"] == 2
    assert "registered outside git" in f["message"]
    assert code == 1


def test_an_export_in_agreement_with_git_is_clean(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"access.csv": HEADER + HELD})
    code, doc = reconcile(root, root / "access.csv")
    assert doc["findings"] == [] and code == 0
    assert doc["summary"]["actual"] == {"path": "access.csv", "rows": 1}


def test_a_revocation_merged_in_git_but_never_applied_names_the_commit(make_repo: Callable[..., Path]) -> None:
    grants = BASE["assignments/retail-sales/E000002.yaml"] + """\
  - permission: P003
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "hr cover, ticket ACC-00102"
"""
    root = make_repo({"assignments/retail-sales/E000002.yaml": grants})
    init_repo(root)
    (root / "assignments/retail-sales/E000002.yaml").write_text(BASE["assignments/retail-sales/E000002.yaml"])
    revoking = commit_all(root, "revoke P003 from E000002")
    git(root, "commit", "-q", "--allow-empty", "-m", "later work")
    export = root.parent / "system.csv"  # outside the root: shown as given
    export.write_text(HEADER + HELD + "E000002,P003,2026-01-05,E000001,,screen\n")
    code, doc = reconcile(root, export)
    assert found(doc) == {("undeclared-access", str(export), 3)}
    [f] = by_rule(doc, "undeclared-access")
    date = git(root, "show", "-s", "--format=%cs", revoking).strip()
    assert f"git revoked it on {date} in commit {revoking[:12]} (assignments/retail-sales/E000002.yaml)" \
        in f["message"]
    assert "a revocation never applied" in f["message"]
    assert code == 1


def test_rev_compares_an_older_revision(make_repo: Callable[..., Path]) -> None:
    root = make_repo({})
    first = init_repo(root)
    (root / "assignments/retail-sales/E000002.yaml").unlink()
    commit_all(root, "E000002 leaves")
    export = root.parent / "system.csv"
    export.write_text(HEADER + HELD)
    _, now = reconcile(root, export)
    _, then = reconcile(root, export, "--rev", first)
    assert found(now) == {("undeclared-access", str(export), 2)}
    assert "revoked it on" in by_rule(now, "undeclared-access")[0]["message"]
    assert found(then) == set()


def test_an_expired_grant_still_active_in_the_system(make_repo: Callable[..., Path]) -> None:
    expired = BASE["assignments/retail-sales/E000002.yaml"] + "    expires: 2026-03-31\n"
    root = make_repo({"assignments/retail-sales/E000002.yaml": expired, "access.csv": HEADER + HELD})
    _, doc = reconcile(root, root / "access.csv")
    assert found(doc) == {("expired-but-active", "access.csv", 2)}
    [f] = by_rule(doc, "expired-but-active")
    assert f["related"][0]["path"] == "assignments/retail-sales/E000002.yaml"
    assert f["related"][0]["line"] == 4


def test_a_grant_merged_but_never_provisioned(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"access.csv": HEADER})
    code, doc = reconcile(root, root / "access.csv")
    assert found(doc) == {("unprovisioned-grant", "assignments/retail-sales/E000002.yaml", 4)}
    assert by_rule(doc, "unprovisioned-grant")[0]["severity"] == "warning"
    assert code == 0
    code, _ = reconcile(root, root / "access.csv", "--fail-on", "warning")
    assert code == 1


def test_an_expired_grant_absent_from_the_system_is_not_unprovisioned(make_repo: Callable[..., Path]) -> None:
    expired = BASE["assignments/retail-sales/E000002.yaml"] + "    expires: 2026-03-31\n"
    root = make_repo({"assignments/retail-sales/E000002.yaml": expired, "access.csv": HEADER})
    _, doc = reconcile(root, root / "access.csv")
    assert found(doc) == set()


def test_unused_access_is_a_note_after_the_configured_days(make_repo: Callable[..., Path]) -> None:
    stale = "E000002,P001,2026-01-05,E000001,2026-02-01,screen\n"  # 120 days before TODAY
    root = make_repo({"access.csv": HEADER + stale})
    _, doc = reconcile(root, root / "access.csv")
    assert found(doc) == {("unused-grant", "access.csv", 2)}
    assert by_rule(doc, "unused-grant")[0]["severity"] == "note"
    (root / "policies/settings.yaml").write_text("---\nsettings:\n  unused-grant:\n    days: 120\n")
    _, doc = reconcile(root, root / "access.csv")
    assert found(doc) == set()


def test_a_boundary_violation_that_exists_only_in_the_system(make_repo: Callable[..., Path]) -> None:
    """git is clean; the registration screen gave a sales employee a distribution permission."""
    root = make_repo({"access.csv": HEADER + HELD + "E000002,P002,2026-02-01,,,screen\n"})
    assert json.loads(run_cli("check", "--root", str(root), "--format", "json", "--today", TODAY)
                      .stdout)["findings"] == []
    _, doc = reconcile(root, root / "access.csv")
    assert found(doc) == {("undeclared-access", "access.csv", 3), ("distribution-to-retail-sales", "access.csv", 3)}
    [f] = by_rule(doc, "distribution-to-retail-sales")
    assert f["severity"] == "error" and f["employee"] == "E000002" and f["permission"] == "P002"
    assert {(r["path"], r["line"]) for r in f["related"]} >= {("catalog.yaml", 8), ("people.yaml", 8)}


def test_malformed_rows_are_each_located_and_the_others_still_judged(make_repo: Callable[..., Path]) -> None:
    rows = [
        HEADER.rstrip("\n"),
        "E000002,P001,2026-01-05,E000001,,screen",     # 2 fine
        "E000002,P003,2026-13-01,E000001,,screen",     # 3 not a date (field 3)
        "E000002,P006",                                # 4 too few fields
        "E000002,bad id,2026-01-05,E000001,,screen",   # 5 not an id (field 2)
        'E000002,"P00"5,2026-01-05,E000001,,screen',   # 6 broken quoting
        "E000002,P001,2026-01-05,E000001,,screen",     # 7 listed twice
        "E000002,P00\x005,2026-01-05,E000001,,screen",  # 8 NUL byte (byte 12 of the line)
        "E000002,P002,2026-01-05,E000001,,screen",     # 9 fine: still judged
        "E000002,P003,2026-02-01,E000001,2026-02-31,x",  # 10 not a real date (field 5)
    ]
    data = ("\n".join(rows) + "\n").encode() + b"\xffE000002,P006,,,,\n"  # 11 not UTF-8
    root = make_repo({})
    (root / "access.csv").write_bytes(data)
    code, doc = reconcile(root, root / "access.csv")
    invalid = {(f["line"], f["column"]) for f in by_rule(doc, "invalid-export")}
    assert invalid == {(3, 3), (4, 3), (5, 2), (6, 1), (7, 2), (8, 12), (10, 5), (11, 1)}
    assert ("undeclared-access", "access.csv", 9) in found(doc)
    assert ("distribution-to-retail-sales", "access.csv", 9) in found(doc)
    assert code == 1


def test_a_bom_is_skipped_and_columns_are_mapped_in_config(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"permgate.yaml": "reconcile:\n  columns:\n    employee: user_id\n    permission: item\n"})
    (root / "access.csv").write_bytes(b"\xef\xbb\xbfuser_id,item\nE000002,P001\nE000002,P003\n")
    _, doc = reconcile(root, root / "access.csv")
    assert found(doc) == {("undeclared-access", "access.csv", 3)}


def test_json_lines_are_read_like_csv(make_repo: Callable[..., Path]) -> None:
    lines = ['{"employee": "E000002", "permission": "P001", "last_used": null}',
             '{"employee": "E000002", "permission": "P003"}',
             '{"employee": "E000002", "permission": 3}',
             '{"employee": "E000002", "permission": "P006", "permission": "P005"}',
             '{"employee": "E000002", "perm": "P006"}',
             '["E000002", "P006"]',
             '{"employee": "E000002", "permission": "P0']
    root = make_repo({"access.jsonl": "\n".join(lines) + "\n"})
    _, doc = reconcile(root, root / "access.jsonl")
    assert found(doc) == {("undeclared-access", "access.jsonl", 2)} | {
        ("invalid-export", "access.jsonl", n) for n in (3, 4, 5, 6, 7)}


def test_an_export_that_cannot_be_read_at_all_is_an_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({})
    cases = {
        b"": "access.csv:1:1: the export is empty",
        b"employee,role\n": "access.csv:1:2: column `role` is not a field of the export",
        b"employee,source\nE1,x\n": "access.csv:1:1: the header has no `permission` column",
        b"employee,permission,employee\n": "access.csv:1:3: column `employee` appears twice",
        "employee,permission\n".encode("utf-16"): "access.csv:1:1: the export is UTF-16 or UTF-32",
    }
    for data, error in cases.items():
        (root / "access.csv").write_bytes(data)
        result = run_cli("reconcile", "--root", str(root), "--actual", str(root / "access.csv"))
        assert result.exit_code == 2, data
        assert result.stderr.startswith(f"Error: {error}"), result.stderr
    result = run_cli("reconcile", "--root", str(root), "--actual", str(root / "missing.csv"))
    assert result.exit_code == 2 and result.stderr.startswith("Error: missing.csv:1:1: cannot read the export")


def test_an_export_over_the_size_cap_is_refused(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"permgate.yaml": "reconcile:\n  max_file_bytes: 1024\n"})
    (root / "access.csv").write_text(HEADER + HELD * 30)
    result = run_cli("reconcile", "--root", str(root), "--actual", str(root / "access.csv"))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: access.csv:1:1: the export is ")
    assert "over the limit of 1024" in result.stderr


def test_a_column_mapped_onto_another_field_is_a_config_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"permgate.yaml": "reconcile:\n  columns:\n    employee: permission\n",
                      "access.csv": HEADER})
    result = run_cli("reconcile", "--root", str(root), "--actual", str(root / "access.csv"))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: permgate.yaml:3:15: reconcile.columns.employee: column `permission`")


def test_text_and_sarif_formats_render_the_findings(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"access.csv": HEADER + HELD + "E000002,P003,2026-02-01,E000001,,screen\n"})
    text = run_cli("reconcile", "--root", str(root), "--actual", str(root / "access.csv"), "--today", TODAY)
    assert text.stdout.startswith("access.csv:3:2: error[undeclared-access] P003 hr.read is held by E000002")
    sarif = run_cli("reconcile", "--root", str(root), "--actual", str(root / "access.csv"), "--format", "sarif",
                    "--today", TODAY)
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["undeclared-access"]
