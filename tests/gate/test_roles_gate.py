"""A change to roles.yaml is judged by its effect on every holder (issue 14), in real git repositories.

Each test commits a base organisation that grants through roles, commits the change an author
would push (``commit_change``) and runs ``check --base`` as CI does, incrementally and on the full
path (``check_against_base(incremental=False)``), asserting the same new findings.  The attacks
(renaming a role, moving a permission into an included role, deleting and re-adding a role,
relocating the roles file through permgate.yaml, a role id shadowing a permission id) must not
reduce what is judged.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from permgate.analysis.audit import audit
from permgate.change.basemode import check_against_base
from permgate.change.judge import BaseOutcome
from permgate.git.repo import Repo
from permgate.rules.examples import BASE, build
from tests.conftest import run_cli
from tests.git_helpers import commit_change, init_repo, write_files
from tests.gitutil import GitRepo
from tests.roles_org import grants_file

TODAY = dt.date(2026, 6, 1)
BOUNDARY = "distribution-to-retail-sales"

#: a role maintained by corporate (so role-crosses-boundary cannot fire), held by retail-sales people
ROLES = """\
---
roles:
  - id: desk-standard
    name: Desk standard
    owner_division: corporate
    permissions: [P001]
    includes: [desk-base]
  - id: desk-base
    name: Desk base
    owner_division: corporate
    permissions: [P003]
