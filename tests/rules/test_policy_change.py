"""policy-change: what a change does to the gate, said in words and placed at the line it changes.

Real git repositories (``tests/git_helpers.py``), the change committed on a branch, ``check --base
main`` through the CLI.  These pin the words and places of ``permgate.yaml`` and waiver-register
changes (survivors of mutation round 3, docs/testing.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from permgate.rules.examples import BASE, build
from tests.conftest import run_cli
from tests.git_helpers import commit_change, git, init_repo, write_files

TAIL = "; review it as a change to the gate itself"


def check_base(root: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    commit_change(root)
    result = run_cli("check", "--root", str(root), "--base", "main", "--format", "json", *extra)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)["findings"]


def gate_finding(findings: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = [f for f in findings if f["rule"] == "policy-change"]
    return found


def test_a_permgate_yaml_change_names_every_setting_at_the_first_severity_it_sets(tmp_path: Path) -> None:
    root = tmp_path / "grants"
    init_repo(root, build({"permgate.yaml": "---\nseverity:\n  expired-grant: error\nrules:\n"
                                           "  missing-justification: off\n"}))
    write_files(root, {
        "permgate.yaml": "---\npaths:\n  catalog: data/catalog.yaml\nseverity:\n  self-grant: note\n"
                         "  expired-grant: warning\nrules:\n  bulk-grant: off\nmax_file_bytes: 2000000\n",
        "data/catalog.yaml": BASE["catalog.yaml"], "catalog.yaml": ""})
    code, findings = check_base(root)
    assert code == 0
    gate = gate_finding(findings)
    # sorted by rule id, the first rule the change's own file sets a severity for: expired-grant, line 6
    assert (gate["path"], gate["line"], gate["column"]) == ("permgate.yaml", 6, 3)
    assert gate["message"] == (
        "permgate.yaml is changed: paths.catalog catalog.yaml -> data/catalog.yaml; severity of `expired-grant` "
        "error -> warning; severity of `self-grant` default -> note; rule `bulk-grant` on -> off; rule "
        "`missing-justification` off -> on; max_file_bytes 1048576 -> 2000000; each rule keeps the stricter of "
        "its severities here and at main in this change; a rule stays on in this change unless it is off at "
        "main too" + TAIL)


def test_a_permgate_yaml_change_that_only_turns_a_rule_off_is_placed_at_that_rule(tmp_path: Path) -> None:
    root = tmp_path / "grants"
    init_repo(root, build({"permgate.yaml": "---\nseverity:\n  expired-grant: error\n"}))
    # the severity is dropped (no line of its own in the change's file); the rule turned off is placed
    write_files(root, {"permgate.yaml": "---\n# settings\nrules:\n  bulk-grant: off\n"})
    code, findings = check_base(root)
    gate = gate_finding(findings)
    assert (code, gate["path"], gate["line"], gate["column"]) == (0, "permgate.yaml", 4, 3)
    assert gate["message"] == (
        "permgate.yaml is changed: severity of `expired-grant` error -> default; rule `bulk-grant` on -> off; "
        "each rule keeps the stricter of its severities here and at main in this change; a rule stays on in "
        "this change unless it is off at main too" + TAIL)


def test_a_permgate_yaml_change_that_turns_a_rule_back_on_says_no_more(tmp_path: Path) -> None:
    root = tmp_path / "grants"
    init_repo(root, build({"permgate.yaml": "---\nrules:\n  bulk-grant: off\n"}))
    write_files(root, {"permgate.yaml": "---\nmax_file_bytes: 4096\n"})
    code, findings = check_base(root)
    gate = gate_finding(findings)
    assert (code, gate["path"], gate["line"], gate["column"]) == (0, "permgate.yaml", 1, 1)
    assert gate["message"] == (
        "permgate.yaml is changed: rule `bulk-grant` off -> on; max_file_bytes 1048576 -> 4096" + TAIL)


def test_a_permgate_yaml_change_of_comments_only_says_so(tmp_path: Path) -> None:
    root = tmp_path / "grants"
    init_repo(root, build({"permgate.yaml": "---\nmax_file_bytes: 4096\n"}))
    write_files(root, {"permgate.yaml": "---\n# the size cap\nmax_file_bytes: 4096\n"})
    code, findings = check_base(root)
    gate = gate_finding(findings)
    assert (code, gate["path"], gate["line"], gate["column"]) == (0, "permgate.yaml", 1, 1)
    assert gate["message"] == "permgate.yaml is changed: no setting differs" + TAIL


def test_a_configuration_renamed_into_place_is_reported_at_its_new_path(tmp_path: Path) -> None:
    root = tmp_path / "grants"
    init_repo(root, build({"drafts/permgate.yaml": "---\n# draft\nmax_file_bytes: 4096\nseverity:\n"
                                                  "  expired-grant: error\n"}))
    git(root, "checkout", "-q", "-b", "change")
    git(root, "mv", "drafts/permgate.yaml", "permgate.yaml")
    code, findings = check_base(root)
    gate = gate_finding(findings)
    assert (code, gate["path"], gate["line"], gate["column"]) == (0, "permgate.yaml", 5, 3)
    assert gate["message"] == (
        "permgate.yaml (renamed from drafts/permgate.yaml) is changed: severity of `expired-grant` default -> "
        "error; max_file_bytes 1048576 -> 4096; each rule keeps the stricter of its severities here and at main "
        "in this change" + TAIL)


WAIVER = """\
  - rule: {rule}
    employee: E000002
{permission}    reason: "cover while the manager is away"
    ticket: {ticket}
    approved_by: E000001
    approved_on: 2026-05-01
    expires: {expires}
