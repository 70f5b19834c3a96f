"""permgate rules, permgate explain, and the generated docs/rules/ pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from permgate.docsgen import main as docsgen
from permgate.docsgen import stale
from permgate.rules import BUILTIN_RULES, POLICY_KINDS
from permgate.rules.docs import pages
from tests.conftest import PROJECT, run_cli

ISSUE_4_RULES = {
    "granter-authority": "error", "bulk-grant": "error", "expiry-required": "error", "expired-grant": "warning",
    "missing-justification": "error", "stale-after-transfer": "warning", "privilege-management": "error",
    "misplaced-file": "error", "waiver-invalid": "error", "waiver-unused": "warning",
}


def test_docs_rules_pages_are_up_to_date() -> None:
    """Fails when a rule module changed without `python -m permgate.docsgen`."""
    assert stale(str(PROJECT / "docs" / "rules")) == []


def test_docsgen_writes_then_checks(tmp_path: Path) -> None:
    out = tmp_path / "rules"
    assert docsgen(["--check", "--out", str(out)]) == 1
    assert docsgen(["--out", str(out)]) == 0
    assert docsgen(["--check", "--out", str(out)]) == 0
    (out / "gone-rule.md").write_text("old\n")
    (out / "self-grant.md").write_text("edited\n")
    assert stale(str(out)) == ["self-grant.md", "gone-rule.md"]
    docsgen(["--out", str(out)])
    assert sorted(p.name for p in out.iterdir()) == sorted(pages())


def test_rules_json_lists_every_rule_with_kind_and_severity() -> None:
    result = run_cli("rules", "--root", str(PROJECT), "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["version"] == 1
    by_id = {r["id"]: r for r in doc["rules"]}
    for rule_id, severity in ISSUE_4_RULES.items():
        assert (by_id[rule_id]["kind"], by_id[rule_id]["severity"]) == ("builtin", severity)
    assert set(doc["rules"][0]) == {"id", "kind", "severity", "summary", "waivable", "path", "line"}
    assert by_id["distribution-to-retail-sales"] | {"summary": ""} == {
        "id": "distribution-to-retail-sales", "kind": "forbidden-owner", "severity": "error", "summary": "",
        "waivable": False, "path": "policies/unbundling.yaml", "line": 4}
    assert by_id["access-admin-with-personal-data"]["kind"] == "separation-of-duties"
    assert [k["name"] for k in doc["kinds"]] == ["forbidden-owner", "separation-of-duties"]


def test_rules_text_and_severity_from_config(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"permgate.yaml": "severity:\n  bulk-grant: warning\n"})
    lines = run_cli("rules", "--root", str(root)).stdout.splitlines()
    assert lines[0].split() == ["ID", "KIND", "SEVERITY", "WAIVABLE", "SUMMARY"]
    assert next(ln for ln in lines if ln.startswith("bulk-grant ")).split()[1:4] == ["builtin", "warning", "yes"]
    assert any(ln.startswith("distribution-to-retail-sales ") and "(policies/unbundling.yaml:3)" in ln
               for ln in lines)


def test_rules_outside_a_grants_repository_lists_the_built_ins(tmp_path: Path) -> None:
    doc = json.loads(run_cli("rules", "--root", str(tmp_path), "--format", "json").stdout)
    assert [r["id"] for r in doc["rules"]] == [r.id for r in BUILTIN_RULES]


def test_explain_prints_the_docs_page() -> None:
    for rule in BUILTIN_RULES:
        result = run_cli("explain", rule.id)
        assert result.exit_code == 0
        assert result.stdout == (PROJECT / "docs" / "rules" / f"{rule.id}.md").read_text()
        for section in ("## What it flags", "## Why it matters", "## Example that fails", "## The fix"):
            assert section in result.stdout
    for kind in POLICY_KINDS:
        assert run_cli("explain", kind).stdout == (PROJECT / "docs" / "rules" / f"{kind}.md").read_text()


def test_explain_a_policy_rule_shows_the_policy_and_its_kind() -> None:
    result = run_cli("explain", "distribution-to-retail-sales", "--root", str(PROJECT))
    assert result.exit_code == 0
    head, kind_page = result.stdout.split("\n---\n", 1)
    assert head.startswith("# `distribution-to-retail-sales` (declared in policies/unbundling.yaml:4)")
    assert "| `forbidden-owner` | error | no |" in head
    assert '"owner_divisions": [\n    "distribution"\n  ]' in head
    assert kind_page.lstrip("\n") == (PROJECT / "docs" / "rules" / "forbidden-owner.md").read_text()


def test_explain_unknown_id_is_a_usage_error() -> None:
    result = run_cli("explain", "no-such-rule", "--root", str(PROJECT))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: no rule or policy kind `no-such-rule`; known: invalid-file, ")
