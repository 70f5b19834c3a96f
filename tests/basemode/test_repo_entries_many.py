"""``Repo.entries`` for many paths (the files of a changed role's 20,000 holders) lists their folders
once and picks the paths itself; it must answer as git's own pathspecs do (one ``ls-tree`` with
every path): files, folders listed below them, paths git does not have, names that are pathspec
magic, symlinks and submodules, nested folders, and a grants repository below the top of git."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from permgate.git import repo as git_repo
from permgate.git.repo import Repo
from tests.git_helpers import commit_all, git

NAMES = ["a.yaml", "b.yml", "*.yaml", "?x.yaml", "[ab].yaml", "sp ace.yaml", "é.yaml", ":(glob)x.yaml", "c.txt"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    top = tmp_path_factory.mktemp("entries")
    for root in ("", "grants/"):
        for folder in ("assignments/x", "assignments/x/deep", "assignments/x-y", "assignments/y", "policies"):
            for name in NAMES:
                path = top / root / folder / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(f"{folder}/{name}\n", encoding="utf-8")
        (top / root / "assignments" / "y" / "link.yaml").symlink_to("a.yaml")
    git(top, "init", "-q", "-b", "main")
    commit_all(top, "base")
    # a submodule entry (a gitlink) beside the files
    sha = git(top, "rev-parse", "HEAD").strip()
    for root in ("", "grants/"):
        git(top, "update-index", "--add", "--cacheinfo", f"160000,{sha},{root}assignments/x/sub")
    git(top, "commit", "-q", "-m", "submodule")
    return top


def _both(repo: Repo, rels: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    monkeypatch.setattr(git_repo, "MANY_PATHS", 10**9)
    plain = repo.entries("HEAD", rels)
    monkeypatch.setattr(git_repo, "MANY_PATHS", 1)
    fast = repo.entries("HEAD", rels)
    return list(fast.items()), list(plain.items())


@pytest.mark.parametrize("root", ["", "grants"])
@pytest.mark.parametrize("seed", range(12))
def test_many_paths_are_picked_as_git_s_pathspecs_pick_them(repo: Path, root: str, seed: int,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    r = Repo(str(repo / root) if root else str(repo))
    rnd = random.Random(seed)
    folders = ["assignments", "assignments/x", "assignments/x/deep", "assignments/x-y", "assignments/y",
               "assignments/z", "policies"]
    candidates = [f"{f}/{n}" for f in folders for n in [*NAMES, "link.yaml", "sub", "missing.yaml"]]
    candidates += [*folders, "assignments/x/sub/inside.yaml", "assignments/y/link.yaml/x"]
    rels = rnd.sample(candidates, rnd.randint(1, len(candidates)))
    fast, plain = _both(r, rels, monkeypatch)
    assert fast == plain


def test_odd_paths_take_git_s_pathspecs(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = Repo(str(repo))
    for rels in (["assignments/x/", "assignments/y/a.yaml"], ["./assignments/x/a.yaml"], ["assignments/../policies"],
                 ["."], ["assignments//x/a.yaml"]):
        fast, plain = _both(r, rels, monkeypatch)
        assert fast == plain, rels
