"""examples/github-workflow.yml and examples/CODEOWNERS: what they promise, and the workflow's own
shell steps run for real on a pull request's merge commit."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
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
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0 and checkout["with"]["persist-credentials"] is False
    assert checkout["with"]["ref"] == "refs/pull/${{ github.event.pull_request.number }}/merge"
    # the gate is this project's action, pinned to a commit (no PyPI release needed), judging the
    # merge commit against its first parent (the action's default base)
    gate = step("permgate check --base")
    assert gate["uses"] == "YOUR-ORG/permgate@<40-hex commit>" and "with" not in gate
    upload = step("Upload SARIF")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ steps.permgate.outputs.sarif-file }}"
    assert upload["if"] == ("${{ !cancelled() && (steps.permgate.outputs.exit-code == '0' || "
                            "steps.permgate.outputs.exit-code == '1') }}")
    uses = [s["uses"] for s in steps() if "uses" in s]
    assert all("@" in u for u in uses)
    # nothing from the checked-out change is ever executed: the job runs no shell of its own
    assert [s for s in steps() if "run" in s] == []


def test_no_version_that_does_not_exist_is_pinned() -> None:
    """The recipe works copied as is: the action is pinned to a commit, hooks to a commit sha."""
    texts = {path: path.read_text("utf-8") for path in (PROJECT / "README.md", WORKFLOW, ACTION,
                                                         *sorted((PROJECT / "docs").glob("*.md")))}
    for path, text in texts.items():
        assert not re.search(r"0\.1\.0|v0\.1", text), path
    ci = (PROJECT / "docs" / "ci.md").read_text("utf-8")
    revs = re.findall(r"^\s*rev: (.*)$", ci, re.MULTILINE)
    assert revs and all(rev == "<40-hex commit>  # pin a commit" for rev in revs), revs


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


# --- action.yml: parsed, and its shell steps run as GitHub's runner runs them --------------------

ACTION = PROJECT / "action.yml"
SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"
#: GitHub runs `shell: bash` steps as `bash --noprofile --norc -eo pipefail {0}`
BASH = ("bash", "--noprofile", "--norc", "-eo", "pipefail")
CHECK_AND_FAIL = ("permgate check", "Fail on")
HOSTILE = "import pathlib; pathlib.Path({marker!r}).write_text('ran')\n"


def action() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(ACTION.read_text("utf-8"))
    return doc


def test_the_action_takes_every_input_through_env_and_runs_nothing_from_the_checkout() -> None:
    doc = action()
    assert doc["runs"]["using"] == "composite"
    assert set(doc["inputs"]) == {"base", "head", "root", "requirement", "python-version", "sarif-file", "fail-on"}
    assert {k: v["default"] for k, v in doc["inputs"].items() if k in ("base", "head", "root", "requirement")} \
        == {"base": "", "head": "HEAD", "root": ".", "requirement": ""}
    assert set(doc["outputs"]) >= {"exit-code", "sarif-file"}
    setup, *runs = doc["runs"]["steps"]
    assert re.fullmatch(r"actions/setup-python@v\d+", setup["uses"])
    for run_step in runs:
        # an input inside a script is script injection; through env it is a plain string
        assert "${{" not in run_step["run"], run_step["name"]
        assert run_step["shell"] == "bash"
        for line in run_step["run"].splitlines():
            # Python only isolated (-I: the current folder, the checkout, is not on sys.path)
            assert not re.search(r"(^|\s)python3?\s+(?!-I\b)", line), line
            assert not re.search(r"\bmake\b|pip install \.|\./|source |\bsh ", line), line
    assert runs[0]["run"].index('cd "$RUNNER_TEMP"') < runs[0]["run"].index("python")
    assert runs[-1]["if"] == "steps.check.outputs.exit-code != '0'" and "exit 1" in runs[-1]["run"]


def _action_copy(dest: Path) -> Path:
    """This project as `uses: ORG/permgate@<commit>` checks it out into GITHUB_ACTION_PATH."""
    shutil.copytree(PROJECT / "permgate", dest / "permgate", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "action.yml"):
        shutil.copy2(PROJECT / name, dest / name)
    return dest


def _substitute(value: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    """What the runner does to `${{ inputs.x }}` and `${{ steps.id.outputs.x }}` before the step runs."""
    def one(match: re.Match[str]) -> str:
        expr = match.group(1).strip()
        if expr.startswith("inputs."):
            return inputs[expr[len("inputs."):]]
        kind, step_id, _, name = expr.split(".")
        assert kind == "steps", expr
        return outputs.get(step_id, {}).get(name, "")
    return re.sub(r"\$\{\{(.*?)\}\}", one, value)


def _condition(expr: str, outputs: dict[str, dict[str, str]]) -> bool:
    """The one condition form the action uses: steps.ID.outputs.NAME != 'VALUE'."""
    match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+) != '(.*)'", expr)
    assert match, expr
    return outputs.get(match.group(1), {}).get(match.group(2), "") != match.group(3)


def _parse_outputs(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text("utf-8").splitlines())


def run_action(checkout: Path, runner: Path, action_path: Path, given: dict[str, str] | None = None,
               only: tuple[str, ...] = ()) -> tuple[int, str, dict[str, str]]:
    """The action's `run:` steps (setup-python skipped: this venv's Python is on the PATH), in
    order, with the environment GitHub sets; returns (exit code of the last step run, its
    steps' stdout + stderr, the action's outputs)."""
    doc = action()
    inputs = {name: spec.get("default", "") for name, spec in doc["inputs"].items()}
    inputs.update(given or {})
    outputs: dict[str, dict[str, str]] = {}
    env = dict(os.environ, **GIT_ENV, GITHUB_ACTION_PATH=str(action_path), RUNNER_TEMP=str(runner),
               GITHUB_STEP_SUMMARY=str(runner / "summary.md"), GITHUB_WORKSPACE=str(checkout),
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    env.pop("VIRTUAL_ENV", None)
    code, said = 0, ""
    for number, spec in enumerate(doc["runs"]["steps"]):
        if "run" not in spec or (only and not spec["name"].startswith(only)):
            continue
        if "if" in spec and not _condition(spec["if"], outputs):
            continue
        output = runner / f"output-{number}"
        output.unlink(missing_ok=True)  # a fresh file for each step, as GitHub gives
        step_env = dict(env, GITHUB_OUTPUT=str(output))
        step_env.update({k: _substitute(v, inputs, outputs) for k, v in spec.get("env", {}).items()})
        script = runner / f"step-{number}.sh"
        script.write_text(spec["run"], "utf-8")
        proc = subprocess.run([*BASH, str(script)], cwd=checkout, env=step_env, capture_output=True,
                              text=True, timeout=600)
        outputs[spec.get("id", str(number))] = _parse_outputs(output)
        code, said = proc.returncode, said + proc.stdout + proc.stderr
        if code != 0:
            break  # a failing step ends a composite action
    values = {name: _substitute(spec["value"], inputs, outputs) for name, spec in doc["outputs"].items()}
    return code, said, values


def _pull_request(tmp: Path, change: dict[str, str]) -> tuple[Path, str, str]:
    """A grants repository with a pull request merged as GitHub's refs/pull/N/merge, then freshly
    cloned with the full history and the merge commit checked out (actions/checkout, fetch-depth: 0);
    returns (the clone, the base commit, the merge commit)."""
    origin = tmp / "origin"
    base = init_repo(origin, build({}))
    git(origin, "checkout", "-q", "-b", "pr")
    write_files(origin, change)
    commit_all(origin, "the pull request")
    git(origin, "checkout", "-q", "--detach", "main")
    git(origin, "merge", "-q", "--no-ff", "-m", "Merge pull request #1", "pr")
    merge = git(origin, "rev-parse", "HEAD").strip()
    clone = tmp / "checkout"
    git(tmp, "clone", "-q", "--no-checkout", str(origin), str(clone))
    git(clone, "checkout", "-q", "--detach", merge)
    return clone, base, merge


@pytest.fixture(scope="module")
def hostile_pr(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, str, str]:
    """The action installed (for real, into a throwaway venv under RUNNER_TEMP) while the checkout
    is a pull request that adds a bad grant and a `pip.py`, `venv.py` that would run if imported."""
    tmp = tmp_path_factory.mktemp("hostile")
    marker = tmp / "executed"
    hostile = HOSTILE.format(marker=str(marker))
    clone, base, merge = _pull_request(tmp, {F2: BAD, "pip.py": hostile, "venv.py": hostile})
    runner = tmp / "runner"
    runner.mkdir()
    project = _action_copy(tmp / "action")
    code, said, _ = run_action(clone, runner, project, only=("Install",))
    assert code == 0, said
    assert said.startswith("permgate, version"), said
    assert not marker.exists(), "the pull request's pip.py or venv.py ran"
    # the control: run as the old recipe did (python -m from the checkout), the same files do run
    subprocess.run([sys.executable, "-m", "venv", "--help"], cwd=clone, capture_output=True, timeout=60)
    assert marker.exists()
    marker.unlink()
    return clone, runner, project, base, merge


@pytest.mark.slow
def test_the_action_fails_a_bad_grant_with_its_annotation_sarif_and_summary(
        hostile_pr: tuple[Path, Path, Path, str, str]) -> None:
    clone, runner, project, base, merge = hostile_pr
    code, said, outputs = run_action(clone, runner, project, only=("permgate check",))
    assert code == 0, said  # the check step records the verdict; the last step acts on it
    assert outputs == {"exit-code": "1", "sarif-file": str(runner / "permgate.sarif"), "base": base, "head": merge}
    assert f"::error file={F2},line=8,col=5,title=distribution-to-retail-sales::" in said
    summary = (runner / "summary.md").read_text("utf-8")
    assert summary.startswith("## permgate: failed\n") and "distribution-to-retail-sales" in summary
    sarif = json.loads((runner / "permgate.sarif").read_text("utf-8"))
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is absent (../shared beside the project)")
    schema = json.loads(SCHEMA.read_text("utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    located = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in sarif["runs"][0]["results"]}
    assert ("distribution-to-retail-sales", F2, 8) in located
    # all steps (install already done: the venv is reused): the action fails the job
    code, said, outputs = run_action(clone, runner, project, only=CHECK_AND_FAIL)
    assert code == 1 and outputs["exit-code"] == "1"
    assert "::error title=permgate::permgate exited 1: see the annotations" in said


@pytest.mark.slow
def test_the_action_passes_a_clean_pull_request(hostile_pr: tuple[Path, Path, Path, str, str],
                                                tmp_path: Path) -> None:
    _, runner, project, _, _ = hostile_pr
    fixed = BASE[F2] + BAD[len(BASE[F2]):].replace("P002", "P003")
    clone, base, merge = _pull_request(tmp_path, {F2: fixed})
    sarif = tmp_path / "out" / "permgate.sarif"
    sarif.parent.mkdir()
    (runner / "summary.md").unlink(missing_ok=True)
    code, said, outputs = run_action(clone, runner, project, {"sarif-file": str(sarif)},
                                     only=CHECK_AND_FAIL)
    assert (code, outputs) == (0, {"exit-code": "0", "sarif-file": str(sarif), "base": base, "head": merge}), said
    assert "::error" not in said
    assert (runner / "summary.md").read_text("utf-8").startswith("## permgate: passed")
    assert json.loads(sarif.read_text("utf-8"))["runs"][0]["results"] == []


@pytest.mark.slow
def test_the_action_fails_closed_on_a_shallow_clone(hostile_pr: tuple[Path, Path, Path, str, str],
                                                    tmp_path: Path) -> None:
    """fetch-depth: 1 leaves the base out of the clone: exit 2 and a failed step, never a pass."""
    clone, runner, project, _, merge = hostile_pr
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-checkout", f"file://{clone}", str(shallow))
    git(shallow, "checkout", "-q", "--detach", merge)
    code, said, outputs = run_action(shallow, runner, project, only=CHECK_AND_FAIL)
    assert code == 1 and outputs["exit-code"] == "2", said
    assert f"::error title=permgate::base `{merge}^1` is not a commit of this checkout (a shallow clone?" in said