"""


def waiver(rule: str, permission: str | None, ticket: str, expires: str = "2026-07-31") -> str:
    line = f"    permission: {permission}\n" if permission else ""
    return WAIVER.format(rule=rule, permission=line, ticket=ticket, expires=expires)


def test_waivers_added_removed_and_changed_are_each_named(tmp_path: Path) -> None:
    """Two waivers of one rule for one employee are told apart by their permission; a waiver of
    findings that name no permission is named by the employee alone."""
    root = tmp_path / "grants"
    init_repo(root, build({"policies/waivers.yaml": "---\nwaivers:\n" + waiver("self-grant", "P001", "ACC-1")
                           + waiver("self-grant", "P003", "ACC-3") + waiver("self-grant", "P005", "ACC-5")}))
    after = ("---\nwaivers:\n" + waiver("self-grant", "P005", "ACC-5")
             + waiver("self-grant", "P003", "ACC-3", expires="2026-08-31")
             + waiver("self-grant", "P006", "ACC-6") + waiver("bulk-grant", None, "ACC-9"))
    write_files(root, {"policies/waivers.yaml": after})
    _code, findings = check_base(root, "--today", "2026-06-01")
    gate = gate_finding(findings)
    # the first waiver the change adds, in (rule, employee, permission) order: bulk-grant's, at line 27;
    # the waiver of P005, moved but not changed, is not named
    assert (gate["path"], gate["line"], gate["column"]) == ("policies/waivers.yaml", 27, 5)
    assert gate["message"] == (
        "policies/waivers.yaml is changed: waiver of `bulk-grant` for E000002 (until 2026-07-31, ticket ACC-9, "
        "approved by E000001) is added; waiver of `self-grant` for E000002/P001 (until 2026-07-31, ticket "
        "ACC-1, approved by E000001) is removed; waiver of `self-grant` for E000002/P003 (until 2026-07-31, "
        "ticket ACC-3, approved by E000001) changes to expire 2026-08-31 (ticket ACC-3, approved by E000001); "
        "waiver of `self-grant` for E000002/P006 (until 2026-07-31, ticket ACC-6, approved by E000001) is added"
        + TAIL)


GUARD = """\
  - id: corporate-guard
    kind: forbidden-owner
    severity: error
    summary: Corporate permissions stay with corporate
    description: ""
    owner_divisions: [corporate]
    grantee_divisions: [distribution]
