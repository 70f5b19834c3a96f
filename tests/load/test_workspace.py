"""Loading a repository: unusable catalog/people/policy/config stop the run at path:line:col;
grants files never do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from permgate.errors import ConfigError
from permgate.load.workspace import load_workspace
from tests.conftest import check_json, pairs, run_cli

GOOD_GRANT = """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "ticket ACC-00101"
"""


def error_of(root: Path) -> str:
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.stderr.strip()


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("catalog.yaml", "permissions:\n- id: P1\n  name: x\n  owner_division: d\n", "catalog.yaml:2:3:"),
        ("catalog.yaml", "permissions: [\n", "catalog.yaml:2:1: YAML syntax error"),
        ("people.yaml", "people:\n- id: E1\n  name: A\n  division: d\n  manager: E9\n",
         "people.yaml:5:12: manager `E9` of E1 is not in people.yaml"),
        ("people.yaml", "people:\n- id: E1\n  name: A\n  division: d\n  manager: E1\n",
         "people.yaml:5:12: management chain of E1 loops back"),
        ("policies/unbundling.yaml", "rules:\n  - id: x\n    kind: nope\n    severity: error\n    summary: s\n",
         "policies/unbundling.yaml:3:11:"),
        ("policies/unbundling.yaml",
         "rules:\n  - id: x\n    kind: forbidden-owner\n    severity: error\n    summary: s\n"
         "    owner_divisions: [distribution]\n",
         "policies/unbundling.yaml:2:5: rules[0]: missing required key `grantee_divisions`"),
        ("policies/unbundling.yaml",
         "rules:\n  - id: x\n    kind: forbidden-owner\n    severity: fatal\n    summary: s\n"
         "    owner_divisions: [a]\n    grantee_divisions: [b]\n",
         "policies/unbundling.yaml:4:15: rules[0].severity: `fatal` is not one of error, warning, note"),
        ("permgate.yaml", "colour: red\n", "permgate.yaml:1:1: (top level): unknown key `colour`"),
        ("permgate.yaml", "paths:\n  catalog: ../outside.yaml\n", "permgate.yaml:2:12: paths.catalog:"),
        ("permgate.yaml", "severity:\n  no-such-rule: warning\n", "permgate.yaml:2:3: severity: unknown rule"),
    ],
)
def test_unusable_shared_files_are_errors_with_location(
    make_repo: Callable[..., Path], path: str, text: str, expected: str
) -> None:
    root = make_repo({path: text})
    message = error_of(root)
    assert message.startswith("Error: " + expected), message


def test_catalog_duplicate_id_names_both_lines(make_repo: Callable[..., Path]) -> None:
    catalog = ("permissions:\n- id: P001\n  name: a\n  owner_division: x\n  description: ''\n"
               "- id: P001\n  name: b\n  owner_division: y\n  description: ''\n")
    assert error_of(make_repo({"catalog.yaml": catalog})) == \
        "Error: catalog.yaml:6:7: duplicate permission id `P001` (first at line 2)"


def test_missing_policies_folder_is_an_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"policies/unbundling.yaml": ""})
    (root / "policies").rmdir()
    assert error_of(root).startswith("Error: policies:1:1: policies folder not found")


def test_missing_catalog_is_an_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"catalog.yaml": ""})
    assert error_of(root) == "Error: catalog.yaml:1:1: file not found"


def test_relocated_parts_are_read(make_repo: Callable[..., Path]) -> None:
    root = make_repo({})
    (root / "data").mkdir()
    (root / "catalog.yaml").rename(root / "data" / "perms.yaml")
    (root / "assignments").rename(root / "grants")
    (root / "permgate.yaml").write_text("paths:\n  catalog: data/perms.yaml\n  assignments: grants\n")
    ws = load_workspace(str(root))
    assert ws.catalog_path == "data/perms.yaml"
    assert [f.path for f in ws.files] == ["grants/retail-sales/E000002.yaml"]


def test_broken_grants_file_is_a_finding_and_others_are_still_checked(make_repo: Callable[..., Path]) -> None:
    bad_boundary = GOOD_GRANT + "  - permission: P002\n    granted_by: E000001\n    granted_on: 2026-01-05\n"
    root = make_repo({
        "assignments/retail-sales/E000002.yaml": bad_boundary,
        "assignments/retail-sales/E000001.yaml": "employee: E000001\ngrants:\n  - permission: [\n",
    })
    code, doc = check_json(root)
    assert code == 1
    assert pairs(doc) == {
        ("invalid-file", "assignments/retail-sales/E000001.yaml", 4),
        ("distribution-to-retail-sales", "assignments/retail-sales/E000002.yaml", 8),
        ("granter-authority", "assignments/retail-sales/E000002.yaml", 8),
        ("missing-justification", "assignments/retail-sales/E000002.yaml", 8),
    }


def test_valid_entries_of_a_schema_invalid_file_are_still_checked(make_repo: Callable[..., Path]) -> None:
    text = GOOD_GRANT.replace("granted_on: 2026-01-05", "granted_on: 2026-02-30") + \
        "  - permission: P002\n    granted_by: E000001\n    granted_on: 2026-01-05\n"
    code, doc = check_json(make_repo({"assignments/retail-sales/E000002.yaml": text}))
    assert code == 1
    assert pairs(doc) == {
        ("invalid-file", "assignments/retail-sales/E000002.yaml", 6),
        ("distribution-to-retail-sales", "assignments/retail-sales/E000002.yaml", 8),
        ("granter-authority", "assignments/retail-sales/E000002.yaml", 8),
        ("missing-justification", "assignments/retail-sales/E000002.yaml", 8),
    }
    invalid = next(f for f in doc["findings"] if f["rule"] == "invalid-file")
    assert invalid["message"] == "grants[0].granted_on: `2026-02-30` is not a real calendar date (YYYY-MM-DD)"
    assert invalid["column"] == 17


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("employee: no\ngrants: []\n", 1,
         "employee: expected a string, got `no`, which YAML reads as a boolean; quote it: \"no\""),
        ("employee: E000002\ngrants: []\nextra: 1\n", 3, "(top level): unknown key `extra`"),
        ("employee: E000002\n", 1, "(top level): missing required key `grants`"),
        ("employee: E000002\ngrants:\n  - permission: 0123\n    granted_by: E000001\n    granted_on: 2026-01-05\n", 3,
         "grants[0].permission: expected a string, got `0123`, which YAML reads as a number"),
        ("# nothing here\n", 1, "file is empty"),
    ],
)
def test_invalid_grants_files_explain_themselves(
    make_repo: Callable[..., Path], text: str, line: int, message: str
) -> None:
    code, doc = check_json(make_repo({"assignments/retail-sales/E000002.yaml": text}))
    assert code == 1
    found = [f for f in doc["findings"] if f["rule"] == "invalid-file"]
    assert [(f["path"], f["line"]) for f in found] == [("assignments/retail-sales/E000002.yaml", line)]
    assert found[0]["message"].startswith(message), found[0]["message"]


def test_non_yaml_file_in_assignments_is_not_silently_skipped(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"assignments/retail-sales/E000003.json": "{}"})
    code, doc = check_json(root)
    assert code == 1
    assert pairs(doc) == {("invalid-file", "assignments/retail-sales/E000003.json", 1)}


def test_symlink_outside_root_is_refused(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({})
    outside = tmp_path / "outside.yaml"
    outside.write_text(GOOD_GRANT)
    (root / "assignments" / "E000009.yaml").symlink_to(outside)
    code, doc = check_json(root)
    assert code == 1
    found = [f for f in doc["findings"] if f["rule"] == "invalid-file"]
    assert [(f["path"], f["line"]) for f in found] == [("assignments/E000009.yaml", 1)]
    assert "outside the repository root" in found[0]["message"]


def test_config_error_type_carries_location(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"people.yaml": "people: 3\n"})
    with pytest.raises(ConfigError) as info:
        load_workspace(str(root))
    assert (info.value.path, info.value.line) == ("people.yaml", 1)


def test_policies_folder_without_rules_is_an_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({})
    for policy in (root / "policies").glob("*.yaml"):
        policy.unlink()
    (root / "policies" / "notes.yaml").write_text("---\n# rules moved elsewhere\nrules: []\n")
    assert error_of(root).startswith("Error: policies:1:1: no policy rules are declared in the policies folder")


def test_a_replaced_workspace_never_carries_the_caches_of_the_one_it_came_from(
        make_repo: Callable[..., Path]) -> None:
    """The per-employee index is built on first use; ``dataclasses.replace`` with other files must
    start it empty (held by ``init=False``, not by callers remembering to reset it)."""
    import dataclasses

    from permgate.config import load_config
    from permgate.load.workspace import load_workspace

    root = make_repo()
    ws = load_workspace(str(root), load_config(str(root)))
    someone = ws.files[0].employee
    assert ws.grants_of(someone)  # the index is built
    emptied = dataclasses.replace(ws, files=())
    assert emptied.grants_of(someone) == []
    assert list(emptied.iter_grants()) == []


# A file the canonical recogniser declines (here: blank lines between the entries) is loaded by the
# full strict path; these pin what that path keeps of each entry and of each problem.
HAND_LAID_OUT = """\
---
employee: E000002
grants:
  - permission: P006
    granted_by: E000001
    granted_on: 2026-05-01
    reason: "payroll audit, ticket ACC-00201"
    expires: 2026-07-01

  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk, ticket ACC-00202"
    expires: 2026-03-01

  - permission: P003
    granted_by: E000001
    granted_on: 2026-01-05
