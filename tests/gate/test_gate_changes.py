"""Everything that decides a verdict is part of the gate (issue 19, classes 2, 5, 8).

Each attack is a real git repository built as the CI recipe sees it (``tests/test_ci_recipe.py``):
the change on a branch, merged with ``--no-ff`` into ``main``, checked out detached at the merge
commit, and ``permgate check --base <first parent>`` run there.  Each attack must fail (exit 1)
with its finding at its path:line, and the incremental and the full ``--base`` paths must agree.
Each legitimate change must pass (exit 0) with no ``Error:``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from permgate.change.basemode import check_against_base
from permgate.change.judge import BaseOutcome
from permgate.rules.examples import BASE, build
from tests.conftest import run_cli
from tests.git_helpers import commit_all, git, init_repo, write_files

F2 = "assignments/retail-sales/E000002.yaml"
F9 = "assignments/distribution/E000009.yaml"
CATALOG = BASE["catalog.yaml"]
PEOPLE = BASE["people.yaml"]
TODAY = "2026-02-01"
GATE = "grant-depends-on-gate-change"
WITH_GRANTS = "policy-changed-with-grants"


def grant(permission: str, by: str = "E000001") -> str:
    return (f"  - permission: {permission}\n    granted_by: {by}\n    granted_on: 2026-01-05\n"
            "    reason: \"desk cover, ticket ACC-00120\"\n")


def merged_pr(tmp_path: Path, change: Mapping[str, str], moves: Sequence[tuple[str, str]] = ()) -> tuple[Path, str]:
    """The examples organisation at ``main``; ``change`` (and ``git mv`` of ``moves``) on a branch,
    merged as GitHub's refs/pull/N/merge: the merge commit checked out, its first parent the base."""
    root = tmp_path / "grants"
    base = init_repo(root, build({}))
    git(root, "checkout", "-q", "-b", "pr")
    for old, new in moves:
        git(root, "mv", old, new)
    write_files(root, change)
    commit_all(root, "the change")
    git(root, "checkout", "-q", "--detach", "main")
    git(root, "merge", "-q", "--no-ff", "-m", "Merge pull request #1", "pr")
    assert git(root, "rev-parse", "HEAD^1").strip() == base
    return root, base


def check_base(root: Path, base: str) -> tuple[int, set[tuple[str, str, int]], list[dict[str, object]]]:
    result = run_cli("check", "--root", str(root), "--base", base, "--today", TODAY, "--format", "json")
    assert "Error:" not in result.output and "Traceback" not in result.output, result.output
    doc = json.loads(result.stdout)
    found = {(f["rule"], f["path"], f["line"]) for f in doc["findings"]}
    return result.exit_code, found, doc["findings"]


def both_paths_agree(root: Path, base: str) -> BaseOutcome:
    """The incremental path gives exactly the full path's new findings (or declines to it); its outcome."""
    today = dt.date.fromisoformat(TODAY)
    fast = check_against_base(str(root), base, today, incremental=True)
    full = check_against_base(str(root), base, today, incremental=False)
    assert full.scope is None
    assert fast.new == full.new
    return fast


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


# --- class 2: catalog edits other than owner_division -------------------------------------------

RENAMED = CATALOG.replace("- id: P002\n  name: supply-points.read\n  owner_division: distribution",
                          "- id: P009\n  name: supply-points.read\n  owner_division: retail-sales")
TWIN = CATALOG + ("- id: P009\n  name: supply-points.read\n  owner_division: retail-sales\n"
                  "  description: Read access to supply-point data\n")