"""
GUARD_AS_DUTIES = """\
  - id: corporate-guard
    kind: separation-of-duties
    severity: warning
    summary: Corporate permissions stay with corporate
    description: Payroll readers do not register access
    duties:
      - name: read-payroll
        any_of: [P006]
      - name: register-access
        any_of: [P005]
"""


def test_a_changed_rule_names_each_field_and_parameter_on_either_side(tmp_path: Path) -> None:
    """A kind change drops the old kind's parameters and adds the new one's; an empty description
    reads as none; a list is written out whole."""
    policy = BASE["policies/unbundling.yaml"]
    root = tmp_path / "grants"
    init_repo(root, build({"policies/unbundling.yaml": policy + GUARD}))
    write_files(root, {"policies/unbundling.yaml": policy.replace("[retail-sales]", "[retail-sales, corporate]")
                       + GUARD_AS_DUTIES})
    code, findings = check_base(root)
    gate = gate_finding(findings)
    assert (code, gate["path"], gate["line"], gate["column"]) == (0, "policies/unbundling.yaml", 10, 5)
    assert gate["message"] == (
        "policies/unbundling.yaml is changed: rule `corporate-guard` changes: kind forbidden-owner -> "
        "separation-of-duties; severity error -> warning; description (none) -> Payroll readers do not register "
        "access; duties (none) -> [{'name': 'read-payroll', 'any_of': ['P006']}, {'name': 'register-access', "
        "'any_of': ['P005']}]; grantee_divisions [distribution] -> (none); owner_divisions [corporate] -> (none); "
        "rule `distribution-to-retail-sales` changes: grantee_divisions [retail-sales] -> [retail-sales, "
        "corporate]; the rules as they are at main still apply to this change" + TAIL)


def test_a_catalog_name_and_a_dropped_mark_are_said_as_written(tmp_path: Path) -> None:
    catalog = BASE["catalog.yaml"]
    root = tmp_path / "grants"
    init_repo(root, build({}))
    write_files(root, {"catalog.yaml": catalog.replace("name: billing.read", "name: Billing.Reader")
                       .replace("  retired: true\n", "")})
    code, findings = check_base(root)
    assert code == 0
    assert [(f["rule"], f["path"], f["line"], f["message"]) for f in findings] == [
        ("policy-change", "catalog.yaml", 4, "P001 Billing.Reader changes name billing.read -> Billing.Reader (was "
         "catalog.yaml:4 at main); its holders are judged by the new entry from now on" + TAIL),
        ("policy-change", "catalog.yaml", 16, "P004 legacy-liaison.read changes retired true -> false (was "
         "catalog.yaml:16 at main); its holders are judged by the new entry from now on" + TAIL),
    ]


def policy_changes(tmp_path: Path, base: dict[str, str], change: dict[str, str]) -> list[tuple[str, int, int, str]]:
    root = tmp_path / "grants"
    init_repo(root, build(base))
    write_files(root, change)
    code, findings = check_base(root)
    assert code == 0
    return [(f["path"], f["line"], f["column"], f["message"]) for f in findings if f["rule"] == "policy-change"]


BULK = "---\nsettings:\n  bulk-grant:\n    max_added: 3\n"
GOVERNANCE = "---\nsettings:\n  waivers:\n    max_days: 90\n"
WEAKER = "; the rules as they are at main still apply to this change" + TAIL


def test_a_settings_change_is_told_in_its_own_file_only(tmp_path: Path) -> None:
    """`bulk-grant` (sorted before `waivers`) is set in a file the change leaves alone: passed over."""
    found = policy_changes(tmp_path, {"policies/bulk.yaml": BULK, "policies/governance.yaml": GOVERNANCE},
                           {"policies/governance.yaml": GOVERNANCE.replace("90", "30")})
    assert found == [("policies/governance.yaml", 3, 3, "policies/governance.yaml is changed: settings of `waivers` "
                      "change: max_days 90 -> 30" + WEAKER)]


def test_a_settings_section_removed_from_a_file_is_told_there(tmp_path: Path) -> None:
    found = policy_changes(tmp_path, {"policies/governance.yaml": GOVERNANCE + BULK.removeprefix("---\nsettings:\n")},
                           {"policies/governance.yaml": GOVERNANCE})
    assert found == [("policies/governance.yaml", 1, 1, "policies/governance.yaml is changed: settings of "
                      "`bulk-grant` change: max_added 3 -> (none)" + WEAKER)]


def test_a_settings_section_moved_between_files_is_told_in_those_two_only(tmp_path: Path) -> None:
    rule = ("---\nrules:\n  - id: corporate-to-distribution\n    kind: forbidden-owner\n    severity: warning\n"
            "    summary: Corporate permissions stay out of distribution\n    owner_divisions: [corporate]\n"
            "    grantee_divisions: [distribution]\n")
    moved = GOVERNANCE + BULK.removeprefix("---\nsettings:\n").replace("3", "5")
    found = policy_changes(tmp_path, {"policies/bulk.yaml": BULK, "policies/governance.yaml": GOVERNANCE},
                           {"policies/bulk.yaml": "", "policies/governance.yaml": moved,
                            "policies/corporate.yaml": rule})
    assert found == [
        ("policies/bulk.yaml", 1, 1, "policies/bulk.yaml is deleted: settings of `bulk-grant` change: max_added "
         "3 -> 5" + WEAKER),
        ("policies/corporate.yaml", 3, 5, "policies/corporate.yaml is added: rule `corporate-to-distribution` "
         "(forbidden-owner, warning) is added: Corporate permissions stay out of distribution" + TAIL),
        ("policies/governance.yaml", 5, 3, "policies/governance.yaml is changed: settings of `bulk-grant` change: "
         "max_added 3 -> 5" + WEAKER),
    ]


def test_a_settings_section_added_names_each_key_that_changes(tmp_path: Path) -> None:
    found = policy_changes(tmp_path, {"policies/bulk.yaml": BULK},
                           {"policies/bulk.yaml": "---\nsettings:\n  bulk-grant:\n    max_added: 5\n    min_grants: 4\n"
                                                  "  waivers:\n    max_days: 30\n"})
    assert found == [("policies/bulk.yaml", 3, 3, "policies/bulk.yaml is changed: settings of `bulk-grant` change: "
                      "max_added 3 -> 5; min_grants (none) -> 4; settings of `waivers` change: max_days (none) -> 30"
                      + WEAKER)]


CORPORATE = """\
---
rules:
  - id: corporate-to-distribution
    kind: forbidden-owner
    severity: warning
    summary: Corporate permissions stay out of distribution
    owner_divisions: [corporate]
    grantee_divisions: [distribution]
