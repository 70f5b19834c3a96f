"""``permgate check --base REF`` on real git repositories.

Expected findings are computed independently of permgate: plain ``yaml.safe_load`` for
the catalog and people, and a line scan for the ``- permission:`` lines.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from permgate.rules import BUILTIN_RULES
from permgate.rules.examples import BASE, build
from tests.conftest import SHARED, gen_org, pairs, run_cli
from tests.git_helpers import commit_all, commit_change, git, init_repo, write_files

POLICY = "policies/unbundling.yaml"
# another organisation: PERMGATE_E2E_EMPLOYEES=400 PERMGATE_E2E_SEED=777 python -m pytest tests/basemode
EMPLOYEES = int(os.environ.get("PERMGATE_E2E_EMPLOYEES", "150"))
SEED = int(os.environ.get("PERMGATE_E2E_SEED", "4242"))
DTRS = "distribution-to-retail-sales"


def check_base(root: Path, ref: str, *extra: str) -> tuple[int, dict[str, Any]]:
    commit_change(root)
    result = run_cli("check", "--root", str(root), "--base", ref, "--format", "json", *extra)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def permission_lines(text: str) -> list[tuple[str, int]]:
    """(permission, line) of every ``- permission:`` item, by a plain line scan."""
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        m = re.match(r"\s*- permission: (\S+)\s*$", line)
        if m:
            out.append((m.group(1), n))
    return out


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


# --- the Done-when scenario of issue 3 ---------------------------------------------------


@pytest.fixture(scope="module")
def org_change(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A gen_org organisation in git; the working tree adds one bad grant, transfers one
    distribution employee into retail-sales (moving their file) and deletes the policy file."""
    root = tmp_path_factory.mktemp("org") / "grants"
    expected = gen_org(root, employees=EMPLOYEES, seed=SEED)
    (root / "expected.json").unlink()
    init_repo(root)
    catalog = yaml.safe_load((root / "catalog.yaml").read_text())["permissions"]
    people = yaml.safe_load((root / "people.yaml").read_text())["people"]
    owner = {p["id"]: p["owner_division"] for p in catalog}
    dist_perms = sorted(pid for pid, o in owner.items() if o == "distribution")
    division = {p["id"]: p["division"] for p in people}

    def grants_text(emp: str) -> str:
        return (root / "assignments" / division[emp] / f"{emp}.yaml").read_text()

    # pre-existing violations at the base, computed independently
    preexisting = set()
    for emp, div in division.items():
        if div == "retail-sales":
            for pid, _line in permission_lines(grants_text(emp)):
                if owner[pid] == "distribution":
                    preexisting.add((emp, pid))
    assert len(preexisting) == expected["planted_violations"] > 0

    # 1. one bad grant, appended to a sales employee's file
    manager_of = {p["id"]: p["manager"] for p in people}
    seller = next(e for e in sorted(division) if division[e] == "retail-sales" and manager_of[e]
                  and not any(emp == e for emp, _ in preexisting))
    held = {pid for pid, _ in permission_lines(grants_text(seller))}
    bad_perm = next(p for p in dist_perms if p not in held)
    manager = manager_of[seller]
    seller_path = f"assignments/retail-sales/{seller}.yaml"
    text = grants_text(seller) + (f"  - permission: {bad_perm}\n    granted_by: {manager}\n"
                                  "    granted_on: 2026-01-10\n    reason: \"cover, ticket ACC-99999\"\n")
    (root / seller_path).write_text(text)
    bad_line = permission_lines(text)[-1][1]

    # 2. a distribution employee (managing nobody) transfers into retail-sales
    managers = {p["manager"] for p in people}
    mover = next(e for e in sorted(division) if division[e] == "distribution" and e not in managers)
    people_text = (root / "people.yaml").read_text()
    pattern = re.compile(rf"(- id: {mover}\n(?:  .*\n)*?  division: )distribution\n")
    assert pattern.search(people_text)
    (root / "people.yaml").write_text(pattern.sub(r"\1retail-sales\n", people_text, count=1))
    mover_text = grants_text(mover)
    git(root, "mv", f"assignments/distribution/{mover}.yaml", f"assignments/retail-sales/{mover}.yaml")
    mover_path = f"assignments/retail-sales/{mover}.yaml"
    mover_hits = {(DTRS, mover_path, line) for pid, line in permission_lines(mover_text)
                  if owner[pid] == "distribution"}
    assert mover_hits

    # 3. the policy file is deleted
    policy_text = (root / POLICY).read_text()
    (root / POLICY).unlink()
    policy_line = line_of(policy_text, f"- id: {DTRS}")

    # the added grant breaks the boundary, and its granter (a retail-sales manager) has no
    # authority over a distribution permission; the mover's grants came from their own
    # distribution manager, so only the boundary rule fires on them
    assert division[manager] == "retail-sales"
    new = {(DTRS, seller_path, bad_line), ("granter-authority", seller_path, bad_line), *mover_hits,
           ("policy-changed-with-grants", POLICY, policy_line)}
    return {"root": root, "new": new, "preexisting": preexisting, "bad": (seller_path, bad_line)}