"""
SELLERS = ["E000002", "E000005", "E000006", "E000007"]
PEOPLE = BASE["people.yaml"] + "".join(
    f"- id: {e}\n  name: Seller {e[-1]}\n  division: retail-sales\n  manager: E000001\n" for e in SELLERS[1:])


def _org(roles: str = ROLES) -> dict[str, str]:
    files = build({"people.yaml": PEOPLE, "roles.yaml": roles})
    for e in SELLERS:  # each holds P001 directly (line 4) and the role (line 8)
        files[f"assignments/retail-sales/{e}.yaml"] = grants_file(e, "P001", "role:desk-standard")
    return files


def _judge(tmp_path: Path, change: dict[str, str], base: dict[str, str] | None = None) -> BaseOutcome:
    root = tmp_path / "repo"
    init_repo(root, base or _org())
    write_files(root, change)
    commit_change(root)
    full = check_against_base(str(root), "main", TODAY, incremental=False)
    fast = check_against_base(str(root), "main", TODAY)
    assert [f.to_dict() for f in fast.new] == [f.to_dict() for f in full.new], fast.declined
    if not {"permgate.yaml", "catalog.yaml"} & set(change):  # a roles change is judged incrementally
        assert fast.scope is not None, fast.declined
    return full


def _new(out: BaseOutcome, rule: str) -> set[tuple[str, int]]:
    return {(f.path, f.line) for f in out.new if f.rule == rule}


HOLDER_LINES = {(f"assignments/retail-sales/{e}.yaml", 8) for e in SELLERS}


def test_adding_a_distribution_permission_to_a_held_role_is_caught_at_both_ends(tmp_path: Path) -> None:
    """Done when: check --base exits 1 with a finding at the roles.yaml line and one per holder at
    their grant lines."""
    root = tmp_path / "repo"
    init_repo(root, _org())
    write_files(root, {"roles.yaml": ROLES.replace("permissions: [P001]", "permissions: [P001, P002]")})
    commit_change(root)
    result = run_cli("check", "--root", str(root), "--base", "main", "--today", "2026-06-01", "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert {(f["path"], f["line"]) for f in findings if f["rule"] == BOUNDARY} == HOLDER_LINES
    assert {(f["path"], f["line"], f["severity"]) for f in findings if f["rule"] == "role-change"} == {
        ("roles.yaml", 6, "error")}
    assert all(f["role"] == "desk-standard" for f in findings if f["rule"] == BOUNDARY)
    assert json.loads(result.stdout)["summary"]["impact"] == {"gained": 4, "lost": 0, "employees_gaining": 4,
                                                               "employees_losing": 0}
    markdown = run_cli("check", "--root", str(root), "--base", "main", "--today", "2026-06-01", "--format", "markdown")
    assert "Access impact: 4 people gain 4 permission grants, 0 people lose 0 permission grants" in markdown.stdout
    # the holders' findings say the role changed, at its line
    assert all(any(r["path"] == "roles.yaml" and "changes in this change" in r["message"] for r in f["related"])
               for f in findings if f["rule"] == BOUNDARY)


def test_the_same_change_through_the_included_role_reaches_every_holder(tmp_path: Path) -> None:
    out = _judge(tmp_path, {"roles.yaml": ROLES.replace("permissions: [P003]", "permissions: [P003, P002]")})
    assert _new(out, BOUNDARY) == HOLDER_LINES
    # at the line that lists P002 in desk-base, and at desk-standard's include of desk-base
    assert _new(out, "role-change") == {("roles.yaml", 7), ("roles.yaml", 11)}


def test_renaming_a_role_everywhere_judges_every_holder_again(tmp_path: Path) -> None:
    base = _org(ROLES.replace("permissions: [P001]", "permissions: [P001, P002]"))
    change = {p: t.replace("desk-standard", "desk-std") for p, t in base.items() if "desk-standard" in t}
    out = _judge(tmp_path, change, base)
    assert _new(out, BOUNDARY) == HOLDER_LINES


def test_renaming_a_role_in_roles_yaml_only_leaves_every_holder_with_an_unknown_role(tmp_path: Path) -> None:
    out = _judge(tmp_path, {"roles.yaml": ROLES.replace("id: desk-standard", "id: desk-std")})
    assert _new(out, "unknown-role") == HOLDER_LINES


def test_moving_a_forbidden_permission_into_an_included_role_is_not_a_new_grant_but_adding_one_is(
        tmp_path: Path) -> None:
    base = _org(ROLES.replace("permissions: [P001]", "permissions: [P001, P002]"))
    moved = ROLES.replace("permissions: [P003]", "permissions: [P003, P002]")
    out = _judge(tmp_path, {"roles.yaml": moved}, base)
    assert _new(out, BOUNDARY) == set()  # the same effective access: nobody gains anything
    [moved_in] = [f for f in out.new if f.rule == "role-change"]  # desk-base itself now gives P002
    assert (moved_in.line, moved_in.severity) == (11, "warning") and "0 holder(s) gain it" in moved_in.message
    # ... and moving it into a role included by a *second* role reaches that role's holders too
    second = moved + "  - id: desk-lite\n    name: Desk lite\n    owner_division: corporate\n" \
                     "    permissions: []\n    includes: [desk-base]\n"
    base2 = {**base, "roles.yaml": ROLES + "  - id: desk-lite\n    name: Desk lite\n    owner_division: corporate\n"
                                           "    permissions: []\n    includes: [desk-base]\n",
             "assignments/corporate/E000004.yaml": grants_file("E000004", "role:desk-lite")}
    base2["assignments/retail-sales/E000007.yaml"] = grants_file("E000007", "P001", "role:desk-lite")
    out2 = _judge(tmp_path / "second", {"roles.yaml": second}, base2)
    assert ("assignments/retail-sales/E000007.yaml", 8) in _new(out2, BOUNDARY)


def test_deleting_and_re_adding_a_role_with_more_in_it_is_judged(tmp_path: Path) -> None:
    readded = ROLES.replace("""  - id: desk-standard
    name: Desk standard
    owner_division: corporate
    permissions: [P001]
    includes: [desk-base]
""", "") + """  - id: desk-standard
    name: Desk standard
    owner_division: corporate
    permissions: [P001, P002]
    includes: [desk-base]