ATTACKS = {
    # the id a grant names: renamed (same name and description) into a division the rule does not protect
    "rename-permission-id": ({"catalog.yaml": RENAMED, F2: BASE[F2] + grant("P009")},
                             "distribution-to-retail-sales", line_of(RENAMED, "- id: P009")),
    # a second entry with the name of a protected permission, owned elsewhere
    "duplicate-permission-name": ({"catalog.yaml": TWIN, F2: BASE[F2] + grant("P009")},
                                  "unknown-permission", line_of(TWIN, "- id: P009")),
    "drop-retired": ({"catalog.yaml": CATALOG.replace("  retired: true\n", ""), F2: BASE[F2] + grant("P004")},
                     "retired-permission", line_of(CATALOG, "- id: P004")),
    "drop-sensitive": ({"catalog.yaml": CATALOG.replace("  sensitive: true\n", ""), F2: BASE[F2] + grant("P006")},
                       "expiry-required", line_of(CATALOG, "- id: P006")),
    "drop-grants-access": ({"catalog.yaml": CATALOG.replace("  grants_access: true\n", ""),
                            F2: BASE[F2] + grant("P005")},
                           "privilege-management", line_of(CATALOG, "- id: P005")),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_catalog_edit_with_the_grant_it_would_block(tmp_path: Path, name: str) -> None:
    change, broken_rule, catalog_line = ATTACKS[name]
    root, base = merged_pr(tmp_path, change)
    code, found, findings = check_base(root, base)
    assert code == 1
    # the grant rests on the catalog edit: an error at the grant, naming the catalog line
    assert (GATE, F2, 8) in found
    message = next(str(f["message"]) for f in findings if f["rule"] == GATE)
    assert f"`{broken_rule}`" in message and f"catalog.yaml:{catalog_line}" in message
    # and the catalog edit itself is a gate change listed at its line, an error with grants
    assert (WITH_GRANTS, "catalog.yaml", catalog_line) in found
    assert both_paths_agree(root, base).scope is None  # a catalog change: the incremental path declines


def test_catalog_edit_alone_is_a_gate_change_said_in_words(tmp_path: Path) -> None:
    root, base = merged_pr(tmp_path, {"catalog.yaml": CATALOG.replace("  sensitive: true\n", "")})
    code, found, findings = check_base(root, base)
    line = line_of(CATALOG, "- id: P006")
    assert (code, found) == (0, {("policy-change", "catalog.yaml", line)})
    assert "P006 payroll.read changes sensitive true -> false" in str(findings[0]["message"])
    both_paths_agree(root, base)


# --- class 5: people edits that silence rules ---------------------------------------------------

REKEYED = PEOPLE.replace("- id: E000002\n  name: Ben Baker\n  division: retail-sales\n  manager: E000001",
                         "- id: E000009\n  name: Ben Baker\n  division: distribution\n  manager: E000003")
PEOPLE_ATTACKS = {
    # a function that lets the grantee hold grants_access permissions
    "function": ({"people.yaml": PEOPLE.replace("  manager: E000001\n",
                                                "  manager: E000001\n  function: access-administration\n"),
                  F2: BASE[F2] + grant("P005")}, F2, "privilege-management"),
    # a manager chain that makes the granter an authority
    "manager": ({"people.yaml": PEOPLE.replace("  manager: E000001\n", "  manager: E000004\n"),
                 F2: BASE[F2] + grant("P003", by="E000004")}, F2, "granter-authority"),
    # the same person under a new id in the owning division
    "re-key": ({"people.yaml": REKEYED, F2: "",
                F9: BASE[F2].replace("E000002", "E000009") + grant("P002", by="E000003")},
               F9, "distribution-to-retail-sales"),
    # a move into the owning division (also grant-depends-on-directory-change, a warning)
    "division": ({"people.yaml": PEOPLE.replace("  division: retail-sales\n  manager: E000001\n",
                                                "  division: distribution\n  manager: E000001\n"),
                  F2: BASE[F2] + grant("P002", by="E000003")}, F2, "distribution-to-retail-sales"),
}


@pytest.mark.parametrize("name", sorted(PEOPLE_ATTACKS))
def test_people_edit_with_the_grant_it_would_block(tmp_path: Path, name: str) -> None:
    change, path, broken_rule = PEOPLE_ATTACKS[name]
    root, base = merged_pr(tmp_path, change)
    code, found, findings = check_base(root, base)
    assert code == 1
    assert (GATE, path, 8) in found
    messages = [str(f["message"]) for f in findings if (f["rule"], f["path"], f["line"]) == (GATE, path, 8)]
    assert any(f"`{broken_rule}`" in m and "people.yaml:8" in m for m in messages), messages
    both_paths_agree(root, base)


def test_re_keying_is_said_at_the_people_line(tmp_path: Path) -> None:
    change, _, _ = PEOPLE_ATTACKS["re-key"]
    root, base = merged_pr(tmp_path, change)
    _, _, findings = check_base(root, base)
    related = {(r["path"], r["line"], r["message"]) for f in findings if f["rule"] == GATE
               for r in f["related"]}  # type: ignore[attr-defined]
    assert ("people.yaml", 8, "E000009 Ben Baker re-keys E000002 (same name, new id), in distribution") in related


def test_an_unrelated_people_edit_leaves_an_added_grant_alone(tmp_path: Path) -> None:
    people = PEOPLE.replace("  function: access-administration\n", "  function: payroll\n")
    root, base = merged_pr(tmp_path, {"people.yaml": people, F2: BASE[F2] + grant("P001")})
    code, found, _ = check_base(root, base)
    assert GATE not in {rule for rule, _, _ in found}
    both_paths_agree(root, base)
    assert code == 1  # the duplicate P001 grant is a true finding of its own
    assert ("duplicate-grant", F2, 8) in found


# --- class 8: legitimate changes are judged, not refused -----------------------------------------

SOD = """\
---
rules:
  - id: meters-with-payroll
    kind: separation-of-duties
    severity: error
    waivable: false
    summary: Who writes meter data must not also read payroll data
    duties:
      - name: write-meters
        any_of: [P007]
      - name: read-payroll
        any_of: [P006]
"""


def test_deleting_every_grants_file_revokes_everything(tmp_path: Path) -> None:
    root, base = merged_pr(tmp_path, {F2: ""})
    assert not (root / "assignments").exists()
    code, found, _ = check_base(root, base)
    assert (code, found) == (0, set())


def test_a_new_permission_with_a_rule_naming_it(tmp_path: Path) -> None:
    catalog = CATALOG + "- id: P007\n  name: meters.write\n  owner_division: distribution\n  description: Meters\n"
    root, base = merged_pr(tmp_path, {"catalog.yaml": catalog, "policies/meters.yaml": SOD})
    code, found, _ = check_base(root, base)
    assert code == 0
    assert found == {("policy-change", "policies/meters.yaml", 3),
                     ("policy-change", "catalog.yaml", line_of(catalog, "- id: P007"))}
    both_paths_agree(root, base)


def test_renaming_a_division_folder_with_the_directory(tmp_path: Path) -> None:
    people = PEOPLE.replace("division: retail-sales", "division: retail")
    root, base = merged_pr(tmp_path, {"people.yaml": people},
                           moves=[("assignments/retail-sales", "assignments/retail")])
    assert check_base(root, base)[:2] == (0, set())
    both_paths_agree(root, base)


def test_renaming_a_division_everywhere_in_one_change(tmp_path: Path) -> None:
    """Folder, people, catalog owners and the policy: gate changes said as such, the moved file edits no grant."""
    policy = BASE["policies/unbundling.yaml"]
    root, base = merged_pr(tmp_path, {
        "people.yaml": PEOPLE.replace("division: retail-sales", "division: retail"),
        "catalog.yaml": CATALOG.replace("owner_division: retail-sales", "owner_division: retail"),
        "policies/unbundling.yaml": policy.replace("[retail-sales]", "[retail]"),
    }, moves=[("assignments/retail-sales", "assignments/retail")])
    code, found, _ = check_base(root, base)
    assert (code, found) == (0, {("policy-change", "catalog.yaml", 4),
                                 ("policy-change", "policies/unbundling.yaml", 3)})


def test_renaming_only_the_folder_is_a_true_misplaced_file(tmp_path: Path) -> None:
    root, base = merged_pr(tmp_path, {}, moves=[("assignments/retail-sales", "assignments/retail")])
    code, found, _ = check_base(root, base)
    assert (code, found) == (1, {("misplaced-file", "assignments/retail/E000002.yaml", 2)})
    both_paths_agree(root, base)