"""


def test_the_full_path_keeps_the_expiry_and_the_missing_reason_of_each_entry(
        make_repo: Callable[..., Path]) -> None:
    f = "assignments/retail-sales/E000002.yaml"
    code, doc = check_json(make_repo({f: HAND_LAID_OUT}), "--today", "2026-06-01")
    assert code == 1
    # P006 is sensitive and expires within 180 days: no expiry-required; P001 has expired
    assert pairs(doc) == {("expired-grant", f, 10), ("missing-justification", f, 16)}
    missing = next(x for x in doc["findings"] if x["rule"] == "missing-justification")
    assert missing["message"].endswith("has no `reason`"), missing["message"]


def test_an_entry_missing_a_required_key_does_not_hide_the_entries_after_it(
        make_repo: Callable[..., Path]) -> None:
    # the schema problem is at the entry itself (path grants[0], two steps long), not at one of its keys
    f = "assignments/retail-sales/E000002.yaml"
    text = ("---\nemployee: E000002\ngrants:\n  - permission: P001\n    granted_on: 2026-01-05\n"
            "    reason: \"ticket ACC-00101\"\n"
            "  - permission: P002\n    granted_by: E000001\n    granted_on: 2026-01-05\n"
            "    reason: \"ticket ACC-00102\"\n")
    code, doc = check_json(make_repo({f: text}))
    assert code == 1
    assert pairs(doc) == {
        ("invalid-file", f, 4),
        ("distribution-to-retail-sales", f, 7),
        ("granter-authority", f, 7),
    }


def test_an_invalid_file_finding_names_the_file_s_employee_when_it_has_one(
        make_repo: Callable[..., Path]) -> None:
    f = "assignments/retail-sales/E000002.yaml"
    bad_date = GOOD_GRANT.replace("granted_on: 2026-01-05", "granted_on: 2026-02-30")
    _, doc = check_json(make_repo({f: bad_date}))
    [invalid] = [x for x in doc["findings"] if x["rule"] == "invalid-file"]
    assert (invalid["path"], invalid["line"], invalid["employee"]) == (f, 6, "E000002")
    # an employee that is not a string is no employee
    _, doc = check_json(make_repo({f: "employee: 12345\ngrants: []\n"}))
    [invalid] = [x for x in doc["findings"] if x["rule"] == "invalid-file"]
    assert (invalid["path"], invalid["line"], invalid["employee"]) == (f, 1, None)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("# nothing here\n", 1, 1),  # an empty file is reported at its start
        ("employee: E000002\ngrants:\n  - permission: [\n", 4, 1),  # a YAML error where the parser stopped
        # a key indented wrongly, at the key
        ("employee: E000002\ngrants:\n  - permission: P001\n   granted_by: E000001\n", 4, 4),
    ],
)
def test_an_unreadable_grants_file_is_reported_at_its_line_and_column(
        make_repo: Callable[..., Path], text: str, line: int, column: int) -> None:
    f = "assignments/retail-sales/E000002.yaml"
    _, doc = check_json(make_repo({f: text}))
    [invalid] = [x for x in doc["findings"] if x["rule"] == "invalid-file"]
    assert (invalid["path"], invalid["line"], invalid["column"]) == (f, line, column), invalid
