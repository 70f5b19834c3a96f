"""mass-change (issue 14): a change that gives more people new access than the limit is an error
unless approved: one finding per permission gained, waived by rule and permission (no employee).

Real git repositories; ``check --base`` as CI runs it, and the incremental path equal to the full one.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from permgate.change.basemode import check_against_base
from permgate.rules.examples import BASE, build
from tests.conftest import run_cli
from tests.git_helpers import commit_change, init_repo, write_files
from tests.roles_org import grants_file

TODAY = dt.date(2026, 6, 1)
SETTINGS = "---\nsettings:\n  mass-change:\n    max_new_holders: 2\n"
CATALOG = BASE["catalog.yaml"] + (
    "- id: P007\n  name: billing.write\n  owner_division: retail-sales\n  description: Correct bills\n"
    "- id: P008\n  name: tariffs.read\n  owner_division: retail-sales\n  description: Read tariffs\n")
ROLES = """\
---
roles:
  - id: desk-standard
    name: Desk standard
    owner_division: retail-sales
    permissions: [P001]
    includes: [desk-base]
  - id: desk-base
    name: Desk base
    owner_division: retail-sales
    permissions: [P003]
"""
SELLERS = ["E000002", "E000005", "E000006", "E000007"]
PEOPLE = BASE["people.yaml"] + "".join(
    f"- id: {e}\n  name: Seller {e[-1]}\n  division: retail-sales\n  manager: E000001\n" for e in SELLERS[1:])
#: one line of roles.yaml gives all four sellers two permissions they did not hold
WIDER = ROLES.replace("permissions: [P003]", "permissions: [P003, P007, P008]")


def waiver(permission: str | None, rule: str = "mass-change", employee: str | None = None) -> str:
    return ((f"  - rule: {rule}\n") + (f"    employee: {employee}\n" if employee else "")
            + (f"    permission: {permission}\n" if permission else "")
            + "    reason: \"desk re-organisation, approved by the access board\"\n    ticket: ACC-00300\n"
            "    approved_by: E000004\n    approved_on: 2026-05-20\n    expires: 2026-06-15\n")


def _org(settings: str = SETTINGS, extra: dict[str, str] | None = None) -> dict[str, str]:
    files = build({"people.yaml": PEOPLE, "catalog.yaml": CATALOG, "roles.yaml": ROLES,
                   "policies/mass.yaml": settings, **(extra or {})})
    for e in SELLERS:
        files[f"assignments/retail-sales/{e}.yaml"] = grants_file(e, "role:desk-standard")
    return files


def _check(tmp_path: Path, change: dict[str, str], settings: str = SETTINGS, base: dict[str, str] | None = None,
           incremental: bool = False) -> tuple[int, list[dict[str, Any]], Path]:
    root = tmp_path / "repo"
    init_repo(root, _org(settings, base))
    write_files(root, change)
    commit_change(root)
    full = check_against_base(str(root), "main", TODAY, incremental=False)
    fast = check_against_base(str(root), "main", TODAY)
    assert [f.to_dict() for f in fast.new] == [f.to_dict() for f in full.new], fast.declined
    if incremental:
        assert fast.scope is not None, fast.declined
    result = run_cli("check", "--root", str(root), "--base", "main", "--today", TODAY.isoformat(),
                     "--format", "json")
    assert "Error" not in result.stderr, result.stderr
    return result.exit_code, [f for f in json.loads(result.stdout)["findings"]], root


def _mass(findings: list[dict[str, Any]]) -> list[tuple[str, int, str | None, str | None, bool]]:
    return [(f["path"], f["line"], f["employee"], f["permission"], f["waived"] is not None)
            for f in findings if f["rule"] == "mass-change"]


def test_one_finding_per_permission_gained_at_the_setting_line(tmp_path: Path) -> None:
    code, findings, _ = _check(tmp_path, {"roles.yaml": WIDER})
    assert code == 1
    assert _mass(findings) == [("policies/mass.yaml", 3, None, "P007", False),
                               ("policies/mass.yaml", 3, None, "P008", False)]
    first = next(f for f in findings if f["rule"] == "mass-change")
    assert first["severity"] == "error"
    assert first["message"] == ("this change gives 4 people P007 billing.write (E000002, E000005, E000006, "
                                "E000007); in all 4 people gain access, more than max_new_holders 2; "
                                "`permgate impact --base main` lists them")


def test_within_the_limit_there_is_no_finding(tmp_path: Path) -> None:
    code, findings, _ = _check(tmp_path, {"roles.yaml": WIDER}, settings=SETTINGS.replace(": 2", ": 4"))
    assert (code, _mass(findings)) == (0, [])


def test_raising_the_limit_in_the_same_change_does_not_pass_it(tmp_path: Path) -> None:
    code, findings, _ = _check(tmp_path, {"roles.yaml": WIDER, "policies/mass.yaml": SETTINGS.replace(": 2", ": 4")})
    assert code == 1
    assert [m[3] for m in _mass(findings)] == ["P007", "P008"]
    assert ("policy-change", "policies/mass.yaml") in {(f["rule"], f["path"]) for f in findings}


def test_a_waiver_approves_one_permission_s_new_holders_and_no_other(tmp_path: Path) -> None:
    register = "---\nwaivers:\n" + waiver("P007")
    code, findings, _ = _check(tmp_path, {"roles.yaml": WIDER, "policies/waivers.yaml": register})
    assert code == 1  # P008's new holders are not approved
    assert _mass(findings) == [("policies/mass.yaml", 3, None, "P007", True),
                               ("policies/mass.yaml", 3, None, "P008", False)]
    waived = next(f for f in findings if f["rule"] == "mass-change" and f["permission"] == "P007")
    assert (waived["waived"]["approved_by"], waived["waived"]["line"]) == ("E000004", 3)


def test_waiving_every_permission_gained_lets_the_change_pass_and_the_register_is_told_to_forget_it(
        tmp_path: Path) -> None:
    register = "---\nwaivers:\n" + waiver("P007") + waiver("P008")
    code, findings, root = _check(tmp_path, {"roles.yaml": WIDER, "policies/waivers.yaml": register})
    assert code == 0, findings
    assert _mass(findings) == [("policies/mass.yaml", 3, None, "P007", True),
                               ("policies/mass.yaml", 3, None, "P008", True)]
    # merged, the waivers match nothing any more: the register is told to drop them
    plain = run_cli("check", "--root", str(root), "--today", TODAY.isoformat(), "--format", "json")
    unused = {(f["rule"], f["path"], f["line"]) for f in json.loads(plain.stdout)["findings"]}
    assert unused == {("waiver-unused", "policies/waivers.yaml", 3), ("waiver-unused", "policies/waivers.yaml", 10)}


def test_a_mass_change_waiver_must_name_the_permission_and_no_employee(tmp_path: Path) -> None:
    register = ("---\nwaivers:\n" + waiver("P007", employee="E000002") + waiver(None)
                + waiver("P001", rule="self-grant"))
    code, findings, _ = _check(tmp_path, {"roles.yaml": WIDER, "policies/waivers.yaml": register})
    assert code == 1
    assert _mass(findings) == [("policies/mass.yaml", 3, None, "P007", False),
                               ("policies/mass.yaml", 3, None, "P008", False)]
    invalid = {f["line"]: f["message"] for f in findings if f["rule"] == "waiver-invalid"}
    assert invalid == {
        3: "waiver `mass-change` for E000002 / P007 is invalid and waives nothing: `mass-change` findings name "
           "no employee; omit employee and name the permission",
        11: "waiver `mass-change` for no permission is invalid and waives nothing: a `mass-change` waiver names "
            "the permission whose new holders it approves",
        17: "waiver `self-grant` for P001 is invalid and waives nothing: employee is required: `self-grant` "
            "findings are about one employee",
    }


def test_a_waiver_approved_before_the_change_is_honoured_on_the_incremental_path(tmp_path: Path) -> None:
    register = {"policies/waivers.yaml": "---\nwaivers:\n" + waiver("P007") + waiver("P008")}
    code, findings, _ = _check(tmp_path, {"roles.yaml": WIDER}, base=register, incremental=True)
    assert code == 0, findings
    assert _mass(findings) == [("policies/mass.yaml", 3, None, "P007", True),
                               ("policies/mass.yaml", 3, None, "P008", True)]
