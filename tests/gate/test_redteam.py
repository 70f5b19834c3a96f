"""Red-team pull requests that get past ``check --base`` as the CI recipe runs it.

Each test builds the grants repository at ``main`` (``permgate.rules.examples``), the pull request
on a branch, GitHub's merge commit (``git merge --no-ff``), a fresh ``git clone`` checked out at
that merge commit, and runs ``python -m permgate check --base <first parent>`` there, exactly as
``examples/github-workflow.yml`` does.  Each asserts what must happen (exit 1 with a finding at
the grant's path:line).  Each was a bypass found by a red-team session (exit 0) and is fixed; the
threat model in docs/security.md names the fix.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from permgate.change.basemode import check_against_base
from permgate.rules.examples import BASE, build
from tests.conftest import run_cli
from tests.git_helpers import GIT_ENV, commit_all, git, init_repo, write_files

F2 = "assignments/retail-sales/E000002.yaml"
TODAY = "2026-02-01"
BOUNDARY = "distribution-to-retail-sales"


def ci_run(tmp_path: Path, change: Mapping[str, str], base: Mapping[str, str] | None = None,
           moves: Sequence[tuple[str, str]] = ()) -> tuple[int, list[dict[str, Any]], str, Path, str]:
    """The CI recipe: ``main`` holds ``build(base)``; ``change`` on a branch; merge --no-ff; fresh
    clone checked out at the merge commit; ``permgate check --base <HEAD^1>`` (JSON).

    Returns (exit code, findings, stderr, clone, base commit)."""
    upstream = tmp_path / "upstream"
    init_repo(upstream, build(dict(base or {})))
    git(upstream, "checkout", "-q", "-b", "pr")
    for old, new in moves:
        git(upstream, "mv", old, new)
    write_files(upstream, change)
    commit_all(upstream, "the pull request")
    git(upstream, "checkout", "-q", "main")
    git(upstream, "merge", "-q", "--no-ff", "-m", "Merge pull request #1", "pr")
    merge = git(upstream, "rev-parse", "HEAD").strip()
    clone = tmp_path / "clone"
    env = dict(os.environ, **GIT_ENV)
    subprocess.run(["git", "clone", "-q", str(upstream), str(clone)], check=True, env=env)
    git(clone, "checkout", "-q", "--detach", merge)
    first_parent = git(clone, "rev-parse", "HEAD^1").strip()
    proc = subprocess.run([sys.executable, "-m", "permgate", "check", "--base", first_parent, "--today", TODAY,
                           "--format", "json"], cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1, 2), proc.stderr
    findings: list[dict[str, Any]] = json.loads(proc.stdout)["findings"] if proc.stdout.strip() else []
    return proc.returncode, findings, proc.stderr, clone, first_parent


def at(findings: list[dict[str, Any]]) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["path"], f["line"]) for f in findings}


def grant(permission: str, by: str = "E000001", on: str = "2026-01-05", expires: str | None = None,
          reason: str = "desk cover, ticket ACC-00120") -> str:
    text = (f"  - permission: {permission}\n    granted_by: {by}\n    granted_on: {on}\n"
            f"    reason: \"{reason}\"\n")
    return text + (f"    expires: {expires}\n" if expires else "")


# --- 1. renewing an expired cross-boundary grant ------------------------------------------------

EXPIRED = BASE[F2] + grant("P002", by="E000003", on="2025-01-05", expires="2025-06-30",
                           reason="storm cover, ticket ACC-00110")
RENEWED = EXPIRED.replace("expires: 2025-06-30", "expires: 2027-06-30")


def test_renewing_an_expired_cross_boundary_grant_is_a_new_finding(tmp_path: Path) -> None:
    code, findings, stderr, clone, base = ci_run(tmp_path, {F2: RENEWED}, base={F2: EXPIRED})
    # the incremental and the full --base paths agree on the verdict (the bypass is not path-specific)
    full = check_against_base(str(clone), base, dt.date.fromisoformat(TODAY), incremental=False)
    assert code == 1, (stderr, findings)
    assert (BOUNDARY, F2, 8) in at(findings)
    assert (BOUNDARY, F2, 8) in {(f.rule, f.path, f.line) for f in full.new}


# --- 2. an id that YAML 1.2 reads as a number --------------------------------------------------

# Two catalog entries whose ids differ only as YAML 1.2 reads them: "9" (distribution) and "09"
# (retail-sales), both quoted, so every reader agrees on the catalog.
NUMERIC_CATALOG = BASE["catalog.yaml"] + (
    "- id: \"9\"\n  name: meter-reads.read\n  owner_division: distribution\n"
    "  description: Read half-hourly meter reads of every supply point\n"
    "- id: \"09\"\n  name: tariff-sheet.read\n  owner_division: retail-sales\n"
    "  description: Read the retail tariff sheets\n")
# PyYAML (YAML 1.1) reads the plain scalar 09 as the string "09" (its octal form needs 0-7 only);
# a YAML 1.2 reader (core schema int: [-+]?[0-9]+; ruamel.yaml gives 9) reads the number 9,
# i.e. the distribution permission "9".  yamldoc refuses 0o17 and 1e3 but not 09 / 0128 / 0089.
YAML12_INT = re.compile(r"[-+]?[0-9]+")


def test_an_id_that_yaml_1_2_reads_as_a_number_is_refused(tmp_path: Path) -> None:
    assert YAML12_INT.fullmatch("09") and int("09") == 9  # what a YAML 1.2 reader makes of it
    sneaky = BASE[F2] + grant("09", reason="tariff desk, ticket ACC-00130")
    code, findings, stderr, _, _ = ci_run(tmp_path, {F2: sneaky}, base={"catalog.yaml": NUMERIC_CATALOG})
    assert code == 1, (stderr, findings)
    # "quote it", at the permission line, like `0123` and `1e3`
    assert ("invalid-file", F2, 8) in at(findings)


# --- 3. a grants folder that differs only by case -----------------------------------------------

CASE_FOLDED = "Assignments/retail-sales/E000002.yml"


def test_a_grants_folder_that_differs_only_by_case_is_not_skipped_in_silence(tmp_path: Path) -> None:
    code, findings, stderr, _, _ = ci_run(tmp_path, {CASE_FOLDED: BASE[F2] + grant("P002")})
    assert code == 1, (stderr, findings)
    assert any(f["path"] == CASE_FOLDED for f in findings), findings


# --- 4. a sensitive grant dated in the future ---------------------------------------------------

FUTURE = BASE[F2] + grant("P006", on="2099-01-01", expires="2099-06-01", reason="payroll cover, ticket ACC-00140")


def test_a_sensitive_grant_dated_in_the_future_does_not_escape_its_expiry(tmp_path: Path) -> None:
    code, findings, stderr, _, _ = ci_run(tmp_path, {F2: FUTURE})
    assert code == 1, (stderr, findings)
    assert any((f["path"], f["line"]) == (F2, 8) for f in findings), findings


# --- 5. a stale baseline entry accepts a grant the pull request adds ----------------------------

# The base's baseline still lists a granter-authority finding whose grant was revoked since
# (baseline-unused at the base, a warning): the entry covers "rule + employee + permission", not
# the grant it was written for.
STALE_BASELINE = ("created: 2026-01-10\nexpires: 2026-06-30\nfindings:\n"
                  "- {rule: granter-authority, employee: E000002, permission: P003}\n")


def test_a_stale_baseline_entry_does_not_accept_a_grant_the_change_adds(tmp_path: Path) -> None:
    change = {F2: BASE[F2] + grant("P003", by="E000004"), "docs/.gitattributes": "*.md text\n"}
    code, findings, stderr, _, _ = ci_run(tmp_path, change, base={"policies/baseline.yaml": STALE_BASELINE})
    assert code == 1, (stderr, findings)
    assert ("granter-authority", F2, 8) in {(f["rule"], f["path"], f["line"]) for f in findings
                                            if not f.get("baselined")}


def test_a_case_twin_of_any_folder_on_the_way_to_the_grants_folder_is_read_as_findings(
        make_repo: Callable[..., Path]) -> None:
    """The grants folder relocated to ``data/assignments``: a ``Data/assignments/`` beside ``data/`` joins it
    on a case-insensitive checkout, as ``Assignments/`` joins ``assignments/``."""
    twin = "Data/assignments/retail-sales/E000002.yml"
    moved = {f"data/{path}": text for path, text in BASE.items() if path.startswith("assignments/")}
    root = make_repo({**moved, "permgate.yaml": "---\npaths:\n  assignments: data/assignments\n",
                      twin: BASE[F2] + grant("P002")})
    for path in BASE:
        if path.startswith("assignments/"):
            (root / path).unlink()
    result = run_cli("check", "--root", str(root), "--format", "json")
    assert result.exit_code == 1, result.output
    found = {(f["rule"], f["path"], f["line"]) for f in json.loads(result.stdout)["findings"]}
    assert ("invalid-file", twin, 1) in found


# --- 6. mass-change: renewing expired grants gives access the rule did not count -----------------

# Four sellers held P001 until 2025-12-31 (expired at the base: no access).  The pull request renews
# all four: four people regain access, more than ``max_new_holders: 2``, with no approval.  The rule
# compared the grants held, expired or not, so nobody "gained" anything (exit 0).
SELLERS = ("E000002", "E000005", "E000006", "E000007")
MASS_PEOPLE = BASE["people.yaml"] + "".join(
    f"- id: {e}\n  name: Seller {e[-1]}\n  division: retail-sales\n  manager: E000001\n" for e in SELLERS[1:])
MASS_SETTINGS = "---\nsettings:\n  mass-change:\n    max_new_holders: 2\n"


def grants_file(employee: str, body: str) -> str:
    return f"---\nemployee: {employee}\ngrants:\n{body}"


def test_renewing_expired_grants_for_many_people_is_a_mass_change(tmp_path: Path) -> None:
    base = {"people.yaml": MASS_PEOPLE, "policies/mass.yaml": MASS_SETTINGS}
    base |= {f"assignments/retail-sales/{e}.yaml": grants_file(e, grant("P001", on="2025-01-05", expires="2025-12-31"))
             for e in SELLERS}
    change = {f"assignments/retail-sales/{e}.yaml": grants_file(e, grant("P001", on="2025-01-05",
                                                                         expires="2026-12-31")) for e in SELLERS}
    code, findings, stderr, clone, first = ci_run(tmp_path, change, base=base)
    full = check_against_base(str(clone), first, dt.date.fromisoformat(TODAY), incremental=False)
    assert code == 1, (stderr, findings)
    assert ("mass-change", "policies/mass.yaml", 3) in at(findings)
    assert ("mass-change", "policies/mass.yaml", 3) in {(f.rule, f.path, f.line) for f in full.new}
    assert "gives 4 people P001" in next(f["message"] for f in findings if f["rule"] == "mass-change")
    # the message sends the reviewer to `permgate impact`, which counts the same people
    impact = run_cli("impact", "--root", str(clone), "--base", first, "--today", TODAY, "--format", "json")
    assert impact.exit_code == 0, impact.output
    listed = json.loads(impact.stdout)
    assert [(c["employee"], c["permission"], c["change"]) for c in listed["changes"]] == \
        [(e, "P001", "gained") for e in sorted(SELLERS)]
    # on a day when the renewed grants have expired again, nobody gains anything
    later = run_cli("impact", "--root", str(clone), "--base", first, "--today", "2027-01-01", "--format", "json")
    assert json.loads(later.stdout)["changes"] == []


# --- 7. mass-change: a waiver approved by the granter of the mass change, or by a new holder -----------

# A waiver names an approver who is neither the grantee nor the granter (docs/waivers.md); a
# mass-change waiver names no employee, so neither check ran: the manager who grants P007 to every
# seller approves the reach of his own change (or one of the sellers does).  The register entry was
# merged before (a register change together with the grants is `policy-changed-with-grants`).
MASS_CATALOG = BASE["catalog.yaml"] + (
    "- id: P007\n  name: billing.write\n  owner_division: retail-sales\n  description: Correct bills\n")


def mass_waiver(approver: str) -> str:
    return ("---\nwaivers:\n  - rule: mass-change\n    permission: P007\n    reason: \"desk re-organisation\"\n"
            f"    ticket: ACC-00300\n    approved_by: {approver}\n    approved_on: 2026-01-20\n"
            "    expires: 2026-03-01\n")


@pytest.mark.parametrize("approver", ["E000001", "E000005"], ids=["the-granter", "a-new-holder"])
def test_a_mass_change_waiver_approved_by_its_granter_or_a_new_holder_approves_nothing(
        tmp_path: Path, approver: str) -> None:
    code, findings, stderr = _mass_waived_by(tmp_path, approver)
    assert code == 1, (stderr, findings)
    finding = next(f for f in findings if f["rule"] == "mass-change")
    assert (finding["path"], finding["line"], finding["waived"]) == ("policies/mass.yaml", 3, None)
    assert f"approved_by {approver} grants or gains P007 in this change" in finding["message"]


def test_a_mass_change_waiver_approved_by_someone_outside_the_change_still_approves_it(tmp_path: Path) -> None:
    code, findings, stderr = _mass_waived_by(tmp_path, "E000004")
    assert code == 0, (stderr, findings)
    assert [(f["rule"], f["waived"]["approved_by"]) for f in findings] == [("mass-change", "E000004")]


def _mass_waived_by(tmp_path: Path, approver: str) -> tuple[int, list[dict[str, Any]], str]:
    """E000001 grants P007 to the four sellers; the register (merged before) approves P007's new holders."""
    base = {"people.yaml": MASS_PEOPLE, "catalog.yaml": MASS_CATALOG, "policies/mass.yaml": MASS_SETTINGS,
            "policies/waivers.yaml": mass_waiver(approver)}
    base |= {f"assignments/retail-sales/{e}.yaml": grants_file(e, grant("P001")) for e in SELLERS}
    change = {f"assignments/retail-sales/{e}.yaml": grants_file(e, grant("P001") + grant("P007", by="E000001"))
              for e in SELLERS}
    code, findings, stderr, clone, first = ci_run(tmp_path, change, base=base)
    full = check_against_base(str(clone), first, dt.date.fromisoformat(TODAY), incremental=False)
    assert [f for f in findings if f["rule"] == "mass-change"] == [f.to_dict() for f in full.new
                                                                   if f.rule == "mass-change"]
    return code, findings, stderr


