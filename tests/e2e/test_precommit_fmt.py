"""The published `permgate-fmt` hook, run by real pre-commit on a real git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT

MESSY = ("employee: E1\ngrants:\n- permission: P3\n  granted_by: E2\n  granted_on: 2026-01-05\n"
         "- permission: P1\n  granted_by: E2\n  granted_on: 2026-01-05\n")
CANONICAL = ("---\nemployee: E1\ngrants:\n  - permission: P1\n    granted_by: E2\n    granted_on: 2026-01-05\n"
             "  - permission: P3\n    granted_by: E2\n    granted_on: 2026-01-05\n")

ROLES_MESSY = "roles:\n- id: r\n  name: R\n  owner_division: retail-sales\n  permissions: [P3, P1]\n"
ROLES_CANONICAL = ("---\nroles:\n  - id: r\n    name: \"R\"\n    owner_division: retail-sales\n    permissions:\n"
                   "      - P1\n      - P3\n")

pytestmark = pytest.mark.slow


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


@pytest.mark.skipif(shutil.which("git") is None or not (PROJECT / ".git").exists(),
                    reason="needs git and the project as a git checkout")
def test_permgate_fmt_hook_formats_grants_files_and_roles_yaml_only(tmp_path: Path) -> None:
    repo = tmp_path / "grants"
    (repo / "assignments" / "retail-sales").mkdir(parents=True)
    (repo / "assignments" / "retail-sales" / "E1.yaml").write_text(MESSY, encoding="utf-8")
    (repo / "notes.yaml").write_text("b: 1\na: 2\n", encoding="utf-8")  # not a grants file: left alone
    (repo / "roles.yaml").write_text(ROLES_MESSY, encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "grants")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(PROJECT), "permgate-fmt", "--all-files"]
    first = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert "reformatted assignments/retail-sales/E1.yaml" in first.stdout
    assert (repo / "assignments" / "retail-sales" / "E1.yaml").read_text("utf-8") == CANONICAL
    assert "reformatted roles.yaml" in first.stdout
    assert (repo / "roles.yaml").read_text("utf-8") == ROLES_CANONICAL
    assert (repo / "notes.yaml").read_text("utf-8") == "b: 1\na: 2\n"
    second = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, env=env, timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
