"""End to end on examples/incident-2023 (issue 4's Done-when) and on the clean top level."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT, check_json, every_finding, pairs, run_cli

INCIDENT = PROJECT / "examples" / "incident-2023"
HOLDERS = ("E000007", "E000009", "E000010", "E000011", "E000012")
P083_LINE = 241
REGISTER_LINE = 353


def path(e: str) -> str:
    return f"assignments/retail-sales/{e}.yaml"


@pytest.fixture(scope="module")
def incident() -> dict[str, Any]:
    code, doc = check_json(INCIDENT, "--today", "2023-03-16")
    assert code == 1
    return doc


def _lines_of(root: Path, rel: str, permission: str | None = None) -> set[int]:
    """``- permission:`` lines of a grants file, read independently of permgate."""
    out = set()
    for n, line in enumerate((root / rel).read_text().splitlines(), start=1):
        if line.startswith("  - permission: ") and (permission is None or line.endswith(f" {permission}")):
            out.add(n)
    return out


def test_bulk_grant_flags_exactly_the_five_holders(incident: dict[str, Any]) -> None:
    assert {f["employee"] for f in incident["findings"] if f["rule"] == "bulk-grant"} == set(HOLDERS)
    assert pairs(incident, "bulk-grant") == {("bulk-grant", path(e), 3) for e in HOLDERS}


def test_granter_authority_flags_each_of_the_five_p083_grants(incident: dict[str, Any]) -> None:
    expected = {("granter-authority", path(e), line) for e in HOLDERS for line in _lines_of(INCIDENT, path(e), "P083")}
    assert expected == {("granter-authority", path(e), P083_LINE) for e in HOLDERS}
    assert pairs(incident, "granter-authority") == expected


def test_self_grant_flags_every_item_the_special_manager_gave_himself(incident: dict[str, Any]) -> None:
    data = yaml.safe_load((INCIDENT / path("E000007")).read_text())
    assert {g["granted_by"] for g in data["grants"]} == {"E000007"} and len(data["grants"]) == 89
    assert pairs(incident, "self-grant") == {("self-grant", path("E000007"), n)
                                             for n in _lines_of(INCIDENT, path("E000007"))}


def test_the_other_findings_are_those_the_readme_documents(incident: dict[str, Any]) -> None:
    p083 = {(path(e), P083_LINE) for e in HOLDERS}
    by_rule: dict[str, set[tuple[str, int]]] = {}
    for f in every_finding(incident):
        by_rule.setdefault(f["rule"], set()).add((f["path"], f["line"]))
    assert by_rule.pop("distribution-to-retail-sales") == p083
    assert by_rule.pop("expiry-required") == p083
    assert by_rule.pop("privilege-management") == {(path(e), REGISTER_LINE) for e in HOLDERS}
    assert set(by_rule) == {"bulk-grant", "granter-authority", "self-grant"}
    assert incident["summary"]["errors"] == 103  # 114 findings, 11 of them companions on the P083 lines
    assert incident["summary"]["companions"] == 11
    p083 = [f for f in incident["findings"] if f["line"] == P083_LINE]
    assert {(f["rule"], f["path"]) for f in p083} == {("distribution-to-retail-sales", path(e)) for e in HOLDERS}
    for f in p083:
        expected = ["expiry-required", "granter-authority"] + (["self-grant"] if f["employee"] == "E000007" else [])
        assert [c["rule"] for c in f["companions"]] == expected


def test_the_replay_is_what_its_script_writes(tmp_path: Path) -> None:
    """make_incident.py is deterministic and its output is committed unchanged."""
    copy = tmp_path / "incident-2023"
    copy.mkdir()
    (copy / "make_incident.py").write_bytes((INCIDENT / "make_incident.py").read_bytes())
    subprocess.run([sys.executable, str(copy / "make_incident.py")], check=True, capture_output=True)
    written = sorted(p.relative_to(copy) for p in copy.rglob("*") if p.is_file())
    for rel in written:
        assert (copy / rel).read_bytes() == (INCIDENT / rel).read_bytes(), rel


def test_the_top_level_repository_is_clean_under_every_rule() -> None:
    code, doc = check_json(PROJECT, "--fail-on", "note", "--today", "2026-12-01")
    assert (code, doc["findings"]) == (0, [])
    assert len({p.name for p in (PROJECT / "policies").glob("*.yaml")}) >= 3


def test_the_replay_before_the_removal_is_the_snapshot_byte_for_byte(
        incident_history: tuple[Path, list[tuple[str, str, str]]]) -> None:
    """The dated history leads to exactly the snapshot, policies included (the delegates of the
    division heads in policies/governance.yaml, the policy tests): judged alike, found alike."""
    root, log = incident_history
    before_removal = log[-2][0]
    listed = subprocess.run(["git", "ls-tree", "-r", "--name-only", before_removal], cwd=root, check=True,
                            capture_output=True, text=True).stdout.split()
    scripts = {"README.md", "make_incident.py", "replay_history.py", "system-export.csv"}
    snapshot = sorted(p.relative_to(INCIDENT).as_posix() for p in INCIDENT.rglob("*")
                      if p.is_file() and p.name not in scripts and "__pycache__" not in p.parts)
    assert sorted(listed) == snapshot
    assert "policies/governance.yaml" in listed
    for rel in listed:
        blob = subprocess.run(["git", "show", f"{before_removal}:{rel}"], cwd=root, check=True,
                              capture_output=True).stdout
        assert blob == (INCIDENT / rel).read_bytes(), rel


def test_audit_of_granter_authority_applies_the_delegates(
        incident_history: tuple[Path, list[tuple[str, str, str]]]) -> None:
    """``audit --rule granter-authority`` judges with the policies' settings, as check does: the
    division heads' grants to each other are covered by delegates; only the P083 grants remain."""
    root, _ = incident_history
    result = run_cli("audit", "--root", str(root), "--until", "2023-03-31", "--rule", "granter-authority",
                     "--format", "json")
    assert result.exit_code == 0, result.output
    exposures = json.loads(result.stdout)["exposures"]
    assert sorted((e["employee"], e["permission"], e["line"]) for e in exposures) == [
        (e, "P083", P083_LINE) for e in sorted(HOLDERS)]
