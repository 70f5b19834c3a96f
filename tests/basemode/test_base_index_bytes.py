"""The base index of ``check --base`` judges a file from its bytes (``load.quick``) where it can:
the index must be the one the loader gives (``declared`` of each file loaded), file by file,
on an organisation with every kind of odd file, read from the working tree (blob-checked) or
from git, with and without workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from permgate.change import base_index
from permgate.change.base_index import declared, employee_index
from permgate.config import load_config
from permgate.git.repo import GitSource, Repo
from permgate.load import bulk
from permgate.load.bulk import Tuning, load_one
from permgate.load.source import FsSource
from tests.anomaly_org import build
from tests.commands.test_who_can_fast import _plant
from tests.git_helpers import commit_all, git


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("index") / "org"
    planted = build(root, employees=150)
    _plant(root, planted.dup_permission)
    # files the loader reads whole: a second employee spelled by an escape, a duplicate key
    (root / "assignments" / "corporate" / "spelled.yaml").write_text(
        'employee: "\\x45000011"\ngrants: []\n', encoding="utf-8")
    (root / "assignments" / "corporate" / "twice.yaml").write_text(
        "employee: E000012\nemployee: E000013\ngrants: []\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "base")
    return root


def _loaded_index(repo: Repo, commit: str, root: Path) -> str:
    """The index as the loader answers it: ``declared`` of every file, loaded whole."""
    config = load_config(FsSource(str(root)))
    source = GitSource(repo, commit)
    paths, _ = source.walk_yaml(config.assignments)
    index: dict[str, list[str]] = {}
    for rel in paths:
        for employee in sorted(declared(load_one(source, rel, config.max_file_bytes, Tuning(jobs=1)))):
            index.setdefault(employee, []).append(rel)
    return base_index.BaseIndex.encode(index)


@pytest.mark.parametrize("workers", [False, True])
@pytest.mark.parametrize("from_worktree", [False, True])
def test_index_from_bytes_equals_the_loaded_index(org: Path, workers: bool, from_worktree: bool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if workers:
        monkeypatch.setattr(base_index, "PARALLEL_MIN_FILES", 0)
        monkeypatch.setattr(bulk, "PARALLEL_MIN_FILES", 0)
    repo = Repo(str(org))
    commit = repo.resolve("HEAD")
    config = load_config(FsSource(str(org)))
    built = employee_index(repo, commit, config, None, None, str(org) if from_worktree else None,
                           set() if from_worktree else None)
    assert built is not None
    assert built.lines == _loaded_index(repo, commit, org)
    assert built.files_of("E000011") is not None and "assignments/corporate/spelled.yaml" in built.files_of("E000011")
    assert "assignments/corporate/twice.yaml" not in built.lines  # a duplicate key: it declares nobody


def test_a_worktree_file_that_is_not_the_base_blob_is_read_from_git(org: Path, tmp_path: Path) -> None:
    """The bytes judged are the base's: a working-tree file edited after the commit is not used."""
    repo = Repo(str(org))
    commit = repo.resolve("HEAD")
    config = load_config(FsSource(str(org)))
    path = org / "assignments" / "corporate" / "leap.yaml"
    before = path.read_bytes()
    try:
        path.write_bytes(before.replace(b"employee: E000008", b"employee: E424242"))
        built = employee_index(repo, commit, config, None, None, str(org), set())
    finally:
        path.write_bytes(before)
    assert built is not None and built.lines == _loaded_index(repo, commit, org)
    assert "E424242" not in built.lines