# --- 8. an unreadable grants file hidden by a severity override ------------------------------------

# `--select`/`--ignore` and `rules: {invalid-file: off}` cannot leave out input permgate could not read,
# but `severity: {invalid-file: note}` in permgate.yaml could: a note never fails the run.  In --base
# mode the change's own override was raised back (stricter of both sides), so the pull request that
# lowers it passed with a `policy-change` warning (exit 0), and the next one hid a distribution grant
# in a file that does not parse (exit 0, one note).
UNREAD_CONFIG = "---\nseverity:\n  invalid-file: note\n"
UNREADABLE = BASE[F2] + grant("P002") + "  - permission: [\n"


def test_lowering_invalid_file_to_a_note_is_refused_in_the_change_that_does_it(tmp_path: Path) -> None:
    code, findings, stderr, _, _ = ci_run(tmp_path, {"permgate.yaml": UNREAD_CONFIG})
    assert code == 2, (stderr, findings)
    assert stderr.startswith("Error: permgate.yaml:3:3: severity: `invalid-file` reports input permgate could not "
                             "read"), stderr


def test_a_lowered_invalid_file_at_the_base_does_not_let_an_unreadable_file_through(tmp_path: Path) -> None:
    code, findings, stderr, clone, _ = ci_run(tmp_path, {F2: UNREADABLE}, base={"permgate.yaml": UNREAD_CONFIG})
    assert code == 2, (stderr, findings)
    assert stderr.startswith("Error: permgate.yaml:3:3: severity: `invalid-file`"), stderr
    plain = run_cli("check", "--root", str(clone), "--today", TODAY)
    assert plain.exit_code == 2 and plain.stderr.startswith("Error: permgate.yaml:3:3: "), plain.stderr


def test_raising_a_rule_that_reports_unreadable_input_is_allowed(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F2: UNREADABLE, "permgate.yaml": "---\nseverity:\n  baseline-unused: warning\n"
                      "  invalid-file: error\n"})
    result = run_cli("check", "--root", str(root), "--format", "json")
    assert result.exit_code == 1, result.stderr
    assert ("invalid-file", F2, 13) in at(json.loads(result.stdout)["findings"])
