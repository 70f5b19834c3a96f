"""Issue 19, classes 1 and 3: the gate judges exactly what merges, and skips nothing in silence.

Each attack is built as the CI recipe sees it (docs/ci.md): a base on ``main``, a pull request
branch with the attacking commit, GitHub's merge commit, a fresh ``git clone`` of it, and
``permgate check --base <first parent>`` through the CLI.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from permgate.change.basemode import check_against_base
from permgate.load import files
from permgate.rules.examples import BASE, build
from tests.conftest import pairs, run_cli
from tests.git_helpers import commit_all, git, init_repo, write_files

F2 = "assignments/retail-sales/E000002.yaml"
DTRS = "distribution-to-retail-sales"
#: a distribution permission for a seller: a boundary finding at line 8 of F2
BAD = BASE[F2] + ("  - permission: P002\n    granted_by: E000001\n    granted_on: 2026-01-05\n"
                  "    reason: \"transfer-in registration, ticket ACC-00108\"\n")
TODAY = "2026-02-01"


def ci_clone(tmp_path: Path, attack: dict[str, str | bytes], after: Callable[[Path], None] | None = None,
             clone_config: dict[str, str] | None = None) -> tuple[Path, str]:
    """The pull request's merge commit as the CI recipe checks it out; (clone, base commit)."""
    origin = tmp_path / "origin"
    init_repo(origin, build({}))
    git(origin, "checkout", "-q", "-b", "pr")
    write_files(origin, attack)
    commit_all(origin, "the attack")
    if after is not None:  # what `git add -A` cannot stage, committed by hand
        after(origin)
    git(origin, "checkout", "-q", "--detach", "main")
    git(origin, "merge", "-q", "--no-ff", "-m", "Merge pull request #1", "pr")
    merge = git(origin, "rev-parse", "HEAD").strip()
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-checkout", str(origin), str(clone))
    for key, value in (clone_config or {}).items():
        git(clone, "config", key, value)
    git(clone, "checkout", "-q", "--detach", merge)
    return clone, git(clone, "rev-parse", "HEAD^1").strip()


def gate(clone: Path, base: str) -> tuple[int, dict[str, Any]]:
    """The CI recipe's command."""
    result = run_cli("check", "--root", str(clone), "--base", base, "--format", "json", "--today", TODAY,
                     "--no-cache")
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def plain(clone: Path) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", "--root", str(clone), "--format", "json", "--today", TODAY, "--no-cache")
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def messages(doc: dict[str, Any], path: str, line: int) -> list[str]:
    return [f["message"] for f in doc["findings"] if (f["rule"], f["path"], f["line"]) == ("invalid-file", path, line)]


def paths_agree(clone: Path, base: str) -> None:
    """The incremental and the full path give the same new findings (both read git objects)."""
    today = dt.date.fromisoformat(TODAY)
    full = check_against_base(str(clone), base, today, incremental=False)
    fast = check_against_base(str(clone), base, today, None)
    assert fast.new == full.new


# --- class 1: checkout conversions --------------------------------------------------------

def test_a_smudge_filter_cannot_hide_a_grant_from_the_gate(tmp_path: Path) -> None:
    """`.gitattributes` routes grants files through a filter that, on the checking-out machine,
    drops every line after the third: the working tree shows no grant, the commit holds one."""
    attack = {".gitattributes": "# line endings\n* text=auto\nassignments/** filter=hide\n", F2: BAD}
    clone, base = ci_clone(tmp_path, attack, clone_config={"filter.hide.smudge": "head -n 3"})
    assert "P002" not in (clone / F2).read_text()  # the checkout really rewrote it
    code, doc = gate(clone, base)
    assert code == 1
    assert {(DTRS, F2, 8), ("invalid-file", ".gitattributes", 3)} <= pairs(doc)
    assert ("invalid-file", ".gitattributes", 2) not in pairs(doc)  # text=auto changes no content
    assert "checkout conversion: `filter=hide`" in messages(doc, ".gitattributes", 3)[0]
    paths_agree(clone, base)
    # the working tree mode is fooled about the grant, but not about the attribute
    code, doc = plain(clone)
    assert code == 1 and ("invalid-file", ".gitattributes", 3) in pairs(doc)


def test_ident_in_a_division_folder_is_refused(tmp_path: Path) -> None:
    gitattributes = "assignments/retail-sales/.gitattributes"
    clone, base = ci_clone(tmp_path, {gitattributes: "*.yaml ident\n", F2: BAD + "# $Id$\n"})
    code, doc = gate(clone, base)
    assert code == 1
    assert {(DTRS, F2, 8), ("invalid-file", gitattributes, 1)} <= pairs(doc)
    said = messages(doc, gitattributes, 1)
    assert files.HIDDEN_FILE in said
    assert any(m.startswith("checkout conversion: `ident`") for m in said)
    paths_agree(clone, base)


def test_working_tree_encoding_is_refused_and_the_commit_judged(tmp_path: Path) -> None:
    # the author's working tree holds UTF-16, which git stores as the UTF-8 blob
    attributes = "assignments/retail-sales/*.y*ml working-tree-encoding=UTF-16LE\n"
    clone, base = ci_clone(tmp_path, {".gitattributes": attributes, F2: BAD.encode("utf-16-le")})
    assert (clone / F2).read_bytes()[:2] == b"-\x00"  # UTF-16 in the working tree
    code, doc = gate(clone, base)
    assert code == 1
    assert {(DTRS, F2, 8), ("invalid-file", ".gitattributes", 1)} <= pairs(doc)
    assert not messages(doc, F2, 1)  # the blob is UTF-8: no encoding complaint about the grants file


