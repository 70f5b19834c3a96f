"""Without ``--root``, the grants repository is found from the current folder up (ruff, pre-commit)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from permgate.rules.examples import build
from tests.conftest import pairs, run_cli
from tests.git_helpers import init_repo, write_files

F = "assignments/retail-sales/E000002.yaml"
BAD = """\
---
employee: E000002
grants:
  - permission: P002
    granted_by: E000002
    granted_on: 2022-07-01
    reason: "ticket ACC-00108"
"""


def test_check_from_a_subfolder_finds_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo" / "grants"
    files = build({F: BAD})
    init_repo(tmp_path / "repo", {f"grants/{k}": v for k, v in files.items()})
    expected = run_cli("check", "--root", str(root), "--format", "json", "--no-cache")
    monkeypatch.chdir(root / "assignments" / "retail-sales")
    found = run_cli("check", "--format", "json", "--no-cache")
    assert found.exit_code == 1
    assert found.stdout == expected.stdout
    assert ("self-grant", F, 4) in pairs(json.loads(found.stdout))
    # every command with --root: rules, who-can, baseline --check-like readers
    assert run_cli("rules").stdout == run_cli("rules", "--root", str(root)).stdout
    who = run_cli("who-can", "P002")
    assert who.exit_code == 0
    assert who.stdout == run_cli("who-can", "P002", "--root", str(root)).stdout


def test_permgate_yaml_marks_a_root_whose_catalog_lives_elsewhere(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    files = build({F: BAD})
    files["data/catalog.yaml"] = files.pop("catalog.yaml")
    files["permgate.yaml"] = "paths:\n  catalog: data/catalog.yaml\n"
    init_repo(tmp_path / "repo", files)
    monkeypatch.chdir(tmp_path / "repo" / "data")
    result = run_cli("check", "--format", "json", "--no-cache")
    assert result.exit_code == 1, result.output
    assert ("self-grant", F, 4) in pairs(json.loads(result.stdout))


def test_the_walk_stops_at_the_git_top_and_names_every_folder(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # an organisation above the git repository must not be picked up from inside it
    write_files(tmp_path, build({}))
    repo = tmp_path / "inner"
    init_repo(repo, {"docs/readme.md": "no grants here\n"})
    monkeypatch.chdir(repo / "docs")
    result = run_cli("check")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"Error: no grants repository here: none of {repo / 'docs'}, {repo} holds "
                             "permgate.yaml, or catalog.yaml and people.yaml (searched up to the git repository's "
                             "top); run permgate inside one or pass --root DIR\n")
    # an explicit --root is taken as given, not searched
    assert run_cli("check", "--root", str(tmp_path), "--no-cache").exit_code == 0
    # a built-in rule is explained without any repository
    assert run_cli("explain", "self-grant").stdout.startswith("# `self-grant`")


def test_only_catalog_without_people_is_not_a_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = build({})
    init_repo(tmp_path / "repo", files)
    write_files(tmp_path / "repo" / "sub", {"catalog.yaml": files["catalog.yaml"]})
    monkeypatch.chdir(tmp_path / "repo" / "sub")
    result = run_cli("rules", "--format", "json")
    assert result.exit_code == 0
    assert result.stdout == run_cli("rules", "--format", "json", "--root", str(tmp_path / "repo")).stdout
