"""permgate test: policy test cases as data, pass / fail / not-applicable, --require-tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import PROJECT, run_cli

CASE = """\
---
tests:
  - name: sales manager grants a grid permission
    today: 2026-06-01
    files:
      assignments/retail-sales/E000002.yaml: |
        ---
        employee: E000002
        grants:
          - permission: P002
            granted_by: E000001
            granted_on: 2026-01-05
            reason: "ticket ACC-00108"
    expect:
      distribution-to-retail-sales: [{expected}]
"""
T = "policies/tests/unbundling.yaml"


@pytest.mark.parametrize("root", [PROJECT, PROJECT / "examples" / "incident-2023"])
def test_the_shipped_policy_tests_pass(root: Path) -> None:
    result = run_cli("test", "--root", str(root), "--require-tests")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines()[-1].endswith("0 failed; 0 policy rules without tests")


def test_pass_and_not_applicable(make_repo: Callable[..., Path]) -> None:
    duties = ("---\nrules:\n  - id: two-hats\n    kind: separation-of-duties\n    severity: error\n"
              "    summary: s\n    duties:\n      - name: a\n        any_of: [P001]\n"
              "      - name: b\n        any_of: [P003]\n")
    root = make_repo({T: CASE.format(expected="assignments/retail-sales/E000002.yaml:4"),
                      "policies/duties.yaml": duties})
    result = run_cli("test", "--root", str(root))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{T}:3: PASS sales manager grants a grid permission",
        "  PASS            distribution-to-retail-sales",
        "  NOT-APPLICABLE  two-hats",
        "policy rule `two-hats` (policies/duties.yaml:3) has no test case",
        "1 case: 1 passed, 0 failed; 1 policy rule without tests",
    ]
    required = run_cli("test", "--root", str(root), "--require-tests")
    assert required.exit_code == 1
    assert required.stdout.splitlines()[-1] == (
        "1 case: 1 passed, 0 failed; 1 policy rule without tests (--require-tests)")


def test_a_failing_case_names_missing_and_unexpected_locations(make_repo: Callable[..., Path]) -> None:
    root = make_repo({T: CASE.format(expected="assignments/retail-sales/E000002.yaml:8")})
    result = run_cli("test", "--root", str(root))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{T}:3: FAIL sales manager grants a grid permission",
        "  FAIL            distribution-to-retail-sales",
        "      missing     assignments/retail-sales/E000002.yaml:8",
        "      unexpected  assignments/retail-sales/E000002.yaml:4",
        "1 case: 0 passed, 1 failed; 0 policy rules without tests",
    ]


def test_json_format_and_a_single_file(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({})
    elsewhere = tmp_path / "cases.yaml"
    elsewhere.write_text(CASE.format(expected="assignments/retail-sales/E000002.yaml:4"))
    result = run_cli("test", str(elsewhere), "--root", str(root), "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["version"] == 1
    assert doc["summary"] == {"cases": 1, "passed": 1, "failed": 0, "untested": 0}
    assert doc["cases"][0] | {"path": ""} == {
        "name": "sales manager grants a grid permission", "path": "", "line": 3, "passed": True,
        "results": [{"rule": "distribution-to-retail-sales", "status": "pass", "missing": [], "unexpected": []}]}


def test_no_tests_at_all(make_repo: Callable[..., Path]) -> None:
    root = make_repo({})
    assert run_cli("test", "--root", str(root)).exit_code == 0
    result = run_cli("test", "--root", str(root), "--require-tests")
    assert result.exit_code == 1
    assert "policy rule `distribution-to-retail-sales` (policies/unbundling.yaml:3) has no test case" in result.stdout


def test_configuration_errors_exit_two_at_the_test_line(make_repo: Callable[..., Path]) -> None:
    unknown = CASE.format(expected="assignments/retail-sales/E000002.yaml:4").replace(
        "      distribution-to-retail-sales:", "      distribution-to-retail-sale:")
    result = run_cli("test", "--root", str(make_repo({T: unknown})))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {T}:15:7: case `sales manager grants a grid permission`: unknown rule "
                             "`distribution-to-retail-sale` (see `permgate rules`)\n")
    broken = CASE.format(expected="x.yaml:1").replace(
        "      assignments/retail-sales/E000002.yaml: |", "      people.yaml: |\n        people: 3\n"
        "      assignments/retail-sales/E000002.yaml: |")
    result = run_cli("test", "--root", str(make_repo({T: broken})))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {T}:3:5: case `sales manager grants a grid permission`: people.yaml:")
    result = run_cli("test", "--root", str(make_repo({T: "---\ntests: []\n"})))
    assert result.exit_code == 2 and result.stderr.startswith(f"Error: {T}:2:8: tests")
    escaping = CASE.format(expected="x.yaml:1").replace("      assignments/retail-sales/E000002.yaml: |",
                                                        "      ../outside.yaml: |")
    result = run_cli("test", "--root", str(make_repo({T: escaping})))
    assert result.exit_code == 2 and "leaves the repository root" in result.stderr
    assert run_cli("test", "nowhere.yaml", "--root", str(make_repo({}))).exit_code == 2


@pytest.mark.parametrize(("key", "message"), [
    (".", "`.` names a folder, not a file"),
    ("assignments/x/", "`assignments/x/` names a folder, not a file"),
    ("assignments", "`assignments` is both a file and a folder (of `assignments`)"),
    ("catalog.yaml/x.yaml", "`catalog.yaml` is both a file and a folder (of `catalog.yaml`)"),
])
def test_case_files_that_cannot_be_laid_out(make_repo: Callable[..., Path], key: str, message: str) -> None:
    text = f"---\ntests:\n  - name: n\n    files:\n      \"{key}\": \"x: 1\\n\"\n    expect: {{}}\n"
    result = run_cli("test", "--root", str(make_repo({T: text})))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {T}:") and result.stderr.rstrip().endswith(message)
