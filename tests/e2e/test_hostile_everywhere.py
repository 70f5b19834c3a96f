"""The hostile tree (incident replay + YAML test suite + hand-made files) through every output
format, the other read-only commands, and ``check --base`` on a real git repository.

Never a traceback (``catch_exceptions=False``): each run ends with its documented exit code,
and the hostile files are still named when only the change is checked.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import SHARED, run_cli
from tests.git_helpers import commit_all, git
from tests.hostile_builder import builder

CORPUS = SHARED / "corpus" / "yaml-test-suite"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"
TODAY = "2023-03-16"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(),
                                reason="../shared/corpus/yaml-test-suite is not beside the project")


@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("hostile") / "repo"
    added = builder.build(root, CORPUS)
    return root, added


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "markdown"])
def test_every_format_renders_the_hostile_tree(fmt: str, hostile_tree: tuple[Path, list[str]]) -> None:
    root, added = hostile_tree
    result = run_cli("check", "--root", str(root), "--format", fmt, "--today", TODAY)
    assert result.exit_code == 1
    assert result.stderr == ""
    out = result.stdout
    if fmt == "sarif":
        doc = json.loads(out)
        if SARIF_SCHEMA.is_file():
            jsonschema.validate(doc, json.loads(SARIF_SCHEMA.read_text("utf-8")))
        uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
                for r in doc["runs"][0]["results"] for loc in r["locations"]}
        assert "assignments/retail-sales/E000007.yaml" in uris
    elif fmt == "github":
        # every line a command, or (past the 50 annotations GitHub keeps) a log line that cannot be one
        assert all(line.startswith(("::", "- ")) for line in out.splitlines()[:-1])
        assert sum(line.startswith(("::error", "::warning", "::notice")) for line in out.splitlines()) <= 50
    elif fmt == "json":
        named = {f["path"] for f in json.loads(out)["findings"]}
        assert [p for p in added if p not in named] == []
    assert "assignments/retail-sales/E000012.yaml" in out
    if fmt == "markdown":
        assert "<script>alert" not in out and "<img src=x" not in out


@pytest.mark.parametrize("args", [
    ["who-can", "P083"],
    ["who-can", "P083", "--format", "json"],
    ["grantable", "E000001", "--today", TODAY],
    ["revoke", "P083", "--dry-run"],
    ["fmt", "--check"],
    ["rules"],
    ["test"],
])
def test_other_commands_never_crash_on_the_hostile_tree(args: list[str], hostile_tree: tuple[Path, list[str]],
                                                        tmp_path: Path) -> None:
    root, _ = hostile_tree
    result = run_cli(*args, "--root", str(root))
    assert result.exit_code in (0, 1, 2)
    assert "Traceback" not in result.stdout + result.stderr


def test_report_html_on_the_hostile_tree(hostile_tree: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, _ = hostile_tree
    out = tmp_path / "report.html"
    result = run_cli("report", "--root", str(root), "--html", str(out), "--today", TODAY, "--no-history")
    assert result.exit_code in (0, 1), result.stderr
    html = out.read_text("utf-8")
    assert "E000007" in html
    assert "<script>alert" not in html and "<img src=x" not in html


def test_check_base_names_every_hostile_file_added_in_the_change(tmp_path: Path) -> None:
    """PR mode: the base is the incident replay, the change adds every hostile file."""
    root = tmp_path / "repo"
    added = builder.build(root, CORPUS)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "catalog.yaml", "people.yaml", "policies", "assignments/retail-sales",
        "assignments/distribution", "assignments/corporate")
    git(root, "commit", "-q", "-m", "incident")
    base = git(root, "rev-parse", "HEAD").strip()
    # what git can hold is committed (a FIFO is not; it stays in the working tree, which
    # --base does not judge: it reads the commit, what merges)
    commit_all(root, "hostile change")

    result = run_cli("check", "--root", str(root), "--base", base, "--format", "json", "--today", TODAY)
    assert result.exit_code == 1, result.stderr
    named = {f["path"] for f in json.loads(result.stdout)["findings"]}
    missing = [p for p in added if p not in named and not (root / p).is_fifo()]
    assert missing == []
    assert "assignments/hostile/fifo.yaml" not in named