"""


def test_a_rule_removed_is_named_with_its_line_at_the_base(tmp_path: Path) -> None:
    """Deleting the file: placed at the rule's line (in the file as it was); removing the rule from a
    file that stays: placed at the top of the file.  Either way the rule's old line is related."""
    root = tmp_path / "grants"
    policy = BASE["policies/unbundling.yaml"]
    second = CORPORATE.removeprefix("---\nrules:\n").replace("corporate-to-distribution", "corporate-guard")
    init_repo(root, build({"policies/corporate.yaml": CORPORATE, "policies/unbundling.yaml": policy + second}))
    write_files(root, {"policies/corporate.yaml": "", "policies/unbundling.yaml": policy})
    code, findings = check_base(root)
    gates = [(f["path"], f["line"], f["column"], f["message"], f["related"]) for f in findings
             if f["rule"] == "policy-change"]
    assert code == 0
    assert gates == [
        ("policies/corporate.yaml", 3, 5, "policies/corporate.yaml is deleted: rule `corporate-to-distribution` "
         "(forbidden-owner, warning) is removed" + WEAKER,
         [{"path": "policies/corporate.yaml", "line": 3, "column": 5,
           "message": "rule corporate-to-distribution as declared at main"}]),
        ("policies/unbundling.yaml", 1, 1, "policies/unbundling.yaml is changed: rule `corporate-guard` "
         "(forbidden-owner, warning) is removed" + WEAKER,
         [{"path": "policies/unbundling.yaml", "line": 10, "column": 5,
           "message": "rule corporate-guard as declared at main"}]),
    ]


