"""Issue 6 item 4: git edge cases of ``--base``, each a clear ``Error:`` or a finding, never a wrong pass."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import Result

from permgate.rules.examples import BASE, build
from tests.conftest import pairs, run_cli
from tests.git_helpers import commit_all, commit_change, git, init_repo, write_files

POLICY = "policies/unbundling.yaml"
DTRS = "distribution-to-retail-sales"
SALES_E2 = "assignments/retail-sales/E000002.yaml"


def add_grant(text: str, permission: str, granted_by: str = "E000001") -> str:
    return text + (f"  - permission: {permission}\n    granted_by: {granted_by}\n    granted_on: 2026-01-06\n"
                   "    reason: \"ticket ACC-00300\"\n")


BAD_E2 = add_grant(BASE[SALES_E2], "P002")  # line 8: a distribution permission for a seller
MOVED = "assignments/retail-sales/desk-a/E000002.yaml"


def bad(path: str, line: int) -> set[tuple[str, str, int]]:
    """A distribution permission granted to a seller: across the boundary, and by a granter
    (a retail-sales manager) without authority over a distribution permission."""
    return {(DTRS, path, line), ("granter-authority", path, line)}


def base_json(root: Path, ref: str, *extra: str) -> tuple[int, dict[str, Any]]:
    commit_change(root)
    result = run_cli("check", "--root", str(root), "--base", ref, "--format", "json", *extra)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def base_error(root: Path, ref: str) -> Result:
    commit_change(root)
    result = run_cli("check", "--root", str(root), "--base", ref)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    return result


def repo(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "grants"
    init_repo(root, build(files or {}))
    return root


def test_unknown_ref(tmp_path: Path) -> None:
    root = repo(tmp_path)
    assert base_error(root, "no-such-branch").stderr == "Error: unknown git revision `no-such-branch`\n"


def test_option_like_ref_is_refused(tmp_path: Path) -> None:
    root = repo(tmp_path)
    assert base_error(root, "--output=x").stderr == "Error: `--output=x` is not a git revision\n"


def test_shallow_clone_without_the_base_commit(tmp_path: Path) -> None:
    origin = repo(tmp_path)
    first = git(origin, "rev-parse", "HEAD").strip()
    write_files(origin, {SALES_E2: BAD_E2})
    commit_all(origin, "a bad grant")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", origin.resolve().as_uri(), str(clone))
    for ref in ("HEAD~1", first):
        err = base_error(clone, ref).stderr
        assert err == (f"Error: unknown git revision `{ref}` (this is a shallow clone: fetch the base, e.g. "
                       "`git fetch --deepen=100` or fetch-depth: 0)\n")
    # once the base is fetched, the same check works and finds the grant
    git(clone, "fetch", "-q", "--deepen=1")
    code, doc = base_json(clone, first)
    assert (code, pairs(doc)) == (1, bad(SALES_E2, 8))


def test_detached_head(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write_files(root, {"README.md": "the grants of a small utility\n"})
    commit_all(root, "a readme")
    git(root, "checkout", "-q", "--detach", "HEAD")
    write_files(root, {SALES_E2: BAD_E2})
    commit_all(root, "a grant, committed on the detached HEAD")
    for ref in ("main", "HEAD~1", "main~1"):
        code, doc = base_json(root, ref)
        assert (code, pairs(doc)) == (1, bad(SALES_E2, 8)), ref


def move(root: Path, old: str, new: str) -> None:
    (root / new).parent.mkdir(parents=True, exist_ok=True)
    git(root, "mv", old, new)


def test_renamed_grants_file_keeps_its_findings_preexisting(tmp_path: Path) -> None:
    root = repo(tmp_path, {SALES_E2: BAD_E2})
    moved = MOVED
    move(root, SALES_E2, moved)
    code, doc = base_json(root, "main")
    assert (code, pairs(doc)) == (0, set())
    assert doc["summary"]["preexisting"]["errors"] == 1  # the boundary finding, granter-authority its companion


def test_renamed_file_with_a_new_bad_grant(tmp_path: Path) -> None:
    root = repo(tmp_path)
    moved = MOVED
    move(root, SALES_E2, moved)
    write_files(root, {moved: BAD_E2})
    code, doc = base_json(root, "main")
    assert (code, pairs(doc)) == (1, bad(moved, 8))


def test_renamed_and_committed_on_a_branch(tmp_path: Path) -> None:
    root = repo(tmp_path, {SALES_E2: BAD_E2})
    git(root, "checkout", "-q", "-b", "change")
    moved = MOVED
    move(root, SALES_E2, moved)
    write_files(root, {moved: add_grant(BAD_E2, "P002")})
    commit_all(root, "move and grant again")
    code, doc = base_json(root, "main")
    # the second grant of P002 is a second copy of the pre-existing findings: new
    assert (code, pairs(doc)) == (1, {("duplicate-grant", moved, 12)} | bad(moved, 12))
    assert doc["summary"]["preexisting"]["errors"] == 1  # the boundary finding, granter-authority its companion


def test_deleted_grants_file(tmp_path: Path) -> None:
    root = repo(tmp_path, {SALES_E2: BAD_E2})
    (root / SALES_E2).unlink()
    code, doc = base_json(root, "main")
    assert (code, pairs(doc)) == (0, set())
    assert doc["summary"]["preexisting"]["errors"] == 0
    assert doc["summary"]["changed_paths"] == 1


def test_deleted_folder_of_the_last_grants_file_is_judged(tmp_path: Path) -> None:
    """Revoking every grant is a change like any other (issue 19, class 8): git keeps no empty folders, so
    a commit that deletes the last grants file has no assignments folder; it reads as no grants."""
    root = repo(tmp_path, {SALES_E2: BAD_E2})
    (root / SALES_E2).unlink()
    for d in ("assignments/retail-sales", "assignments"):
        os.rmdir(root / d)
    code, doc = base_json(root, "main")
    assert (code, pairs(doc)) == (0, set())
    assert doc["summary"]["preexisting"]["errors"] == 0


def test_base_without_policies(tmp_path: Path) -> None:
    root = tmp_path / "grants"
    init_repo(root, {k: v for k, v in BASE.items() if not k.startswith("policies/")})
    write_files(root, {POLICY: BASE[POLICY], SALES_E2: BAD_E2})
    code, doc = base_json(root, "main")
    assert code == 1
    assert pairs(doc) == bad(SALES_E2, 8) | {("policy-changed-with-grants", POLICY, 3)}
    message = next(f["message"] for f in doc["findings"] if f["rule"] == "policy-changed-with-grants")
    assert message.startswith(f"{POLICY} is added: rule `{DTRS}` (forbidden-owner, error) is added: ")


def test_no_policies_on_either_side_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "grants"
    init_repo(root, {k: v for k, v in BASE.items() if not k.startswith("policies/")})
    write_files(root, {SALES_E2: BAD_E2})
    err = base_error(root, "main").stderr
    assert err == ("Error: policies:1:1: policies folder not found, here or at main; "
                   "without policies nothing guards the boundary\n")


def test_policies_folder_deleted_in_the_change(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / POLICY).unlink()
    (root / "policies").rmdir()
    write_files(root, {SALES_E2: BAD_E2})
    code, doc = base_json(root, "main")
    assert code == 1
    assert pairs(doc) == bad(SALES_E2, 8) | {("policy-changed-with-grants", POLICY, 3)}


def test_base_without_a_grants_repository(tmp_path: Path) -> None:
    root = tmp_path / "grants"
    init_repo(root, {"README.md": "nothing yet\n"})
    write_files(root, build({SALES_E2: BAD_E2}))
    code, doc = base_json(root, "main")
    assert code == 1
    assert pairs(doc) == bad(SALES_E2, 8) | {("policy-changed-with-grants", POLICY, 3)}


def test_broken_catalog_at_the_base_is_an_error(tmp_path: Path) -> None:
    root = repo(tmp_path, {"catalog.yaml": "---\npermissions: [\n"})
    write_files(root, {"catalog.yaml": BASE["catalog.yaml"]})
    err = base_error(root, "main").stderr
    assert err.startswith("Error: catalog.yaml:3:1: ")
    assert err.endswith(" (in the base, --base main)\n")


def test_root_outside_any_git_repository(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    write_files(root, build({}))
    assert base_error(root, "main").stderr == f"Error: {root} is not inside a git repository\n"


def test_config_path_outside_the_repository(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write_files(root, {"permgate.yaml": "---\npaths:\n  catalog: ../catalog.yaml\n"})
    err = base_error(root, "main").stderr
    assert err == "Error: permgate.yaml:3:12: paths.catalog: `../catalog.yaml` leaves the repository root\n"


def test_symlinked_grants_file_pointing_outside_is_a_finding(tmp_path: Path) -> None:
    root = repo(tmp_path)
    outside = tmp_path / "outside.yaml"
    outside.write_text(BAD_E2)
    link = root / "assignments/retail-sales/E000001.yaml"
    link.symlink_to(outside)
    code, doc = base_json(root, "main")
    assert (code, pairs(doc)) == (1, {("invalid-file", "assignments/retail-sales/E000001.yaml", 1)})


def test_symlink_committed_at_the_base_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "grants"
    init_repo(root, build({}))
    outside = tmp_path / "outside.yaml"
    outside.write_text(BAD_E2)
    (root / "assignments/retail-sales/E000001.yaml").symlink_to(outside)
    commit_all(root, "a symlink")
    code, doc = base_json(root, "main")
    # the base could not read it either: the working tree's finding pre-exists, and nothing passes silently
    assert (code, pairs(doc)) == (0, set())
    assert doc["summary"]["preexisting"]["errors"] == 1  # the invalid-file finding


def test_grants_repository_in_a_subfolder(tmp_path: Path) -> None:
    top = tmp_path / "mono"
    init_repo(top, {f"access/{k}": v for k, v in BASE.items()} | {"src/app.py": "print('hi')\n"})
    write_files(top, {f"access/{SALES_E2}": BAD_E2, "src/app.py": "print('changed')\n"})
    code, doc = base_json(top / "access", "main")
    assert (code, pairs(doc)) == (1, bad(SALES_E2, 8))
    assert doc["summary"]["changed_paths"] == 1
    sarif = json.loads(run_cli("check", "--root", str(top / "access"), "--base", "main", "--format", "sarif").stdout)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {f"access/{SALES_E2}"}


def test_staged_and_unstaged_changes_are_both_seen(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write_files(root, {SALES_E2: BAD_E2})
    git(root, "add", SALES_E2)
    write_files(root, {"assignments/retail-sales/E000001.yaml": add_grant("---\nemployee: E000001\ngrants:\n",
                                                                             "P002", "E000004")})
    code, doc = base_json(root, "main")
    assert (code, pairs(doc)) == (1, bad(SALES_E2, 8) | bad("assignments/retail-sales/E000001.yaml", 4))


def test_missing_root(tmp_path: Path) -> None:
    assert base_error(tmp_path / "nowhere", "main").stderr == f"Error: --root {tmp_path / 'nowhere'}: not a directory\n"


def test_base_that_is_not_a_commit(tmp_path: Path) -> None:
    root = repo(tmp_path)
    tree = git(root, "rev-parse", "HEAD^{tree}").strip()
    assert base_error(root, tree).stderr == f"Error: unknown git revision `{tree}`\n"


def test_a_base_with_a_catalog_but_no_people_is_an_error_not_an_empty_base(tmp_path: Path) -> None:
    """Only a base with neither catalog nor people is "no grants repository yet" (every finding new);
    half of one is unusable, and says so."""
    root = tmp_path / "grants"
    init_repo(root, {k: v for k, v in BASE.items() if k != "people.yaml"})
    write_files(root, {"people.yaml": BASE["people.yaml"], SALES_E2: BAD_E2})
    err = base_error(root, "main").stderr
    assert err.startswith("Error: people.yaml:1:1: ")
    assert err.endswith(" (in the base, --base main)\n")


def test_no_policy_rules_on_either_side_is_an_error(tmp_path: Path) -> None:
    root = repo(tmp_path, {POLICY: "---\nrules: []\n"})
    write_files(root, {SALES_E2: BAD_E2, "catalog.yaml": BASE["catalog.yaml"] + "# reviewed\n"})
    assert base_error(root, "main").stderr == (
        "Error: policies:1:1: no policy rules are declared, here or at main; "
        "without them nothing guards the boundary\n")
