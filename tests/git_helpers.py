"""Real git repositories for tests: fixed author, committer and dates, no user config."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Permgate Test",
    "GIT_AUTHOR_EMAIL": "test@permgate.invalid",
    "GIT_COMMITTER_NAME": "Permgate Test",
    "GIT_COMMITTER_EMAIL": "test@permgate.invalid",
    "GIT_AUTHOR_DATE": "2026-01-02T03:04:05+00:00",
    "GIT_COMMITTER_DATE": "2026-01-02T03:04:05+00:00",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, **GIT_ENV)
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    """Write ``files``; a value of ``""`` deletes the file."""
    for rel, content in files.items():
        path = root / rel
        if content == "":
            if path.exists():
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def init_repo(root: Path, files: Mapping[str, str | bytes] | None = None, branch: str = "main") -> str:
    """``git init`` at ``root`` with ``files`` committed; returns the commit id."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", branch)
    if files:
        write_files(root, files)
    return commit_all(root, "base")


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)


def commit_change(root: Path, message: str = "the change") -> None:
    """Commit what the working tree holds as a pull request's author would: on a branch ``change``
    (so ``main`` stays the base), and only when there is something to commit.  ``check --base``
    judges the commit (``--head``, default ``HEAD``), never the working tree."""
    if not root.is_dir() or subprocess.run(["git", "rev-parse"], cwd=root, capture_output=True).returncode != 0:
        return  # nothing to commit: the run under test says what is wrong
    if not git(root, "status", "--porcelain", "--untracked-files=all").strip():
        return
    if git(root, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main":
        git(root, "checkout", "-q", "-b", "change")
    commit_all(root, message)