"""
    out = _judge(tmp_path, {"roles.yaml": readded})
    assert _new(out, BOUNDARY) == HOLDER_LINES


def test_a_roles_file_moved_through_permgate_yaml_is_judged_by_what_it_gives(tmp_path: Path) -> None:
    moved = ROLES.replace("permissions: [P001]", "permissions: [P001, P002]")
    out = _judge(tmp_path, {"roles.yaml": "", "access/roles.yaml": moved,
                            "permgate.yaml": "paths:\n  roles: access/roles.yaml\n"})
    assert _new(out, BOUNDARY) == HOLDER_LINES
    assert _new(out, "role-change") == {("access/roles.yaml", 6)}


def test_a_role_id_shadowing_a_permission_id_is_refused_and_judged(tmp_path: Path) -> None:
    """A role named like a permission (P002) that gives P002 must not pass as the permission's waiver or key."""
    shadow = ROLES + "  - id: P002\n    name: Looks like a permission\n    owner_division: corporate\n" \
                     "    permissions: [P002]\n"
    change = {"roles.yaml": shadow,
              "assignments/retail-sales/E000005.yaml": grants_file("E000005", "P001", "role:P002")}
    out = _judge(tmp_path, change)
    assert ("roles.yaml", 12) in _new(out, "invalid-role")
    assert _new(out, BOUNDARY) == {("assignments/retail-sales/E000005.yaml", 8)}


def test_a_role_change_under_a_catalog_re_own_reaches_role_holders(tmp_path: Path) -> None:
    """The catalog makes P003 distribution-owned: holders of a role giving P003 never spell P003."""
    catalog = BASE["catalog.yaml"].replace("  name: hr.read\n  owner_division: corporate",
                                           "  name: hr.read\n  owner_division: distribution")
    out = _judge(tmp_path, {"catalog.yaml": catalog})
    assert _new(out, BOUNDARY) == HOLDER_LINES


def test_audit_after_the_fix_gives_each_holder_the_window_of_the_role_change(tmp_path: Path) -> None:
    """Done when: the role change and its fix, as dated commits; audit opens every holder's exposure at
    the commit that put P002 in the role and closes it at the fix (cause ``role``)."""
    g = GitRepo(tmp_path / "r")
    g.commit(dict(_org()), "2026-01-10")
    bad = g.commit({"roles.yaml": ROLES.replace("permissions: [P001]", "permissions: [P001, P002]")}, "2026-02-01")
    fix = g.commit({"roles.yaml": ROLES}, "2026-02-21")
    result = audit(Repo(str(g.top)), until=dt.date(2026, 6, 1))
    got = {(e.employee, e.permission, e.introduced.commit, e.introduced.cause,
            e.removed.commit if e.removed else None, e.removed.cause if e.removed else None, e.days, e.line)
           for e in result.exposures if e.rule == BOUNDARY}
    assert got == {(e, "P002", bad, "role", fix, "role", 20, 8) for e in SELLERS}


def test_impact_lists_every_holder_as_gained_through_the_role(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init_repo(root, _org())
    write_files(root, {"roles.yaml": ROLES.replace("permissions: [P001]", "permissions: [P001, P002]"),
                       "assignments/retail-sales/E000007.yaml": grants_file("E000007", "role:desk-standard")})
    commit_change(root)
    result = run_cli("impact", "--root", str(root), "--base", "main", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["version"] == 1
    # E000007's direct P001 went, but the role still gives it: no loss of access
    assert {(c["employee"], c["permission"], c["change"], c["via"]) for c in doc["changes"]} == {
        (e, "P002", "gained", "role:desk-standard") for e in SELLERS}
    assert doc["summary"]["employees_gaining"] == 4
    assert doc["summary"]["by_permission"]["P002"] == {"gained": 4, "lost": 0}
    text = run_cli("impact", "--root", str(root), "--base", "main").stdout
    assert "gained P002 E000005 (retail-sales) via role:desk-standard" in text


def test_a_permission_made_sensitive_reaches_holders_through_a_role(tmp_path: Path) -> None:
    """P003, given only through desk-base, becomes sensitive: every holder's grant without an expiry is
    now flagged, though their files never spell P003 (a catalog mark is part of the gate: full path)."""
    root = tmp_path / "repo"
    init_repo(root, _org())
    catalog = BASE["catalog.yaml"].replace("  description: Read access to HR systems\n",
                                           "  description: Read access to HR systems\n  sensitive: true\n")
    write_files(root, {"catalog.yaml": catalog})
    commit_change(root)
    full = check_against_base(str(root), "main", TODAY, incremental=False)
    fast = check_against_base(str(root), "main", TODAY)
    assert [f.to_dict() for f in fast.new] == [f.to_dict() for f in full.new]
    assert _new(fast, "expiry-required") == HOLDER_LINES
