"""--format sarif: valid SARIF 2.1.0 (the official schema), rules with help, located results."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from permgate.findings import Finding, Related, Waived
from permgate.reporters import REPORTERS, Report
from permgate.rules import BUILTIN_BY_ID
from tests.conftest import SHARED, run_cli

SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"
F2 = "assignments/retail-sales/E000002.yaml"
BAD = """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
  - permission: P002
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "transfer-in registration, ticket ACC-00108"
"""


@cache
def _validator() -> Any:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def validate(doc: dict[str, Any]) -> None:
    if not SCHEMA.exists():
        pytest.skip("../shared/schemas/sarif-schema-2.1.0.json is not beside the project")
    _validator().validate(doc)


def sarif_of(root: Path, *extra: str) -> dict[str, Any]:
    result = run_cli("check", "--root", str(root), "--format", "sarif", "--today", "2026-06-01", *extra)
    assert result.exit_code in (0, 1), result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_valid_with_results_at_grant_lines_and_related_locations(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F2: BAD})
    doc = sarif_of(root)
    validate(doc)
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    assert run["tool"]["driver"]["name"] == "permgate"
    results = {r["ruleId"]: r for r in run["results"]}
    r = results["distribution-to-retail-sales"]
    assert r["level"] == "error"
    assert r["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": F2},
                                                    "region": {"startLine": 8, "startColumn": 5}}}]
    related = [(x["physicalLocation"]["artifactLocation"]["uri"], x["physicalLocation"]["region"]["startLine"])
               for x in r["relatedLocations"]]
    assert related == [("catalog.yaml", 8), ("people.yaml", 8), ("policies/unbundling.yaml", 3)]
    assert [x["id"] for x in r["relatedLocations"]] == [1, 2, 3]
    # granter-authority flags the same grant: one result, naming it (docs/output-formats.md, "Companions")
    assert "granter-authority" not in results
    [companion] = r["properties"].pop("companions")
    assert (companion["ruleId"], companion["level"]) == ("granter-authority", "error")
    assert companion["message"].startswith("P002 supply-points.read is owned by distribution")
    assert r["message"]["text"].endswith(" (also: granter-authority)")
    assert r["properties"] == {"employee": "E000002", "permission": "P002"}
    rules = run["tool"]["driver"]["rules"]
    assert rules[r["ruleIndex"]]["id"] == "distribution-to-retail-sales"


def test_one_rule_entry_per_rule_with_help_from_the_docs(make_repo: Callable[..., Path]) -> None:
    doc = sarif_of(make_repo({}))
    validate(doc)
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    assert set(BUILTIN_BY_ID) <= set(ids)
    assert "distribution-to-retail-sales" in ids
    by_id = {r["id"]: r for r in rules}
    self_grant = BUILTIN_BY_ID["self-grant"]
    assert by_id["self-grant"]["shortDescription"]["text"] == self_grant.summary
    assert by_id["self-grant"]["fullDescription"]["text"] == self_grant.doc.flags
    assert self_grant.doc.why in by_id["self-grant"]["help"]["text"]
    assert self_grant.doc.fix in by_id["self-grant"]["help"]["markdown"]
    policy = by_id["distribution-to-retail-sales"]
    assert policy["properties"] == {"kind": "forbidden-owner", "waivable": False, "security-severity": "8.0",
                                    "tags": ["security", "access-governance", "forbidden-owner"]}
    assert "declared at policies/unbundling.yaml:3" in policy["help"]["text"]
    assert "Legal unbundling" in policy["help"]["text"]  # the kind's documentation
    assert policy["defaultConfiguration"] == {"level": "error"}


def test_clean_run_is_valid_and_empty(make_repo: Callable[..., Path]) -> None:
    doc = sarif_of(make_repo({}))
    validate(doc)
    assert doc["runs"][0]["results"] == []


def test_waived_finding_is_a_suppression_and_odd_paths_are_encoded() -> None:
    waived = Waived("E000001", "2026-12-31", "ACC-1", "pilot", "policies/waivers.yaml", 4, 5)
    findings = (
        Finding("self-grant", "error", "x", "assignments/a b/E#1.yaml", 3, 5, "E1", "P1",
                (Related("people.yaml", 2, 3, "y"),), waived),
    )
    doc = json.loads(REPORTERS["sarif"](Report(findings=findings, path_prefix="sub dir/")))
    validate(doc)
    result = doc["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "sub%20dir/assignments/a%20b/E%231.yaml"
    assert result["suppressions"][0]["kind"] == "external"
    assert "ACC-1" in result["suppressions"][0]["justification"]
    assert "ruleIndex" not in result  # no rules were given


def test_output_is_deterministic(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F2: BAD})
    a = run_cli("check", "--root", str(root), "--format", "sarif", "--today", "2026-06-01").stdout
    b = run_cli("check", "--root", str(root), "--format", "sarif", "--today", "2026-06-01").stdout
    assert a == b


def test_past_code_scanning_s_limit_the_most_severe_results_are_kept_and_the_rest_counted(
        monkeypatch: Any) -> None:
    from permgate.findings import Finding
    from permgate.reporters import REPORTERS, Report
    from permgate.reporters import sarif as sarif_module

    monkeypatch.setattr(sarif_module, "MAX_RESULTS", 5)
    notes = [Finding("expired-grant", "note", f"n{i}", f"assignments/a{i}.yaml", 2, 5) for i in range(6)]
    findings = (*notes, Finding("self-grant", "error", "e0", "assignments/b.yaml", 7, 5),
                Finding("self-grant", "error", "e1", "assignments/c.yaml", 7, 5))
    doc = json.loads(REPORTERS["sarif"](Report(findings=findings, files=8, grants=8)))
    validate(doc)
    run = doc["runs"][0]
    assert [r["message"]["text"] for r in run["results"]] == ["n0", "n1", "n2", "e0", "e1"]
    assert run["properties"]["omitted"] == {"results": 3, "by_rule": {"expired-grant": 3}}
    note = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert note.startswith("3 of 8 findings are not in this file")


def test_rules_carry_security_severity_and_tags(make_repo: Callable[..., Path]) -> None:
    doc = sarif_of(make_repo())
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["distribution-to-retail-sales"]["properties"]["security-severity"] == "8.0"
    assert rules["distribution-to-retail-sales"]["properties"]["tags"] == ["security", "access-governance",
                                                                           "forbidden-owner"]
