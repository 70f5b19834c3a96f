"""A real git repository for tests: write files, commit with fixed dates and authors."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path


class GitRepo:
    def __init__(self, top: Path) -> None:
        self.top = top
        top.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        full = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
                    GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.invalid",
                    GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.invalid")
        full.update(env or {})
        return subprocess.run(["git", *args], cwd=self.top, env=full, check=True, capture_output=True,
                              text=True).stdout

    def write(self, files: Mapping[str, str | None]) -> None:
        """Write (or, for None, delete) files relative to the top."""
        for rel, text in files.items():
            path = self.top / rel
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def commit(self, files: Mapping[str, str | None], day: str, author: str = "Ann Admin",
               message: str = "change") -> str:
        """Write ``files`` and commit them on ``day`` (YYYY-MM-DD, noon UTC) as ``author``; the new id."""
        self.write(files)
        when = f"{day}T12:00:00+00:00"
        email = author.split()[0].lower() + "@example.invalid"
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, env={
            "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": when})
        return self.git("rev-parse", "HEAD").strip()