def test_done_when_exactly_the_new_findings_and_a_policy_finding(org_change: dict[str, Any]) -> None:
    code, doc = check_base(org_change["root"], "main")
    assert code == 1
    assert pairs(doc) == org_change["new"]
    summary = doc["summary"]
    # the base, checked on its own: its boundary findings are exactly the planted grants, and
    # every one of its findings is counted as pre-existing (the change removes none)
    clone = org_change["root"].parent / "base-clone"
    if not clone.exists():
        git(org_change["root"].parent, "clone", "-q", "-b", "main", str(org_change["root"]), str(clone))
    _, at_base = _plain(clone)
    assert {(f["employee"], f["permission"]) for f in at_base["findings"] if f["rule"] == DTRS} == \
        org_change["preexisting"]
    assert summary["preexisting"] == {k: at_base["summary"][k] for k in ("errors", "warnings", "notes")}
    assert summary["base"]["ref"] == "main" and len(summary["base"]["commit"]) == 40
    policy = next(f for f in doc["findings"] if f["rule"] == "policy-changed-with-grants")
    assert policy["severity"] == "error"
    assert f"{POLICY} is deleted: rule `{DTRS}` (forbidden-owner, error) is removed" in policy["message"]


def test_sarif_and_github_point_at_the_grant_lines(org_change: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = SHARED / "schemas" / "sarif-schema-2.1.0.json"
    if not schema_path.exists():
        pytest.skip("../shared/schemas/sarif-schema-2.1.0.json is not beside the project")
    root = org_change["root"]
    sarif = json.loads(run_cli("check", "--root", str(root), "--base", "main", "--format", "sarif").stdout)
    jsonschema.validators.validator_for(json.loads(schema_path.read_text()))(
        json.loads(schema_path.read_text())).validate(sarif)
    # a grant's companions (other rules on the grant, listed with its boundary finding) are at its line
    located = {(rule, r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in sarif["runs"][0]["results"]
               for rule in (r["ruleId"], *(c["ruleId"] for c in r["properties"].get("companions", ())))}
    assert located == org_change["new"]
    github = run_cli("check", "--root", str(root), "--base", "main", "--format", "github").stdout
    annotated = {(rule, m.group(2), int(m.group(3)))
                 for m in re.finditer(r"^::(error|warning|notice) file=([^,]+),line=(\d+),col=\d+,title=([^:]+)::(.*)$",
                                      github, re.M)
                 for rule in (m.group(4), *re.findall(r"%0Aalso \w+\[([\w-]+)\]: ", m.group(5)))}
    assert annotated == org_change["new"]


# --- smaller changes on the examples organisation -----------------------------------------


def make_git_repo(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "grants"
    init_repo(root, build(files or {}))
    return root


SALES_E2 = "assignments/retail-sales/E000002.yaml"
DIST_E3 = "assignments/distribution/E000003.yaml"
E3_GRANTS = """\
---
employee: E000003
grants:
  - permission: P002
    granted_by: E000004
    granted_on: 2026-01-05
    reason: "supply-point desk, ticket ACC-00201"
"""


def bad(path: str, line: int) -> set[tuple[str, str, int]]:
    """A distribution permission granted to a seller: across the boundary, and by a granter
    (a retail-sales manager) without authority over a distribution permission."""
    return {(DTRS, path, line), ("granter-authority", path, line)}


def add_grant(text: str, permission: str, granted_by: str = "E000001") -> str:
    return text + (f"  - permission: {permission}\n    granted_by: {granted_by}\n    granted_on: 2026-01-06\n"
                   "    reason: \"ticket ACC-00300\"\n")


def test_a_clean_change_passes(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path)
    write_files(root, {SALES_E2: add_grant(BASE[SALES_E2], "P003")})
    code, doc = check_base(root, "main")
    assert (code, pairs(doc)) == (0, set())


def test_transfer_flags_grants_in_a_file_the_change_did_not_touch(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path, {DIST_E3: E3_GRANTS})
    people = BASE["people.yaml"].replace("  name: Chloe Castro\n  division: distribution",
                                         "  name: Chloe Castro\n  division: retail-sales")
    write_files(root, {"people.yaml": people})
    code, doc = check_base(root, "main")
    assert code == 1
    # the file now sits in the wrong division's folder too: that is new as well
    assert pairs(doc) == {(DTRS, DIST_E3, 4), ("misplaced-file", DIST_E3, 2)}
    related = next(f for f in doc["findings"] if f["rule"] == DTRS)["related"]
    people_line = line_of(people, "- id: E000003")
    assert {"path": "people.yaml", "line": people_line, "column": 3,
            "message": "E000003 Chloe Castro is in retail-sales; E000003 Chloe Castro moves from distribution "
                       "to retail-sales in this change"} in related


def test_catalog_ownership_change_flags_holders_and_is_a_policy_change(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path, {SALES_E2: add_grant(BASE[SALES_E2], "P003")})
    catalog = BASE["catalog.yaml"].replace("  name: hr.read\n  owner_division: corporate",
                                           "  name: hr.read\n  owner_division: distribution")
    write_files(root, {"catalog.yaml": catalog})
    code, doc = check_base(root, "main")
    p003 = line_of(catalog, "- id: P003")
    assert code == 1
    # the holder is now across the boundary, and their granter (retail-sales) no longer has authority
    assert pairs(doc) == {(DTRS, SALES_E2, 8), ("granter-authority", SALES_E2, 8),
                          ("policy-change", "catalog.yaml", p003)}
    change = next(f for f in doc["findings"] if f["rule"] == "policy-change")
    assert change["message"].startswith("P003 hr.read changes owner_division corporate -> distribution")
    assert change["severity"] == "warning"


def test_loosened_policy_still_gates_the_change(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path)
    loosened = BASE[POLICY].replace("grantee_divisions: [retail-sales]", "grantee_divisions: [corporate]")
    write_files(root, {POLICY: loosened, SALES_E2: add_grant(BASE[SALES_E2], "P002")})
    code, doc = check_base(root, "main")
    assert code == 1
    assert pairs(doc) == bad(SALES_E2, 8) | {("policy-changed-with-grants", POLICY, 3)}
    finding = next(f for f in doc["findings"] if f["rule"] == "policy-changed-with-grants")
    assert "grantee_divisions [retail-sales] -> [corporate]" in finding["message"]
    assert SALES_E2 in finding["message"]


def test_severity_lowered_in_config_keeps_the_base_severity(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path)
    write_files(root, {"permgate.yaml": f"---\nseverity:\n  {DTRS}: note\n",
                       SALES_E2: add_grant(BASE[SALES_E2], "P002")})
    code, doc = check_base(root, "main")
    assert code == 1
    assert pairs(doc) == bad(SALES_E2, 8) | {("policy-changed-with-grants", "permgate.yaml", 3)}
    assert {f["rule"]: f["severity"] for f in doc["findings"]}[DTRS] == "error"


def test_deleting_the_policy_alone_is_a_warning(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path, {SALES_E2: add_grant(BASE[SALES_E2], "P002")})
    (root / POLICY).unlink()
    code, doc = check_base(root, "main")
    assert (code, pairs(doc)) == (0, {("policy-change", POLICY, 3)})
    # the boundary finding, listed with granter-authority as its companion: one finding
    assert doc["summary"]["preexisting"]["errors"] == 1


def test_preexisting_findings_are_counted_not_reported(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path, {SALES_E2: add_grant(BASE[SALES_E2], "P002")})
    e2 = add_grant(add_grant(BASE[SALES_E2], "P002"), "P003")
    write_files(root, {SALES_E2: e2})
    code, doc = check_base(root, "main")
    assert (code, pairs(doc)) == (0, set())
    assert doc["summary"]["preexisting"] == {"errors": 1, "warnings": 0, "notes": 0}  # one, with a companion
    text = run_cli("check", "--root", str(root), "--base", "main").stdout
    # incremental: only E000002 was re-evaluated, and the summary says so
    assert text.endswith("re-evaluated for 1 employee the change touches; new against main "
                         f"({git(root, 'rev-parse', 'main')[:12]}), pre-existing findings of the 1 employee "
                         "re-evaluated: 1 (not shown), of the others not evaluated\n")


def test_preexisting_findings_of_untouched_employees_are_said_not_evaluated(tmp_path: Path) -> None:
    """The incremental path never evaluates the employees a change does not touch: their
    pre-existing findings are not counted, and the summary must not read as if there were none."""
    # at the base: E000001 granted themself P001; E000002 has no finding
    e1 = "assignments/retail-sales/E000001.yaml"
    root = make_git_repo(tmp_path, {e1: BASE[SALES_E2].replace("employee: E000002", "employee: E000001")})
    plain = json.loads(run_cli("check", "--root", str(root), "--format", "json", "--no-cache").stdout)
    assert ("self-grant", e1, 4) in pairs(plain)
    others = plain["summary"]["errors"]
    # the change touches only E000002: the reason of their clean grant
    write_files(root, {SALES_E2: BASE[SALES_E2].replace("onboarding", "onboarding (reworded)")})
    code, doc = check_base(root, "main")
    assert (code, pairs(doc)) == (0, set())
    assert doc["summary"]["incremental"] == {"employees": 1}
    assert doc["summary"]["preexisting"] == {"errors": 0, "warnings": 0, "notes": 0}
    text = run_cli("check", "--root", str(root), "--base", "main").stdout
    assert text.endswith("pre-existing findings of the 1 employee re-evaluated: 0 (not shown), "
                         "of the others not evaluated\n")
    assert "0 pre-existing findings not shown" not in text
    md = run_cli("check", "--root", str(root), "--base", "main", "--format", "markdown").stdout
    assert ("of the 1 employee the change touches (re-evaluated), 0 findings already existed there and are not "
            "listed; the findings of the other employees were not evaluated") in md
    # the full path (a change to permgate.yaml declines the incremental run) counts them all
    write_files(root, {"permgate.yaml": "severity:\n  expired-grant: error\n"})
    commit_all(root, "a gate change")
    text = run_cli("check", "--root", str(root), "--base", "main").stdout
    assert text.endswith(f"{others} pre-existing finding{'s' if others != 1 else ''} not shown\n")

def test_a_second_copy_of_a_finding_is_new(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path, {SALES_E2: add_grant(add_grant(BASE[SALES_E2], "P003"), "P003")})
    text = add_grant((root / SALES_E2).read_text(), "P003")
    write_files(root, {SALES_E2: text})
    code, doc = check_base(root, "main")
    assert code == 1
    assert pairs(doc) == {("duplicate-grant", SALES_E2, permission_lines(text)[-1][1])}


def test_an_untracked_grants_file_is_checked(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path)
    write_files(root, {"assignments/retail-sales/E000001.yaml": add_grant("---\nemployee: E000001\ngrants:\n",
                                                                             "P002", "E000004")})
    code, doc = check_base(root, "main")
    assert (code, pairs(doc)) == (1, bad("assignments/retail-sales/E000001.yaml", 4))


# --- every rule that judges a change runs its documented examples -------------------------

CHANGE_RULES = [r for r in BUILTIN_RULES if r.doc.bad.base is not None]


def test_the_change_rules_are_registered() -> None:
    assert {r.id for r in CHANGE_RULES} == {"policy-change", "policy-changed-with-grants",
                                            "grant-depends-on-directory-change", "grant-depends-on-gate-change",
                                            "baseline-change", "review-change", "role-change", "mass-change"}


@pytest.mark.parametrize("rule", CHANGE_RULES, ids=lambda r: r.id)
def test_change_rules_are_silent_without_base(rule: Any, tmp_path: Path) -> None:
    """tests/rules/test_examples.py runs the documented examples with --base; without it, nothing."""
    root = tmp_path / "grants"
    write_files(root, build(rule.doc.bad.files))
    _, plain = _plain(root)
    assert not pairs(plain, rule.id)


def _plain(root: Path) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", "--root", str(root), "--format", "json")
    return result.exit_code, json.loads(result.stdout)


def test_grant_depends_on_directory_change_message(tmp_path: Path) -> None:
    rule = next(r for r in CHANGE_RULES if r.id == "grant-depends-on-directory-change")
    root = make_git_repo(tmp_path)
    write_files(root, dict(rule.doc.bad.files))
    _, doc = check_base(root, "main")
    f = next(f for f in doc["findings"] if f["rule"] == rule.id)
    assert f["message"] == ("P002 held by E000002 Ben Baker would break rule `distribution-to-retail-sales` in "
                            "retail-sales (their division at main); it is allowed only because this change moves "
                            "them to distribution (people.yaml:8)")
    assert (f["severity"], f["employee"], f["permission"]) == ("warning", "E000002", "P002")


def test_commit_all_is_deterministic(tmp_path: Path) -> None:
    a = init_repo(tmp_path / "a", dict(BASE))
    b = init_repo(tmp_path / "b", dict(BASE))
    assert a == b
    write_files(tmp_path / "a", {"x.txt": "x"})
    assert commit_all(tmp_path / "a", "x") != a


WAIVERS = """\
---
waivers:
  - rule: self-grant
    employee: E000002
    permission: P003
    reason: "cover while the manager is away"
    ticket: ACC-00150
    approved_by: E000001
    approved_on: 2026-05-01
    expires: 2026-07-31
"""


def test_a_waiver_added_with_the_grant_it_excuses_is_an_error(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path)
    write_files(root, {SALES_E2: add_grant(BASE[SALES_E2], "P003", "E000002"), "policies/waivers.yaml": WAIVERS})
    code, doc = check_base(root, "main", "--today", "2026-06-01")
    assert code == 1
    assert pairs(doc) == {("self-grant", SALES_E2, 8), ("policy-changed-with-grants", "policies/waivers.yaml", 3)}
    waived = next(f for f in doc["findings"] if f["rule"] == "self-grant")
    assert waived["waived"]["ticket"] == "ACC-00150"
    gate = next(f for f in doc["findings"] if f["rule"] == "policy-changed-with-grants")
    assert gate["message"] == (
        "policies/waivers.yaml is added: waiver of `self-grant` for E000002/P003 (until 2026-07-31, ticket "
        "ACC-00150, approved by E000001) is added; the same change edits 1 grants file(s) "
        f"({SALES_E2}): change the gate in a pull request of its own, then the grants")


def test_a_settings_change_is_said_in_words(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path)
    write_files(root, {"policies/governance.yaml": "---\nsettings:\n  waivers:\n    max_days: 90\n"})
    code, doc = check_base(root, "main")
    assert (code, pairs(doc)) == (0, {("policy-change", "policies/governance.yaml", 3)})
    assert doc["findings"][0]["message"] == (
        "policies/governance.yaml is added: settings of `waivers` change: max_days (none) -> 90; the rules as "
        "they are at main still apply to this change; review it as a change to the gate itself")


def test_loosened_settings_still_gate_the_change(tmp_path: Path) -> None:
    settings = "---\nsettings:\n  bulk-grant:\n    max_added: {}\n"
    two_more = add_grant(add_grant(BASE[SALES_E2], "P003"), "P004")  # P004 is retired: line 12
    root = make_git_repo(tmp_path, {"policies/settings.yaml": settings.format(1)})
    write_files(root, {"policies/settings.yaml": settings.format(5), SALES_E2: two_more})
    code, doc = check_base(root, "main")
    assert code == 1
    assert pairs(doc) == {("bulk-grant", SALES_E2, 2), ("retired-permission", SALES_E2, 12),
                          ("policy-changed-with-grants", "policies/settings.yaml", 3)}
    bulk = next(f for f in doc["findings"] if f["rule"] == "bulk-grant")
    assert bulk["message"] == "this change adds 2 grants to E000002 Ben Baker (more than 1 at once)"
    gate = next(f for f in doc["findings"] if f["rule"] == "policy-changed-with-grants")
    assert "settings of `bulk-grant` change: max_added 1 -> 5" in gate["message"]
    # with the same settings on both sides, the change's own settings decide
    root2 = tmp_path / "same"
    init_repo(root2, build({"policies/settings.yaml": settings.format(5)}))
    write_files(root2, {SALES_E2: two_more})
    assert check_base(root2, "main") == (1, check_base(root2, "main")[1])
    assert pairs(check_base(root2, "main")[1]) == {("retired-permission", SALES_E2, 12)}


BROKEN = "---\nemployee: E000002\ngrants:\n  - permission: [P001\n"


def test_a_changed_file_still_broken_in_another_way_is_new(tmp_path: Path) -> None:
    """A file-level finding in a file the change touched is new unless its message is the base's too."""
    root = make_git_repo(tmp_path, {SALES_E2: BROKEN})
    _, before = check_base(root, "main")
    assert pairs(before) == set()  # nothing changed yet: the broken file is pre-existing
    write_files(root, {SALES_E2: BROKEN + "  - {\n"})   # still broken, the same problem
    code, doc = check_base(root, "main")
    assert (code, pairs(doc)) == (0, set())
    assert doc["summary"]["preexisting"]["errors"] == 1
    write_files(root, {SALES_E2: "---\nemployee: E000002\ngrants: 5\n"})   # still broken, another problem
    code, doc = check_base(root, "main")
    assert (code, pairs(doc)) == (1, {("invalid-file", SALES_E2, 3)})
    assert doc["findings"][0]["message"].startswith("grants: expected a list")


def test_a_policy_severity_lowered_by_the_change_keeps_the_stricter_level(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path)
    lowered = BASE[POLICY].replace("severity: error", "severity: note")
    write_files(root, {POLICY: lowered, SALES_E2: add_grant(BASE[SALES_E2], "P002")})
    code, doc = check_base(root, "main")
    assert code == 1
    assert pairs(doc, DTRS) == {(DTRS, SALES_E2, 8)}
    assert [f["severity"] for f in doc["findings"] if f["rule"] == DTRS] == ["error"]
    # and the other way round: raised by the change, the change's level applies
    root2 = make_git_repo(tmp_path / "raised", {POLICY: lowered})
    write_files(root2, {POLICY: BASE[POLICY], SALES_E2: add_grant(BASE[SALES_E2], "P002")})
    _, doc = check_base(root2, "main")
    assert [f["severity"] for f in doc["findings"] if f["rule"] == DTRS] == ["error"]


def test_a_severity_raised_by_the_change_applies_to_the_change(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path)
    expired = BASE[SALES_E2] + ("  - permission: P003\n    granted_by: E000001\n    granted_on: 2026-01-06\n"
                                "    reason: \"ticket ACC-00300\"\n    expires: 2026-03-01\n")
    write_files(root, {"permgate.yaml": "---\nseverity:\n  expired-grant: error\n", SALES_E2: expired})
    code, doc = check_base(root, "main", "--today", "2026-06-01")
    assert code == 1
    assert pairs(doc, "expired-grant") == {("expired-grant", SALES_E2, 8)}
    assert [f["severity"] for f in doc["findings"] if f["rule"] == "expired-grant"] == ["error"]


def test_a_manager_change_is_explained_as_one(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path)
    people = BASE["people.yaml"].replace("  division: retail-sales\n  manager: E000001",
                                         "  division: retail-sales\n  manager: E000004")
    write_files(root, {"people.yaml": people})
    code, doc = check_base(root, "main")
    assert (code, pairs(doc)) == (1, {("granter-authority", SALES_E2, 4)})
    assert doc["findings"][0]["related"] == [
        {"path": "people.yaml", "line": line_of(people, "- id: E000002"), "column": 3,
         "message": "E000002 Ben Baker reports to E000004; E000002 Ben Baker's manager changes in this change"}]


def test_a_holder_whose_directory_entry_did_not_change_gets_no_people_note(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path, {SALES_E2: add_grant(BASE[SALES_E2], "P003")})
    catalog = BASE["catalog.yaml"].replace("  name: hr.read\n  owner_division: corporate",
                                           "  name: hr.read\n  owner_division: distribution")
    write_files(root, {"catalog.yaml": catalog})
    _, doc = check_base(root, "main")
    boundary = next(f for f in doc["findings"] if f["rule"] == DTRS)
    people_notes = [r["message"] for r in boundary["related"] if r["path"] == "people.yaml"]
    assert people_notes == ["E000002 Ben Baker is in retail-sales"]
    # the catalog line it cites says what the change did to it
    catalog_notes = [r["message"] for r in boundary["related"] if r["path"] == "catalog.yaml"]
    assert catalog_notes == ["P003 hr.read is owned by distribution; P003 hr.read changes in this change "
                             "(owner_division corporate -> distribution)"]


def _full(root: Path) -> None:
    """A comment in the catalog: part of the gate, so the change is judged on both whole trees."""
    write_files(root, {"catalog.yaml": BASE["catalog.yaml"].replace("---\n", "---\n# reviewed\n", 1)})


def test_the_same_finding_for_another_employee_is_new(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path, {SALES_E2: add_grant(BASE[SALES_E2], "P002")})  # pre-existing at line 8
    e1 = "assignments/retail-sales/E000001.yaml"
    # the change takes it from one seller and gives it to another
    write_files(root, {SALES_E2: BASE[SALES_E2], e1: add_grant("---\nemployee: E000001\ngrants:\n", "P002", "E000004")})
    _full(root)
    code, doc = check_base(root, "main")
    assert (code, pairs(doc, DTRS)) == (1, {(DTRS, e1, 4)})


def test_of_one_key_the_copy_in_the_changed_file_is_new(tmp_path: Path) -> None:
    """E000002 holds P002 in an untouched file; the change grants it again in a second file of theirs."""
    second = "assignments/retail-sales/desk-a/E000002.yaml"
    root = make_git_repo(tmp_path, {SALES_E2: add_grant(BASE[SALES_E2], "P002")})
    write_files(root, {second: add_grant("---\nemployee: E000002\ngrants:\n", "P002")})
    _full(root)
    _, doc = check_base(root, "main")
    assert pairs(doc, DTRS) == {(DTRS, second, 4)}


def test_a_third_copy_of_a_finding_is_new_and_the_second_is_not(tmp_path: Path) -> None:
    three = add_grant(add_grant(add_grant(BASE[SALES_E2], "P003"), "P003"), "P003")  # duplicates at 12, 16
    root = make_git_repo(tmp_path, {SALES_E2: three})
    write_files(root, {SALES_E2: add_grant(three, "P003")})                          # and 20
    _full(root)
    code, doc = check_base(root, "main")
    assert (code, pairs(doc)) == (1, {("duplicate-grant", SALES_E2, 20)})


def test_a_catalog_entry_that_only_moved_is_not_said_to_change(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path, {DIST_E3: E3_GRANTS})
    people = BASE["people.yaml"].replace("  name: Chloe Castro\n  division: distribution",
                                         "  name: Chloe Castro\n  division: retail-sales")
    write_files(root, {"people.yaml": people})
    _full(root)   # P002's catalog entry moves down a line, unchanged
    _, doc = check_base(root, "main")
    boundary = next(f for f in doc["findings"] if f["rule"] == DTRS)
    assert [r for r in boundary["related"] if r["path"] == "catalog.yaml"] == [
        {"path": "catalog.yaml", "line": 9, "column": 3, "message": "P002 supply-points.read is owned by distribution"}]


def test_a_config_override_with_a_lowered_policy_keeps_the_strictest_default(tmp_path: Path) -> None:
    """The change lowers the policy to note and sets warning in permgate.yaml: the base's error still rules."""
    root = make_git_repo(tmp_path)
    write_files(root, {POLICY: BASE[POLICY].replace("severity: error", "severity: note"),
                       "permgate.yaml": f"---\nseverity:\n  {DTRS}: warning\n",
                       SALES_E2: add_grant(BASE[SALES_E2], "P002")})
    _, doc = check_base(root, "main")
    assert [f["severity"] for f in doc["findings"] if f["rule"] == DTRS] == ["error"]


def test_an_unknown_rule_in_the_changed_config_is_an_error(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path)
    write_files(root, {"permgate.yaml": "---\nseverity:\n  no-such-rule: warning\n"})
    commit_change(root)  # --base judges the commit
    result = run_cli("check", "--root", str(root), "--base", "main")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("Error: permgate.yaml:3:")
    assert "unknown rule `no-such-rule`" in result.stderr


def test_a_severity_override_the_change_deletes_still_applies(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path, {"permgate.yaml": "---\nseverity:\n  expired-grant: error\n"})
    expired = BASE[SALES_E2] + ("  - permission: P003\n    granted_by: E000001\n    granted_on: 2026-01-06\n"
                                "    reason: \"ticket ACC-00300\"\n    expires: 2026-03-01\n")
    write_files(root, {"permgate.yaml": "", SALES_E2: expired})
    code, doc = check_base(root, "main", "--today", "2026-06-01")
    assert code == 1
    assert pairs(doc, "expired-grant") == {("expired-grant", SALES_E2, 8)}
    assert [f["severity"] for f in doc["findings"] if f["rule"] == "expired-grant"] == ["error"]


def test_a_finding_of_both_versions_of_a_rule_cites_the_rule_as_the_change_has_it(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path)
    widened = "---\n# the boundary\n" + BASE[POLICY].split("---\n", 1)[1].replace(
        "grantee_divisions: [retail-sales]", "grantee_divisions: [retail-sales, marketing]")
    write_files(root, {POLICY: widened, SALES_E2: add_grant(BASE[SALES_E2], "P002")})
    _, doc = check_base(root, "main")
    assert pairs(doc, DTRS) == {(DTRS, SALES_E2, 8)}
    boundary = next(f for f in doc["findings"] if f["rule"] == DTRS)
    assert [(r["path"], r["line"]) for r in boundary["related"] if r["path"] == POLICY] == [(POLICY, 4)]
