"""Waivers: in force, expired, invalid, unused; always with a fixed --today."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import check_json, pairs, run_cli

F = "assignments/retail-sales/E000002.yaml"
W = "policies/waivers.yaml"
SELF_GRANT = """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000002
    granted_on: 2026-04-27
    reason: "billing desk cover, ticket ACC-00149"
  - permission: P002
    granted_by: E000001
    granted_on: 2026-04-27
    reason: "liaison, ticket ACC-00151"
"""


def waiver(rule: str = "self-grant", permission: str | None = "P001", approver: str = "E000001",
           approved_on: str = "2026-05-01", expires: str = "2026-07-31", employee: str = "E000002") -> str:
    perm = f"    permission: {permission}\n" if permission else ""
    return (f"  - rule: {rule}\n    employee: {employee}\n{perm}    reason: \"cover\"\n    ticket: ACC-00150\n"
            f"    approved_by: {approver}\n    approved_on: {approved_on}\n    expires: {expires}\n")


def run(make_repo: Callable[..., Path], *entries: str, today: str = "2026-06-01") -> tuple[int, dict[str, Any]]:
    root = make_repo({F: SELF_GRANT, W: "---\nwaivers:\n" + "".join(entries)})
    return check_json(root, "--today", today)


def finding(doc: dict[str, Any], rule: str) -> dict[str, Any]:
    found = [f for f in doc["findings"] if f["rule"] == rule]
    assert len(found) == 1, found
    return found[0]


def test_a_waiver_in_force_is_shown_waived_and_counted_apart(make_repo: Callable[..., Path]) -> None:
    code, doc = run(make_repo, waiver())
    f = finding(doc, "self-grant")
    assert (f["path"], f["line"]) == (F, 4)
    assert f["waived"] == {"approved_by": "E000001", "expires": "2026-07-31", "ticket": "ACC-00150",
                           "reason": "cover", "path": W, "line": 3, "column": 5}
    assert doc["summary"]["waived"] == 1
    # the distribution grant is not waivable and still fails the run
    assert finding(doc, "distribution-to-retail-sales")["waived"] is None
    assert code == 1


def test_waived_findings_do_not_fail_the_run_and_text_shows_them(make_repo: Callable[..., Path]) -> None:
    text = SELF_GRANT.split("  - permission: P002")[0]
    root = make_repo({F: text, W: "---\nwaivers:\n" + waiver()})
    result = run_cli("check", "--root", str(root), "--today", "2026-07-31")   # the last day of the waiver
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{F}:4:5: waived error[self-grant] E000002 Ben Baker granted P001 billing.read to themself on 2026-04-27 "
        f"(waived by E000001 until 2026-07-31, ticket ACC-00150, {W}:3)",
        "0 errors, 0 warnings, 0 notes, 1 waived in 1 grants file (1 grant)",
    ]


def test_an_expired_waiver_brings_the_finding_back_with_a_note(make_repo: Callable[..., Path]) -> None:
    code, doc = run(make_repo, waiver(), today="2026-08-01")
    f = finding(doc, "self-grant")
    assert f["waived"] is None
    assert f["message"].endswith(f"(waiver expired on 2026-07-31 ({W}:3))")
    assert {"path": W, "line": 3, "column": 5, "message": f"waiver expired on 2026-07-31 ({W}:3)"} in f["related"]
    assert pairs(doc, "waiver-unused") == set() and doc["summary"]["waived"] == 0
    assert code == 1


def test_invalid_waivers(make_repo: Callable[..., Path]) -> None:
    code, doc = run(
        make_repo,
        waiver(rule="distribution-to-retail-sales", permission="P002"),           # line 3: not waivable
        waiver(approver="E000002"),                                               # line 11: the grantee
        waiver(rule="distribution-to-retail-sales", permission="P002",
               approver="E000003"),                                               # line 19: not waivable
        waiver(rule="expired-grant", permission="P002", approver="E000001"),      # line 27: the granter
        waiver(expires="2026-11-01"),                                             # line 35: 184 days
        waiver(rule="no-such-rule"),                                              # line 43: unknown rule
        waiver(approver="E000099"),                                               # line 51: unknown approver
    )
    assert pairs(doc, "waiver-invalid") == {("waiver-invalid", W, n) for n in (3, 11, 19, 27, 35, 43, 51)}
    messages = {f["line"]: f["message"] for f in doc["findings"] if f["rule"] == "waiver-invalid"}
    assert "rule `distribution-to-retail-sales` is not waivable" in messages[3]
    assert "approved_by E000002 is the grantee" in messages[11]
    assert "approved_by E000001 granted it" in messages[27]
    assert "more than 180 days after approved_on 2026-05-01 (at most 2026-10-28)" in messages[35]
    assert "rule `no-such-rule` does not exist" in messages[43]
    assert "approved_by E000099 is not in people.yaml" in messages[51]
    # nothing was waived
    assert finding(doc, "self-grant")["waived"] is None and doc["summary"]["waived"] == 0
    assert code == 1


def test_max_days_is_a_setting(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F: SELF_GRANT, W: "---\nwaivers:\n" + waiver(expires="2026-11-01"),
                      "policies/settings.yaml": "---\nsettings:\n  waivers:\n    max_days: 200\n"})
    _, doc = check_json(root, "--today", "2026-06-01")
    assert pairs(doc, "waiver-invalid") == set()
    assert finding(doc, "self-grant")["waived"] is not None


def test_unused_and_repeated_waivers(make_repo: Callable[..., Path]) -> None:
    _, doc = run(make_repo, waiver(), waiver(permission="P003"), waiver(),
                 waiver(permission=None, approver="E000004"))
    assert pairs(doc, "waiver-unused") == {("waiver-unused", W, n) for n in (11, 19, 27)}
    messages = {f["line"]: f["message"] for f in doc["findings"] if f["rule"] == "waiver-unused"}
    assert messages[11] == "waiver `self-grant` for E000002 / P003 matches no finding; remove it from the register"
    assert messages[19].endswith("repeats the waiver at line 3; remove it from the register")
    assert all(f["severity"] == "warning" for f in doc["findings"] if f["rule"] == "waiver-unused")


def test_a_waiver_without_permission_covers_person_level_findings(make_repo: Callable[..., Path]) -> None:
    misplaced = "assignments/corporate/E000002.yaml"
    root = make_repo({F: "", misplaced: SELF_GRANT.split("  - permission: P002")[0],
                      W: "---\nwaivers:\n" + waiver(rule="misplaced-file", permission=None, approver="E000004")
                      + waiver(approver="E000004")})
    _, doc = check_json(root, "--today", "2026-06-01")
    assert finding(doc, "misplaced-file")["waived"]["approved_by"] == "E000004"
    assert finding(doc, "self-grant")["waived"] is not None
    assert pairs(doc, "waiver-unused") == set()


def test_an_unusable_register_stops_the_run(make_repo: Callable[..., Path]) -> None:
    root = make_repo({W: "---\nwaivers:\n  - rule: self-grant\n    employee: E000002\n"})
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {W}:3:5: waivers[0]: missing required key")


def test_the_register_is_not_read_as_a_policy_nor_the_tests_folder(make_repo: Callable[..., Path]) -> None:
    root = make_repo({W: "---\nwaivers: []\n", "policies/tests/unbundling.yaml": "---\ntests: nonsense\n"})
    code, doc = check_json(root)
    assert (code, doc["findings"]) == (0, [])


def test_the_register_and_policy_test_schemas_are_published() -> None:
    import json

    for kind in ("waivers", "policy-tests"):
        result = run_cli("schema", kind)
        assert result.exit_code == 0
        assert json.loads(result.stdout)["$id"] == f"urn:permgate:schema:{kind}"


def test_a_waiver_that_expires_before_it_was_approved_waives_nothing(make_repo: Callable[..., Path]) -> None:
    code, doc = run(make_repo, waiver(approved_on="2026-05-01", expires="2026-04-30"))
    assert pairs(doc, "waiver-invalid") == {("waiver-invalid", W, 3)}
    assert finding(doc, "waiver-invalid")["message"] == (
        "waiver `self-grant` for E000002 / P001 is invalid and waives nothing: "
        "expires 2026-04-30 is before approved_on 2026-05-01")
    assert finding(doc, "self-grant")["waived"] is None
    assert code == 1


def test_a_waiver_approved_and_expiring_on_the_same_day_is_valid(make_repo: Callable[..., Path]) -> None:
    _, doc = run(make_repo, waiver(approved_on="2026-06-01", expires="2026-06-01"), today="2026-06-01")
    assert pairs(doc, "waiver-invalid") == set()
    assert finding(doc, "self-grant")["waived"]["expires"] == "2026-06-01"


def test_a_waiver_of_exactly_max_days_is_accepted_one_day_more_is_not(make_repo: Callable[..., Path]) -> None:
    # 2026-05-01 + 180 days = 2026-10-28
    _, doc = run(make_repo, waiver(expires="2026-10-28"))
    assert pairs(doc, "waiver-invalid") == set()
    assert finding(doc, "self-grant")["waived"]["expires"] == "2026-10-28"
    _, doc = run(make_repo, waiver(expires="2026-10-29"))
    assert pairs(doc, "waiver-invalid") == {("waiver-invalid", W, 3)}
    assert finding(doc, "waiver-invalid")["message"].endswith(
        ": expires 2026-10-29 is more than 180 days after approved_on 2026-05-01 (at most 2026-10-28)")
    assert finding(doc, "self-grant")["waived"] is None


def test_an_invalid_waiver_names_every_problem_and_does_not_stop_the_register(
        make_repo: Callable[..., Path]) -> None:
    _, doc = run(make_repo, waiver(approver="E000002", expires="2026-04-01"),   # line 3: three problems
                    waiver())                                                      # line 11: valid
    f = finding(doc, "waiver-invalid")
    assert (f["path"], f["line"], f["column"], f["employee"], f["permission"]) == (W, 3, 5, "E000002", "P001")
    assert f["message"] == ("waiver `self-grant` for E000002 / P001 is invalid and waives nothing: "
                            "approved_by E000002 is the grantee; approved_by E000002 granted it; "
                            "expires 2026-04-01 is before approved_on 2026-05-01")
    # the valid waiver after it still waives
    assert finding(doc, "self-grant")["waived"]["path"] == W and finding(doc, "self-grant")["waived"]["line"] == 11


def test_unused_waiver_messages_and_fields(make_repo: Callable[..., Path]) -> None:
    _, doc = run(make_repo,
                 waiver(rule="misplaced-file", permission=None, approver="E000004", expires="2026-05-31"),  # line 3
                 waiver(permission="P003", expires="2026-06-01"),                                          # line 10
                 today="2026-06-01")
    assert pairs(doc, "waiver-unused") == {("waiver-unused", W, 3), ("waiver-unused", W, 10)}
    unused = {f["line"]: f for f in doc["findings"] if f["rule"] == "waiver-unused"}
    # lapsed yesterday, without a permission: said so, and no " / None"
    assert unused[3]["message"] == ("waiver `misplaced-file` for E000002 expired on 2026-05-31 and matches no finding; "
                                    "remove it from the register")
    assert (unused[3]["column"], unused[3]["employee"], unused[3]["permission"]) == (5, "E000002", None)
    # its last day is today: still in force, so not "expired"
    assert unused[10]["message"] == ("waiver `self-grant` for E000002 / P003 matches no finding; "
                                     "remove it from the register")
    assert (unused[10]["column"], unused[10]["employee"], unused[10]["permission"]) == (5, "E000002", "P003")


def test_a_finding_about_no_employee_does_not_stop_the_waivers(make_repo: Callable[..., Path]) -> None:
    broken = "assignments/corporate/E000009.yaml"   # sorts before F; its finding names no employee
    root = make_repo({F: SELF_GRANT, broken: "---\nemployee: [\n", W: "---\nwaivers:\n" + waiver()})
    _, doc = check_json(root, "--today", "2026-06-01")
    assert pairs(doc, "invalid-file") == {("invalid-file", broken, 3)}
    assert finding(doc, "invalid-file")["employee"] is None
    assert finding(doc, "self-grant")["waived"]["line"] == 3
