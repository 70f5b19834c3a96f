"""The published hook (.pre-commit-hooks.yaml), run by real pre-commit in a grants repository.

pre-commit installs this project (a git commit of its current source) into its own
environment from the package index, so the first run takes a while: marked slow.
PRE_COMMIT_HOME is a temporary folder, so no user or CI cache is touched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from permgate.rules.examples import BASE, build
from tests.conftest import PROJECT, run_cli
from tests.git_helpers import GIT_ENV, git, init_repo, write_files

F2 = "assignments/retail-sales/E000002.yaml"
BAD = BASE[F2] + ("  - permission: P002\n    granted_by: E000001\n    granted_on: 2026-01-05\n"
                  "    reason: \"transfer-in registration, ticket ACC-00108\"\n")
PRE_COMMIT = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or shutil.which("pre-commit")


def test_the_hook_is_published_as_the_issue_says() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text("utf-8"))}
    hook = hooks["permgate"]
    assert (hook["language"], hook["pass_filenames"], hook["entry"]) == ("python", False, "permgate check")
    files = re.compile(hook["files"])
    for path in ("assignments/retail-sales/E1.yaml", "catalog.yaml", "people.yaml", "policies/unbundling.yaml",
                 "permgate.yaml", "access/assignments/x/E1.yml", "access/catalog.yaml", "roles.yaml"):
        assert files.search(path), path
    for path in ("README.md", "src/app.py", ".pre-commit-config.yaml", "policies/tests/x.txt"):
        assert not files.search(path), path


def _project_commit(dest: Path) -> tuple[Path, str]:
    """The project's current source as a git repository pre-commit can install from."""
    shutil.copytree(PROJECT / "permgate", dest / "permgate", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(PROJECT / name, dest / name)
    return dest, init_repo(dest)


@pytest.mark.slow
@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed (pip install -e '.[test]')")
def test_real_pre_commit_fails_on_a_bad_grant_naming_its_line_then_passes(tmp_path: Path) -> None:
    project, rev = _project_commit(tmp_path / "project")
    grants = tmp_path / "grants"
    config = {"repos": [{"repo": str(project), "rev": rev, "hooks": [{"id": "permgate"}]}]}
    init_repo(grants, build({".pre-commit-config.yaml": yaml.safe_dump(config)}))
    env = dict(os.environ, **GIT_ENV, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never")
    env.pop("NO_COLOR", None)
    assert PRE_COMMIT is not None

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=grants, env=env, capture_output=True, text=True, timeout=600)

    installed = run(PRE_COMMIT, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # a commit that adds a bad grant is stopped, naming the file and the line
    write_files(grants, {F2: BAD})
    git(grants, "add", F2)
    refused = run("git", "commit", "-m", "grant P002")
    output = refused.stdout + refused.stderr
    assert refused.returncode == 1, output
    assert f"{F2}:8:5: error[distribution-to-retail-sales] P002 supply-points.read is owned by distribution" \
        in output
    assert git(grants, "rev-list", "--count", "HEAD").strip() == "1"

    # fixed, the same commit goes through
    write_files(grants, {F2: BASE[F2] + BAD[len(BASE[F2]):].replace("P002", "P003")})
    git(grants, "add", F2)
    accepted = run("git", "commit", "-m", "grant P003")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    hook_line = next(line for line in (accepted.stdout + accepted.stderr).splitlines() if "permgate check" in line)
    assert hook_line.endswith("Passed")

    # a change to a file the hook does not watch does not run it
    write_files(grants, {"README.md": "grants\n"})
    git(grants, "add", "README.md")
    skipped = run("git", "commit", "-m", "readme")
    assert skipped.returncode == 0
    hook_line = next(line for line in (skipped.stdout + skipped.stderr).splitlines() if "permgate check" in line)
    assert "Skipped" in hook_line


NEEDED = BASE[F2].replace("billing desk onboarding, ticket ACC-00101", "needed")  # missing-justification, line 4
P003 = ("  - permission: P003\n    granted_by: E000001\n    granted_on: 2026-01-05\n"
        "    reason: \"meter reads, ticket ACC-00109\"\n")
P002 = BAD[len(BASE[F2]):]


@pytest.mark.slow
@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed (pip install -e '.[test]')")
def test_real_pre_commit_on_an_organisation_with_findings_passes_with_the_baseline(tmp_path: Path) -> None:
    """docs/ci.md: the hook fails on every finding; with a committed baseline only on new ones;
    and `args: [--base, HEAD]` is refused (it would judge nothing), never a silent pass."""
    project, rev = _project_commit(tmp_path / "project")
    grants = tmp_path / "grants"
    config = {"repos": [{"repo": str(project), "rev": rev, "hooks": [{"id": "permgate"}]}]}
    init_repo(grants, build({F2: NEEDED, ".pre-commit-config.yaml": yaml.safe_dump(config)}))
    env = dict(os.environ, **GIT_ENV, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never")
    env.pop("NO_COLOR", None)
    assert PRE_COMMIT is not None

    def run(*args: str) -> tuple[int, str]:
        proc = subprocess.run(args, cwd=grants, env=env, capture_output=True, text=True, timeout=600)
        return proc.returncode, proc.stdout + proc.stderr

    def commit(files: dict[str, str], message: str) -> tuple[int, str]:
        write_files(grants, files)
        git(grants, "add", "-A")
        return run("git", "commit", "-m", message)

    assert run(PRE_COMMIT, "install")[0] == 0
    # without a baseline, a clean new grant is refused for the finding the organisation already has
    code, output = commit({F2: NEEDED + P003}, "grant P003")
    assert code == 1 and f"{F2}:4:5: error[missing-justification]" in output, output
    # the baseline accepts it: the same commit, with policies/baseline.yaml, goes through
    baselined = run_cli("baseline", "--root", str(grants))
    assert baselined.exit_code == 0, baselined.output
    assert "{rule: missing-justification, employee: E000002, permission: P001}" in \
        (grants / "policies" / "baseline.yaml").read_text("utf-8")
    code, output = commit({}, "grant P003, with the baseline")
    assert code == 0, output
    assert next(line for line in output.splitlines() if "permgate check" in line).endswith("Passed")
    # a new bad grant is still refused, at its line; the baselined finding is not listed
    code, output = commit({F2: NEEDED + P003 + P002}, "grant P002")
    assert code == 1, output
    assert f"{F2}:12:5: error[distribution-to-retail-sales] P002" in output
    assert "missing-justification" not in output
    git(grants, "reset", "-q", "--hard")

    # `--base HEAD` in pre-commit: the staged change is not a commit yet; refused, exit 2
    config["repos"][0]["hooks"] = [{"id": "permgate", "args": ["--base", "HEAD"]}]
    assert commit({".pre-commit-config.yaml": yaml.safe_dump(config)}, "hook with --base")[0] == 0
    code, output = commit({F2: NEEDED + P003 + P002}, "grant P002")
    assert code == 1, output
    assert "Error: --base HEAD and --head HEAD are the same commit" in output
    assert "in a pre-commit hook use the baseline" in output
    assert git(grants, "log", "--format=%s", "-1").strip() == "hook with --base"


def test_base_head_with_a_staged_change_is_refused_not_passed(tmp_path: Path) -> None:
    """What `args: [--base, HEAD]` gives at pre-commit time: HEAD against itself judges nothing."""
    grants = tmp_path / "grants"
    head = init_repo(grants, build({}))
    clean = run_cli("check", "--root", str(grants), "--base", "HEAD")
    assert clean.exit_code == 0, clean.output  # nothing uncommitted: nothing to judge, nothing hidden
    write_files(grants, {F2: BAD})
    git(grants, "add", F2)
    refused = run_cli("check", "--root", str(grants), "--base", "HEAD")
    assert refused.exit_code == 2 and refused.stdout == ""
    assert refused.stderr == (f"Error: --base HEAD and --head HEAD are the same commit ({head[:12]}): there is no "
                              f"change to judge, and --base reads commits, not the uncommitted changes under "
                              f"{grants}; in a pre-commit hook use the baseline (docs/ci.md)\n")
    # naming the same commit by its id is refused the same way
    assert run_cli("check", "--root", str(grants), "--base", "HEAD", "--head", head).exit_code == 2
