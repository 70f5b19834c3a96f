"""``check --output FORMAT=PATH``: several reports of one run, written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from permgate.commands import check as check_command
from permgate.rules.examples import build
from tests.conftest import pairs, run_cli
from tests.git_helpers import commit_all, git, init_repo, write_files

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


def _org(tmp_path: Path) -> Path:
    """A grants repository in the folder ``grants/`` of a git repository (SARIF paths need the prefix)."""
    init_repo(tmp_path / "repo", {f"grants/{k}": v for k, v in build({F: BAD}).items()})
    return tmp_path / "repo" / "grants"


def test_each_output_equals_its_format_on_stdout_from_one_run(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root = _org(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    runs = []
    real = check_command.collect
    monkeypatch.setattr(check_command, "collect", lambda *a, **k: runs.append(1) or real(*a, **k))
    result = run_cli("check", "--root", str(root), "--no-cache", "--output", f"sarif={out / 'p.sarif'}",
                     "--output", f"markdown={out / 'summary.md'}", "--output", f"json={out / 'p.json'}",
                     "--statistics")
    assert runs == [1]  # the findings are computed once for every report
    assert result.exit_code == 1
    monkeypatch.setattr(check_command, "collect", real)
    assert result.stdout == run_cli("check", "--root", str(root), "--no-cache", "--statistics").stdout
    for fmt, name in (("sarif", "p.sarif"), ("markdown", "summary.md"), ("json", "p.json")):
        alone = run_cli("check", "--root", str(root), "--no-cache", "--format", fmt).stdout
        assert (out / name).read_text(encoding="utf-8") == alone, fmt
    sarif = json.loads((out / "p.sarif").read_text(encoding="utf-8"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {f"grants/{F}"}  # repository-relative, as alone
    assert ("self-grant", F, 4) in pairs(json.loads((out / "p.json").read_text(encoding="utf-8")))
    assert sorted(os.listdir(out)) == ["p.json", "p.sarif", "summary.md"]  # no temporary file left


def test_outputs_in_base_mode(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init_repo(root, build({}))
    git(root, "checkout", "-q", "-b", "change")
    write_files(root, {F: BAD})
    commit_all(root, "a self-grant")
    target = tmp_path / "new.json"
    result = run_cli("check", "--root", str(root), "--base", "main", "--output", f"json={target}")
    assert result.exit_code == 1
    alone = run_cli("check", "--root", str(root), "--base", "main", "--format", "json").stdout
    assert target.read_text(encoding="utf-8") == alone
    assert ("self-grant", F, 4) in pairs(json.loads(alone))


def test_an_unwritable_output_is_an_error_before_any_output(tmp_path: Path) -> None:
    root = _org(tmp_path)
    good = tmp_path / "good.json"
    missing = tmp_path / "no-such-folder" / "p.sarif"
    result = run_cli("check", "--root", str(root), "--output", f"json={good}", "--output", f"sarif={missing}")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"Error: --output sarif={missing}: cannot write there (No such file or directory)\n"
    assert not good.exists()
    result = run_cli("check", "--root", str(root), "--output", f"json={tmp_path}")
    assert (result.exit_code, result.stderr) == (2, f"Error: --output json={tmp_path}: is a folder\n")
    result = run_cli("check", "--root", str(root), "--output", f"json={good}", "--output", f"sarif={good}")
    assert result.exit_code == 2
    assert result.stderr == f"Error: --output sarif={good}: the same file as --output json={good}\n"
    for bad in ("yaml=x.yaml", "sarif", "sarif="):
        result = run_cli("check", "--root", str(root), "--output", bad)
        assert result.exit_code == 2
        assert "--output" in result.stderr
    assert not good.exists()