def test_a_rule_moved_to_another_file_is_said_in_both_and_placed_in_each(tmp_path: Path) -> None:
    """The file it left is placed at its own change (a settings section it gains), not at the rule's
    new line in the other file."""
    policy = BASE["policies/unbundling.yaml"]
    guard = CORPORATE.removeprefix("---\nrules:\n")
    found = policy_changes(tmp_path, {"policies/unbundling.yaml": policy + guard},
                           {"policies/unbundling.yaml": policy + "settings:\n  waivers:\n    max_days: 30\n",
                            "policies/corporate.yaml": CORPORATE})
    moves = "rule `corporate-to-distribution` moves from policies/unbundling.yaml to policies/corporate.yaml"
    assert found == [
        ("policies/corporate.yaml", 3, 5, f"policies/corporate.yaml is added: {moves}" + TAIL),
        ("policies/unbundling.yaml", 11, 3, f"policies/unbundling.yaml is changed: {moves}; settings of `waivers` "
         "change: max_days (none) -> 30" + WEAKER),
    ]


def test_a_policy_file_change_of_comments_only_says_so_and_relates_nothing(tmp_path: Path) -> None:
    root = tmp_path / "grants"
    init_repo(root, build({}))
    write_files(root, {"policies/unbundling.yaml": BASE["policies/unbundling.yaml"] + "# reviewed 2026-02\n"})
    code, findings = check_base(root)
    assert code == 0
    assert [(f["rule"], f["path"], f["line"], f["column"], f["message"], f["related"]) for f in findings] == [
        ("policy-change", "policies/unbundling.yaml", 1, 1, "policies/unbundling.yaml is changed: no rule, waiver or "
         "setting differs (comments, order or policy tests)" + TAIL, [])]


def test_a_grants_file_edited_in_comments_only_is_still_an_edit_beside_a_policy_change(tmp_path: Path) -> None:
    """Only a rename can carry a grants file over as it is; a file changed in place is an edit."""
    root = tmp_path / "grants"
    init_repo(root, build({}))
    f2 = "assignments/retail-sales/E000002.yaml"
    write_files(root, {f2: BASE[f2] + "# reviewed\n",
                       "policies/unbundling.yaml": BASE["policies/unbundling.yaml"] + "# reviewed\n"})
    code, findings = check_base(root)
    assert code == 1
    assert {(f["rule"], f["path"], f["line"]) for f in findings} == {
        ("policy-changed-with-grants", "policies/unbundling.yaml", 1)}


def test_a_grants_file_renamed_and_broken_is_an_invalid_file_not_a_crash(tmp_path: Path) -> None:
    root = tmp_path / "grants"
    f2 = "assignments/retail-sales/E000002.yaml"
    moved = "assignments/retail-sales/E000002-ben.yaml"
    init_repo(root, build({}))
    git(root, "checkout", "-q", "-b", "change")
    git(root, "mv", f2, moved)
    write_files(root, {moved: BASE[f2].replace("  - permission: P001\n", "  - permission: [P001\n")})
    code, findings = check_base(root)
    assert code == 1
    assert ("invalid-file", moved, 5) in {(f["rule"], f["path"], f["line"]) for f in findings}
