"""Selection: ``--select``, ``--ignore``, ``rules: {ID: off}`` in permgate.yaml, ``--fail-on none``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from permgate.rules.examples import build
from tests.conftest import check_json, pairs, run_cli
from tests.git_helpers import commit_all, git, init_repo, write_files

F = "assignments/retail-sales/E000002.yaml"
BAD = """\
---
employee: E000002
grants:
  - permission: P002
    granted_by: E000002
    granted_on: 2022-07-01
    reason: "ticket ACC-00108"
"""
ALL = {("distribution-to-retail-sales", F, 4), ("granter-authority", F, 4), ("self-grant", F, 4)}


def test_select_and_ignore_filter_what_is_reported_and_what_fails(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F: BAD})
    code, doc = check_json(root)
    assert (code, pairs(doc)) == (1, ALL)
    code, doc = check_json(root, "--select", "self-grant,granter-authority")
    assert (code, pairs(doc)) == (1, {("granter-authority", F, 4), ("self-grant", F, 4)})
    code, doc = check_json(root, "--select", "self-grant", "--select", "granter-authority", "--ignore", "self-grant")
    assert (code, pairs(doc)) == (1, {("granter-authority", F, 4)})
    assert doc["summary"]["errors"] == 1
    # the severity that fails the run is of the reported findings only
    code, doc = check_json(root, "--select", "expired-grant")
    assert (code, pairs(doc)) == (0, set())
    code, doc = check_json(root, "--ignore", "self-grant,granter-authority,distribution-to-retail-sales")
    assert (code, pairs(doc)) == (0, set())


def test_unknown_rule_ids_are_usage_errors_naming_the_id(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F: BAD})
    for option in ("--select", "--ignore"):
        result = run_cli("check", "--root", str(root), option, "self-grant,no-such-rule")
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == f"Error: {option}: unknown rule `no-such-rule` (see `permgate rules`)\n"
    result = run_cli("check", "--root", str(root), "--select", ",")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --select: no rule named")


def test_fail_on_none_exits_zero_on_findings_and_two_on_errors(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F: BAD})
    code, doc = check_json(root, "--fail-on", "none")
    assert (code, pairs(doc)) == (0, ALL)
    broken = make_repo({F: BAD, "catalog.yaml": "---\npermissions: [\n"})
    result = run_cli("check", "--root", str(broken), "--fail-on", "none")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: catalog.yaml:")


def test_config_turns_a_rule_off(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F: BAD, "permgate.yaml": "rules:\n  self-grant: off\n"})
    code, doc = check_json(root)
    assert (code, pairs(doc)) == (1, ALL - {("self-grant", F, 4)})
    assert "self-grant" not in doc["summary"]["by_rule"]


def test_config_cannot_turn_off_a_rule_that_is_not_waivable(make_repo: Callable[..., Path]) -> None:
    config = "severity:\n  self-grant: error\nrules:\n  self-grant: off\n  distribution-to-retail-sales: off\n"
    root = make_repo({F: BAD, "permgate.yaml": config})
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("Error: permgate.yaml:5:3: rules: `distribution-to-retail-sales` is not waivable, "
                             "so it cannot be turned off\n")
    root = make_repo({F: BAD, "permgate.yaml": "rules:\n  invalid-file: off\n"})
    assert run_cli("check", "--root", str(root)).stderr.startswith("Error: permgate.yaml:2:3: rules: `invalid-file`")


def test_config_rules_errors_are_located(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F: BAD, "permgate.yaml": "rules:\n  self-grant: off\n  no-such-rule: off\n"})
    result = run_cli("check", "--root", str(root))
    assert (result.exit_code, result.stderr) == (
        2, "Error: permgate.yaml:3:3: rules: unknown rule `no-such-rule` (see `permgate rules`)\n")
    root = make_repo({F: BAD, "permgate.yaml": "rules:\n  self-grant: on\n"})
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: permgate.yaml:2:")


def _git_org(tmp_path: Path, config: str | None) -> Path:
    root = tmp_path / "org"
    files = build({})
    if config is not None:
        files["permgate.yaml"] = config
    init_repo(root, files)
    return root


def test_turning_a_rule_off_is_a_gate_change_and_does_not_switch_off_its_own_gate(tmp_path: Path) -> None:
    root = _git_org(tmp_path, None)
    git(root, "checkout", "-q", "-b", "change")
    write_files(root, {"permgate.yaml": "rules:\n  self-grant: off\n"})
    commit_all(root, "switch off self-grant")
    doc = json.loads(run_cli("check", "--root", str(root), "--base", "main", "--format", "json").stdout)
    assert pairs(doc) == {("policy-change", "permgate.yaml", 2)}
    change = doc["findings"][0]
    assert "rule `self-grant` on -> off" in change["message"]
    assert "unless it is off at main too" in change["message"]
    # the same change with a self-grant in it: the rule is still on for it (it is on at main)
    write_files(root, {F: BAD})
    commit_all(root, "and a self-grant")
    result = run_cli("check", "--root", str(root), "--base", "main", "--format", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert pairs(doc) == ALL | {("policy-changed-with-grants", "permgate.yaml", 2)}
    # once merged, the rule is off on both sides: a later change is judged without it
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--ff-only", "change")
    git(root, "checkout", "-q", "-b", "later")
    own = "assignments/retail-sales/E000001.yaml"
    write_files(root, {own: BAD.replace("E000002", "E000001").replace("P002", "P001")})
    commit_all(root, "a self-grant of a retail permission")
    result = run_cli("check", "--root", str(root), "--base", "main", "--format", "json")
    assert (result.exit_code, pairs(json.loads(result.stdout))) == (0, set())
    # and with the rule on (the same commits without the switch) it is flagged
    write_files(root, {"permgate.yaml": "rules: {}\n"})
    commit_all(root, "self-grant back on")
    assert ("self-grant", own, 4) in pairs(json.loads(
        run_cli("check", "--root", str(root), "--base", "main", "--format", "json").stdout))


BROKEN = "assignments/retail-sales/E000003.yaml"


def test_select_and_ignore_never_leave_out_a_file_permgate_could_not_read(make_repo: Callable[..., Path]) -> None:
    # the attack: a CI recipe narrowed to one rule must not turn an unreadable grants file into a pass
    root = make_repo({F: BAD, BROKEN: "---\nemployee: E000003\ngrants:\n  - permission: P001\n    granted_by: [\n"})
    code, doc = check_json(root, "--select", "self-grant")
    assert code == 1
    assert {(r, p) for r, p, _ in pairs(doc)} == {("self-grant", F), ("invalid-file", BROKEN)}
    code, doc = check_json(root, "--ignore", "self-grant,granter-authority,distribution-to-retail-sales")
    assert code == 1
    assert {(r, p) for r, p, _ in pairs(doc)} == {("invalid-file", BROKEN)}
    result = run_cli("check", "--root", str(root), "--ignore", "self-grant,invalid-file")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: --ignore: `invalid-file` reports input permgate could not read, which is "
                             "never left out of a check; fix the input instead\n")


def test_in_pull_request_mode_a_narrowed_gate_still_reports_the_file_it_could_not_read(tmp_path: Path) -> None:
    root = _git_org(tmp_path, None)
    git(root, "checkout", "-q", "-b", "change")
    write_files(root, {BROKEN: "---\nemployee: E000003\ngrants:\n  - permission: P002\n    granted_by: [\n"})
    commit_all(root, "a grants file no reader agrees on")
    result = run_cli("check", "--root", str(root), "--base", "main", "--format", "json",
                     "--select", "distribution-to-retail-sales")
    assert result.exit_code == 1, result.output
    assert {(r, p) for r, p, _ in pairs(json.loads(result.stdout))} == {("invalid-file", BROKEN)}
    result = run_cli("check", "--root", str(root), "--base", "main", "--ignore", "waiver-invalid")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("Error: --ignore: `waiver-invalid` reports input permgate could not read")
