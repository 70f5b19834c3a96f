"""Repo.history: the first-parent walk with blob-level changes, one git call."""

from __future__ import annotations

from pathlib import Path

from permgate.git.repo import Repo
from tests.gitutil import GitRepo


def test_history_lists_changes_oldest_first_with_blob_ids(tmp_path: Path) -> None:
    g = GitRepo(tmp_path / "r")
    c1 = g.commit({"g/a/x.yaml": "1\n", "other.txt": "x\n"}, "2021-01-01", "Ann Admin")
    c2 = g.commit({"g/a/x.yaml": "2\n", "g/a/y.yaml": "3\n"}, "2021-02-01", "Bo Boss")
    g.commit({"other.txt": "y\n"}, "2021-03-01")  # outside the root: not listed
    c4 = g.commit({"g/a/x.yaml": None}, "2021-04-01")
    repo = Repo(str(g.top / "g"))
    commits = repo.history()
    assert [c.id for c in commits] == [c1, c2, c4]
    assert commits[0].author == "Ann Admin <ann@example.invalid>"
    assert commits[1].commit_date == "2021-02-01T12:00:00+00:00"
    blob = repo.blobs
    first, second, fourth = commits[0].changes, commits[1].changes, commits[3 - 1].changes
    assert [(ch.path, ch.old) for ch in first] == [("a/x.yaml", None)]
    assert blob([first[0].new or ""])[first[0].new or ""] == b"1\n"
    assert [(ch.path, ch.old == first[0].new) for ch in second] == [("a/x.yaml", True), ("a/y.yaml", False)]
    assert [(ch.path, ch.new, ch.mode) for ch in fourth] == [("a/x.yaml", None, "000000")]
    assert [c.id for c in repo.history(under="a/y.yaml")] == [c2]


def test_history_follows_first_parents_and_diffs_merges_against_them(tmp_path: Path) -> None:
    g = GitRepo(tmp_path / "r")
    base = g.commit({"a.yaml": "0\n"}, "2021-01-01")
    g.git("checkout", "-q", "-b", "side")
    side = g.commit({"b.yaml": "side\n"}, "2021-01-05", "Sid Side")
    g.git("checkout", "-q", "main")
    main2 = g.commit({"a.yaml": "1\n"}, "2021-01-10")
    g.git("merge", "-q", "--no-ff", "-m", "merge side", "side",
          env={"GIT_COMMITTER_DATE": "2021-01-20T12:00:00+00:00", "GIT_AUTHOR_DATE": "2021-01-20T12:00:00+00:00"})
    merge = g.git("rev-parse", "HEAD").strip()
    commits = Repo(str(g.top)).history()
    assert [c.id for c in commits] == [base, main2, merge]
    assert side not in [c.id for c in commits]
    assert [(ch.path, ch.old) for ch in commits[-1].changes] == [("b.yaml", None)]
    assert commits[-1].commit_date.startswith("2021-01-20")