def test_attributes_that_cannot_touch_what_permgate_reads_are_allowed(tmp_path: Path) -> None:
    clone, base = ci_clone(tmp_path, {".gitattributes": "*.png filter=lfs -text\n*.yaml -ident eol=lf\n"})
    code, doc = gate(clone, base)
    assert (code, pairs(doc)) == (0, set())
    code, doc = plain(clone)
    assert (code, pairs(doc)) == (0, set())


def test_head_names_the_commit_judged(tmp_path: Path) -> None:
    """--head REV judges that commit, whatever the working tree holds."""
    root = tmp_path / "repo"
    base = init_repo(root, build({}))
    write_files(root, {F2: BAD})
    bad_commit = commit_all(root, "a bad grant")
    write_files(root, {F2: BASE[F2]})
    clean_commit = commit_all(root, "taken back")
    result = run_cli("check", "--root", str(root), "--base", base, "--head", bad_commit, "--format", "json")
    assert result.exit_code == 1 and (DTRS, F2, 8) in pairs(json.loads(result.stdout))
    result = run_cli("check", "--root", str(root), "--base", base, "--head", clean_commit, "--format", "json")
    assert result.exit_code == 0
    # an uncommitted bad grant is not what merges: --base (head HEAD) does not judge it
    write_files(root, {F2: BAD})
    assert run_cli("check", "--root", str(root), "--base", base).exit_code == 0


# --- class 3: entries the walk used to skip -----------------------------------------------

def test_a_hidden_grants_file_is_a_finding(tmp_path: Path) -> None:
    hidden = "assignments/retail-sales/.E000002.yaml"
    clone, base = ci_clone(tmp_path, {hidden: BAD})
    code, doc = gate(clone, base)
    assert code == 1
    assert messages(doc, hidden, 1) == [files.HIDDEN_FILE]
    paths_agree(clone, base)
    code, doc = plain(clone)
    assert code == 1 and messages(doc, hidden, 1) == [files.HIDDEN_FILE]


def test_a_hidden_folder_is_a_finding(tmp_path: Path) -> None:
    folder = "assignments/.archive"
    clone, base = ci_clone(tmp_path, {f"{folder}/E000002.yaml": BAD, f"{folder}/deeper/E000003.yaml": BAD})
    code, doc = gate(clone, base)
    assert code == 1
    assert messages(doc, folder, 1) == [files.HIDDEN_FOLDER]
    paths_agree(clone, base)
    code, doc = plain(clone)
    assert code == 1 and messages(doc, folder, 1) == [files.HIDDEN_FOLDER]


def test_a_gitlink_named_like_a_grants_file_is_a_finding(tmp_path: Path) -> None:
    link = "assignments/retail-sales/E000009.yaml"

    def add_gitlink(origin: Path) -> None:
        commit = git(origin, "rev-parse", "HEAD").strip()
        git(origin, "update-index", "--add", "--cacheinfo", f"160000,{commit},{link}")
        git(origin, "commit", "-q", "-m", "a gitlink")  # `git add -A` would drop it: no folder here

    clone, base = ci_clone(tmp_path, {}, after=add_gitlink)
    code, doc = gate(clone, base)
    assert code == 1
    assert messages(doc, link, 1) == [files.SUBMODULE]
    paths_agree(clone, base)
    # a checkout with the submodule registered leaves an empty folder: the walk names it
    (clone / link).mkdir(exist_ok=True)
    code, doc = plain(clone)
    assert code == 1 and messages(doc, link, 1) == [files.FOLDER_NAMED_YAML]


def test_a_committed_symlink_is_a_finding(tmp_path: Path) -> None:
    link = "assignments/retail-sales/E000009.yaml"

    def add_symlink(origin: Path) -> None:
        os.symlink("../distribution/E000003.yaml", origin / link)
        commit_all(origin, "an alias")

    clone, base = ci_clone(tmp_path, {"assignments/distribution/E000003.yaml": "---\nemployee: E000003\ngrants: []\n"},
                           after=add_symlink)
    code, doc = gate(clone, base)
    assert code == 1
    assert messages(doc, link, 1) == ["symlink in the repository; refused (commit the file itself)"]
    paths_agree(clone, base)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_special_files_in_the_working_tree_are_findings(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    root = make_repo({})
    folder = root / "assignments" / "retail-sales"
    os.mkfifo(folder / ".pipe")
    os.mkfifo(folder / "E000009.yaml")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(folder / "E000010.yml"))
        code, doc = plain(root)
    finally:
        sock.close()
    assert code == 1
    assert messages(doc, "assignments/retail-sales/.pipe", 1) == [files.HIDDEN_FILE]
    assert messages(doc, "assignments/retail-sales/E000009.yaml", 1) == ["not a regular file"]
    assert messages(doc, "assignments/retail-sales/E000010.yml", 1) == ["cannot read file: No such device or address"]


def test_working_tree_mode_says_when_it_is_not_the_commit(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init_repo(root, build({}))
    code, doc = plain(root)
    assert (code, "worktree_differs_from_head" in doc["summary"]) == (0, False)
    write_files(root, {F2: BAD})
    code, doc = plain(root)
    assert code == 1 and doc["summary"]["worktree_differs_from_head"] == 1
    text = run_cli("check", "--root", str(root), "--today", TODAY, "--no-cache").stdout.splitlines()[-1]
    assert text.endswith("; the working tree differs from HEAD in 1 file (not what is committed)")
