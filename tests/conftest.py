"""Shared test helpers: build grants repositories on disk and run the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from permgate.cli import cli
from permgate.rules.examples import BASE, build

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"
#: the reference organisation generator; the project's copy with ``--reference`` writes the same bytes
#: (``tests/e2e/test_gen_org.py`` compares the two when ../shared is there), so tests never skip for it
SHARED_GEN_ORG = SHARED / "bench" / "gen_org.py"
GEN_ORG = PROJECT / "benchmarks" / "gen_org.py"
REFERENCE = ("--reference",)
UNBUNDLING_POLICY = PROJECT / "policies" / "unbundling.yaml"


def write_repo(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    (root / "assignments").mkdir(exist_ok=True)
    (root / "policies").mkdir(exist_ok=True)
    return root


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The suite's runs cache under a temporary folder, never in the user's ~/.cache."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """``make_repo({path: text})``: the examples BASE organisation with those files laid over it."""
    counter = iter(range(1000))

    def make(files: Mapping[str, str] | None = None, base: bool = True) -> Path:
        root = tmp_path / f"repo{next(counter)}"
        root.mkdir()
        merged = build(files or {}) if base else dict(files or {})
        return write_repo(root, merged)

    return make


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def check_json(root: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", "--root", str(root), "--format", "json", *extra)
    return result.exit_code, json.loads(result.stdout)


def every_finding(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every finding of a JSON report, each followed by its companions (the other rules' findings
    on a grant listed with its boundary finding: permgate/engine/grouping.py)."""
    return [f for top in doc["findings"] for f in (top, *top.get("companions", ()))]


def pairs(doc: dict[str, Any], rule: str | None = None) -> set[tuple[str, str, int]]:
    """(rule, path, line) of every finding (companions included), optionally of one rule only."""
    return {(f["rule"], f["path"], f["line"]) for f in every_finding(doc) if rule is None or f["rule"] == rule}


def gen_org(out: Path, employees: int, seed: int, violations: int | None = None) -> dict[str, Any]:
    """Run the reference generator (the project's copy, ``--reference``) and add the shipped policies."""
    cmd = [sys.executable, str(GEN_ORG), "--employees", str(employees), "--out", str(out), "--seed", str(seed),
           *REFERENCE]
    if violations is not None:
        cmd += ["--violations", str(violations)]
    subprocess.run(cmd, check=True, capture_output=True)
    (out / "policies").mkdir(exist_ok=True)
    (out / "policies" / "unbundling.yaml").write_text(UNBUNDLING_POLICY.read_text("utf-8"), encoding="utf-8")
    expected: dict[str, Any] = json.loads((out / "expected.json").read_text())
    return expected



__all__ = ["BASE", "PROJECT", "SHARED", "check_json", "every_finding", "gen_org", "pairs", "run_cli", "write_repo"]
_ = os


REPLAY = PROJECT / "examples" / "incident-2023" / "replay_history.py"


def replay_incident(out: Path, subdir: str = "") -> list[tuple[str, str, str]]:
    """The incident-2023 replay as dated git history in ``out``: (commit, day, subject) oldest first."""
    cmd = [sys.executable, str(REPLAY), str(out)] + (["--subdir", subdir] if subdir else [])
    proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
    log = []
    for line in proc.stdout.splitlines():
        short, day, subject = line.split(" ", 2)
        full = subprocess.run(["git", "rev-parse", short], cwd=out, check=True, capture_output=True, text=True)
        log.append((full.stdout.strip(), day, subject))
    return log


@pytest.fixture(scope="session")
def incident_history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str, str]]]:
    """One shared replay of the incident (read-only: copy it before changing anything)."""
    out = tmp_path_factory.mktemp("incident") / "repo"
    return out, replay_incident(out)

# Hypothesis: one fixed, database-free profile so CI runs are reproducible and fast;
# HYPOTHESIS_PROFILE=deep explores more (docs/security.md).
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=25,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("deep", database=None, deadline=None, max_examples=1000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
