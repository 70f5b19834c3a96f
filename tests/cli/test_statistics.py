"""``check --statistics`` and ``summary.by_rule``: the counts are those of the findings listed."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import every_finding, run_cli
from tests.test_waivers import SELF_GRANT, W, waiver

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
G = "assignments/retail-sales/E000003.yaml"
BAD3 = BAD.replace("E000002", "E000003")


def _expected(doc: dict[str, Any]) -> Counter[tuple[str, str]]:
    """(rule, severity, or waived/baselined) of each finding the JSON lists, companions included."""
    return Counter((f["rule"], "waived" if f["waived"] else "baselined" if f["baselined"] else f["severity"])
                   for f in every_finding(doc))


def _statistics(stdout_tail: str) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for line in stdout_tail.splitlines():
        if line.startswith("("):  # the closing note on companions
            continue
        count, rule, what = line.split()
        out[(rule, what.strip("[]"))] = int(count)
    return out


def test_statistics_count_the_findings_listed(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F: SELF_GRANT, G: BAD3, W: "---\nwaivers:\n" + waiver()})
    doc = json.loads(run_cli("check", "--root", str(root), "--format", "json", "--today", "2026-06-01").stdout)
    expected = _expected(doc)
    assert expected[("self-grant", "waived")] == 1  # the waived one is counted apart, not as an error
    assert expected[("self-grant", "error")] == 1
    text = run_cli("check", "--root", str(root), "--statistics", "--today", "2026-06-01")
    assert text.exit_code == 1
    _, _, stats = text.stdout.partition(" grants files (")
    stats = stats.split("\n", 1)[1]
    assert _statistics(stats) == expected
    rows = [line.split() for line in stats.splitlines() if not line.startswith("(")]
    assert stats.splitlines()[-1] == ("(1 of these is a companion: listed as `(also: RULE)` with the boundary "
                                      "finding on the same grant)")
    assert [int(r[0]) for r in rows] == sorted((int(r[0]) for r in rows), reverse=True)
    # the text report itself is unchanged by --statistics
    plain = run_cli("check", "--root", str(root), "--today", "2026-06-01").stdout
    assert text.stdout.startswith(plain)
    # JSON: the same counts, always, per rule
    by_rule = doc["summary"]["by_rule"]
    assert by_rule["self-grant"] == {"errors": 1, "warnings": 0, "notes": 0, "waived": 1, "baselined": 0,
                                     "companions": 0}
    assert by_rule["distribution-to-retail-sales"]["errors"] == \
        sum(1 for f in doc["findings"] if f["rule"] == "distribution-to-retail-sales" and not f["waived"])
    assert _totals(by_rule) == dict(Counter(f["rule"] for f in every_finding(doc)))
    assert {r: n["companions"] for r, n in by_rule.items()} == {
        r: sum(1 for top in doc["findings"] for c in top["companions"] if c["rule"] == r) for r in by_rule}


def _totals(by_rule: dict[str, dict[str, int]]) -> dict[str, int]:
    """Findings of each rule: by severity, waived and baselined (``companions`` counts some of them again)."""
    return {r: sum(v for k, v in n.items() if k != "companions") for r, n in by_rule.items()}


def test_statistics_of_a_machine_format_go_to_stderr(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F: BAD})
    result = run_cli("check", "--root", str(root), "--format", "json", "--statistics")
    doc = json.loads(result.stdout)  # stdout stays valid JSON
    assert _statistics(result.stderr) == _expected(doc)
    assert run_cli("check", "--root", str(make_repo({})), "--statistics").stdout.endswith(
        "(1 grant)\nNo findings.\n")


def test_markdown_summary_has_the_table_per_rule(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F: BAD})
    md = run_cli("check", "--root", str(root), "--format", "markdown").stdout
    assert "| Rule | Errors | Warnings | Notes | Waived | Baselined |" in md
    assert "| <code>self-grant</code> | 1 | 0 | 0 | 0 | 0 |" in md


def test_statistics_in_base_mode_count_the_new_findings(tmp_path: Path) -> None:
    from permgate.rules.examples import build
    from tests.git_helpers import commit_all, git, init_repo, write_files

    root = tmp_path / "repo"
    # at the base E000002 already holds P002 (pre-existing); the change adds E000003's self-grant
    init_repo(root, build({F: BAD}))
    git(root, "checkout", "-q", "-b", "change")
    write_files(root, {G: BAD3.replace("P002", "P003")})
    commit_all(root, "a new self-grant")
    doc = json.loads(run_cli("check", "--root", str(root), "--base", "main", "--format", "json").stdout)
    assert {f["path"] for f in doc["findings"]} == {G}  # E000002's findings are not new
    assert ("self-grant", G, 4) in {(f["rule"], f["path"], f["line"]) for f in doc["findings"]}
    result = run_cli("check", "--root", str(root), "--base", "main", "--statistics")
    stats = result.stdout.split(" not evaluated\n", 1)[1] if " not evaluated\n" in result.stdout \
        else result.stdout.split(" not shown\n", 1)[1]
    assert _statistics(stats) == _expected(doc)
    assert _totals(doc["summary"]["by_rule"]) == dict(Counter(f["rule"] for f in every_finding(doc)))
