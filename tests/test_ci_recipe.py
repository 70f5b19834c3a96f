"""examples/github-workflow.yml and examples/CODEOWNERS: what they promise, and the workflow's own
shell steps run for real on a pull request's merge commit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from permgate.rules.examples import BASE, build
from tests.conftest import PROJECT, SHARED
from tests.git_helpers import GIT_ENV, commit_all, git, init_repo, write_files

WORKFLOW = PROJECT / "examples" / "github-workflow.yml"
F2 = "assignments/retail-sales/E000002.yaml"
BAD = BASE[F2] + ("  - permission: P002\n    granted_by: E000001\n    granted_on: 2026-01-05\n"
                  "    reason: \"transfer-in registration, ticket ACC-00108\"\n")


def workflow() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    return doc


def steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = workflow()["jobs"]["permgate"]["steps"]
    return steps


def step(name_start: str) -> dict[str, Any]:
    return next(s for s in steps() if s.get("name", "").startswith(name_start))


def test_the_workflow_is_the_tamper_proof_recipe() -> None:
    doc = workflow()
    # PyYAML reads the key `on` as True (YAML 1.1)
    assert list(doc[True]) == ["pull_request_target"]
    assert doc["permissions"] == {"contents": "read", "security-events": "write"}
    checkout = step("Check out")
    assert checkout["with"]["fetch-depth"] == 0 and checkout["with"]["persist-credentials"] is False
    assert checkout["with"]["ref"] == "refs/pull/${{ github.event.pull_request.number }}/merge"
    assert "permgate check --base" in step("permgate check --base")["run"]
    assert "$GITHUB_STEP_SUMMARY" in step("permgate check --base")["run"]
    assert step("Upload SARIF")["uses"].startswith("github/codeql-action/upload-sarif@")
    assert step("Fail on errors")["if"] == "steps.check.outputs.code != '0'"
    uses = [s["uses"] for s in steps() if "uses" in s]
    assert all("@" in u for u in uses)
    # nothing from the checked-out change is ever executed: only permgate runs on it
    for s in steps():
        for line in s.get("run", "").splitlines():
            words = line.strip().split()
            assert not words or words[0] in ("set", "permgate", "code=$?", "echo", "exit", "python", "#"), line


def test_codeowners_routes_each_division_and_the_gate() -> None:
    owners: dict[str, list[str]] = {}
    for line in (PROJECT / "examples" / "CODEOWNERS").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *teams = line.split()
            owners[pattern] = teams
    for division in ("retail-sales", "distribution", "corporate"):
        assert owners[f"/assignments/{division}/"] == [f"@example-utility/{division}-managers"]
    compliance = ["@example-utility/compliance"]
    assert owners["/policies/"] == owners["/permgate.yaml"] == owners["/catalog.yaml"] == compliance
    assert owners["/people.yaml"] == ["@example-utility/hr-systems"]
    assert "/.github/" in owners
    assert next(iter(owners)) == "*"  # the last match wins: the catch-all must come first


def _run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.skipif(shutil.which("permgate", path=os.path.dirname(sys.executable)) is None,
                    reason="the permgate console script is not installed next to this Python")
def test_the_workflow_steps_on_a_pull_request_merge_commit(tmp_path: Path) -> None:
    repo = tmp_path / "grants"
    base = init_repo(repo, build({}))
    git(repo, "checkout", "-q", "-b", "pr")
    write_files(repo, {F2: BAD})
    commit_all(repo, "grant P002")
    # what actions/checkout gives for refs/pull/N/merge: a merge commit, first parent the base
    git(repo, "checkout", "-q", "--detach", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #1", "pr")
    outputs, summary, temp = tmp_path / "out", tmp_path / "summary.md", tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, **GIT_ENV, GITHUB_OUTPUT=str(outputs), GITHUB_STEP_SUMMARY=str(summary),
               RUNNER_TEMP=str(temp), PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    resolved = _run_step(step("Resolve")["run"], repo, env)
    assert resolved.returncode == 0, resolved.stderr
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert values["base"] == base and values["merge"] == git(repo, "rev-parse", "HEAD").strip()
    checked = _run_step(step("permgate check --base")["run"], repo, dict(env, BASE=values["base"]))
    assert checked.returncode == 0, checked.stderr
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert values["code"] == "1"
    assert f"::error file={F2},line=8,col=5,title=distribution-to-retail-sales::" in checked.stdout
    assert summary.read_text().startswith("## permgate: failed\n")
    sarif = json.loads((temp / "permgate.sarif").read_text())
    schema_path = SHARED / "schemas" / "sarif-schema-2.1.0.json"
    if schema_path.exists():
        import jsonschema
        schema = json.loads(schema_path.read_text())
        jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    located = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
               for r in sarif["runs"][0]["results"]}
    assert ("distribution-to-retail-sales", 8) in located
