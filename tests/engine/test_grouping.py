"""One grant, one finding (permgate/engine/grouping.py): companions are folded into the boundary
finding on the same grant, and nothing is ever hidden by it.

The first tests are properties of ``group`` on random findings; the others are the attacks, run
through the CLI on real files (and real git for ``--base``): a waiver, a baseline entry, a
selection or a change that tries to use grouping to make a finding disappear.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from permgate.commands.check import exit_code
from permgate.engine.grouping import anchor_rules, group, grouped, grouped_list
from permgate.findings import SEVERITY_RANK, Baselined, Finding, RuleInfo, Waived
from permgate.rules.examples import build
from tests.conftest import check_json, run_cli
from tests.git_helpers import commit_change, git, init_repo, write_files

F = "assignments/retail-sales/E000002.yaml"
W = "policies/waivers.yaml"
#: E000002 (retail-sales) holds P002 (distribution) granted by their manager E000001 (retail-sales):
#: the boundary rule flags the grant, and granter-authority flags it for the same ownership
CROSSING = """\
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
LINE = 8  # P002's `- permission:` line
TODAY = ("--today", "2026-06-01")

BOUNDARY = RuleInfo("distribution-to-retail-sales", "forbidden-owner", "error", "s", False, "policies/u.yaml", 3)
RULES = (BOUNDARY, RuleInfo("granter-authority", "builtin", "error", "s", True),
         RuleInfo("expiry-required", "builtin", "error", "s", True),
         RuleInfo("expired-grant", "builtin", "warning", "s", True),
         RuleInfo("separation", "separation-of-duties", "error", "s", True, "policies/s.yaml", 9))


def flat(findings: list[Finding]) -> list[Finding]:
    return [every for f in findings for every in f.with_companions()]


def bare(f: Finding) -> Finding:
    return f._replace(companions=())


_WAIVED = Waived("E000001", "2026-12-31", "T-1", "r", W, 3, 5)

finding_strategy = st.builds(
    lambda path, line, rule, sev, perm, state: Finding(
        rule, sev, f"m-{rule}", path, line, 5, "E1", perm,
        waived=_WAIVED if state == "waived" else None,
        baselined=Baselined("policies/baseline.yaml", 4) if state == "baselined" else None),
    st.sampled_from(("a.yaml", "b.yaml")), st.integers(1, 3),
    st.sampled_from([r.id for r in RULES]), st.sampled_from(("error", "warning", "note")),
    st.sampled_from(("P1", "P2", None)), st.sampled_from(("active", "active", "waived", "baselined")))


@settings(max_examples=200, deadline=None)
@given(st.lists(finding_strategy, max_size=12))
def test_grouping_loses_nothing_and_changes_no_verdict(raw: list[Finding]) -> None:
    findings = sorted(raw, key=Finding.sort_key)
    grouped = list(group(findings, RULES))
    # every finding is still there, once; the ones listed keep their order
    assert Counter(bare(f) for f in flat(grouped)) == Counter(findings)
    listed = iter(findings)
    assert all(any(bare(f) == g for g in listed) for f in grouped)
    # the run fails exactly as before, whatever --fail-on says
    for fail_on in ("error", "warning", "note", "none"):
        assert exit_code(grouped, fail_on) == exit_code(findings, fail_on)
    for f in grouped:
        for c in f.companions:
            # only an active boundary finding takes companions, only active ones, none more severe
            assert f.rule == BOUNDARY.id and f.active and c.active and c.rule != BOUNDARY.id
            assert (c.path, c.line, c.column, c.employee, c.permission) == (f.path, f.line, f.column, f.employee,
                                                                          f.permission)
            assert SEVERITY_RANK[c.severity] <= SEVERITY_RANK[f.severity]
            assert c.permission is not None and not c.companions
    # grouping again changes nothing
    assert list(group(grouped, RULES)) == grouped


@settings(max_examples=300, deadline=None)
@given(st.lists(finding_strategy, max_size=30), st.booleans())
def test_grouped_list_is_grouped(raw: list[Finding], in_order: bool) -> None:
    """The streamed chunks' ``grouped_list`` gives ``grouped``'s list, sorted or not (out of order, runs
    of one location are only the adjacent ones)."""
    findings = sorted(raw, key=Finding.sort_key) if in_order else raw
    for anchors in (anchor_rules(RULES), frozenset(), frozenset({"granter-authority", BOUNDARY.id})):
        assert grouped_list(findings, anchors) == list(grouped(findings, anchors))


def test_only_the_boundary_kind_anchors() -> None:
    assert anchor_rules(RULES) == {"distribution-to-retail-sales"}


def test_a_waived_or_more_severe_finding_is_never_a_companion() -> None:
    at = ("a.yaml", 8, 5, "E1", "P2")
    anchor = Finding(BOUNDARY.id, "warning", "b", *at)
    waived = Finding("granter-authority", "error", "g", *at, waived=_WAIVED)
    error = Finding("expiry-required", "error", "e", *at)
    note = Finding("expired-grant", "note", "x", *at)
    findings = sorted([anchor, waived, error, note], key=Finding.sort_key)
    assert [f.rule for f in findings] == [BOUNDARY.id, "expired-grant", "expiry-required", "granter-authority"]
    [first, second, third] = group(findings, RULES)
    assert (first.rule, first.companions) == (BOUNDARY.id, (note,))
    assert (second, third) == (error, waived)  # listed on their own, in their order


# --- through the CLI ---------------------------------------------------------------------------


def _everything(doc: dict[str, Any]) -> Counter[tuple[str, str, int]]:
    return Counter((f["rule"], f["path"], f["line"]) for top in doc["findings"]
                   for f in (top, *top["companions"]))


def test_one_grant_one_finding_naming_its_companion(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F: CROSSING})
    code, doc = check_json(root, *TODAY)
    assert code == 1
    [top] = [f for f in doc["findings"] if f["line"] == LINE]
    assert (top["rule"], top["path"]) == ("distribution-to-retail-sales", F)
    [companion] = top["companions"]
    # the companion keeps all of its own words and locations
    assert (companion["rule"], companion["path"], companion["line"], companion["severity"]) == \
        ("granter-authority", F, LINE, "error")
    assert "E000001 Ada Abbott is in retail-sales" in companion["message"]
    assert companion["companions"] == [] and companion["waived"] is None
    assert doc["summary"]["errors"] == 1 and doc["summary"]["companions"] == 1
    assert doc["summary"]["by_rule"]["granter-authority"] == {
        "errors": 1, "warnings": 0, "notes": 0, "waived": 0, "baselined": 0, "companions": 1}
    # a finding with companions is written by the general encoder: still json.dumps' bytes
    raw = run_cli("check", "--root", str(root), *TODAY, "--format", "json").stdout
    assert raw == json.dumps(json.loads(raw), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    text = run_cli("check", "--root", str(root), *TODAY).stdout
    assert f"{F}:{LINE}:5: error[distribution-to-retail-sales] P002 supply-points.read is owned by " in text
    assert text.splitlines()[0].endswith(" (also: granter-authority)")
    assert "error[granter-authority]" not in text
    assert text.splitlines()[-1].startswith("1 error, ")
    # the rule on its own: --select lists it as it always was
    alone = json.loads(run_cli("check", "--root", str(root), *TODAY, "--format", "json",
                               "--select", "granter-authority").stdout)
    assert [(f["rule"], f["line"], f["companions"]) for f in alone["findings"]] == [("granter-authority", LINE, [])]


def test_ignoring_the_boundary_rule_lists_its_companions(make_repo: Callable[..., Path]) -> None:
    code, doc = check_json(make_repo({F: CROSSING}), *TODAY, "--ignore", "distribution-to-retail-sales")
    assert code == 1
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("granter-authority", LINE)]


def test_a_waiver_of_the_companion_rule_hides_nothing_else(make_repo: Callable[..., Path]) -> None:
    waiver = ("---\nwaivers:\n  - rule: granter-authority\n    employee: E000002\n    permission: P002\n"
              "    reason: \"liaison\"\n    ticket: ACC-00150\n    approved_by: E000004\n"
              "    approved_on: 2026-05-01\n    expires: 2026-07-31\n")
    code, doc = check_json(make_repo({F: CROSSING, W: waiver}), *TODAY)
    assert code == 1  # the boundary finding cannot be waived and still fails the run
    rows = [(f["rule"], f["line"], bool(f["waived"]), [c["rule"] for c in f["companions"]])
            for f in doc["findings"] if f["line"] == LINE]
    assert rows == [("distribution-to-retail-sales", LINE, False, []), ("granter-authority", LINE, True, [])]


def test_waiving_a_waivable_boundary_rule_does_not_waive_its_companions(make_repo: Callable[..., Path]) -> None:
    """The attack: the boundary rule is waivable here, so an author waives it, hoping the companion
    it carried (an error of another rule) goes with it."""
    policy = build({})["policies/unbundling.yaml"].replace("waivable: false", "waivable: true")
    waiver = ("---\nwaivers:\n  - rule: distribution-to-retail-sales\n    employee: E000002\n    permission: P002\n"
              "    reason: \"liaison\"\n    ticket: ACC-00150\n    approved_by: E000004\n"
              "    approved_on: 2026-05-01\n    expires: 2026-07-31\n")
    root = make_repo({F: CROSSING, W: waiver, "policies/unbundling.yaml": policy})
    code, doc = check_json(root, *TODAY)
    assert code == 1
    rows = [(f["rule"], bool(f["waived"]), f["companions"]) for f in doc["findings"] if f["line"] == LINE]
    assert rows == [("distribution-to-retail-sales", True, []), ("granter-authority", False, [])]
    text = run_cli("check", "--root", str(root), *TODAY).stdout
    assert f"{F}:{LINE}:5: error[granter-authority] " in text


def test_a_less_severe_boundary_rule_takes_no_error_as_companion(make_repo: Callable[..., Path]) -> None:
    policy = build({})["policies/unbundling.yaml"].replace("severity: error", "severity: warning")
    code, doc = check_json(make_repo({F: CROSSING, "policies/unbundling.yaml": policy}), *TODAY)
    assert code == 1
    rows = [(f["rule"], f["severity"], f["companions"]) for f in doc["findings"] if f["line"] == LINE]
    assert rows == [("distribution-to-retail-sales", "warning", []), ("granter-authority", "error", [])]


def test_the_baseline_covers_companions_by_their_own_keys(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F: CROSSING})
    assert run_cli("baseline", "--root", str(root), *TODAY).exit_code == 0
    baseline = (root / "policies" / "baseline.yaml").read_text()
    assert "granter-authority" in baseline and "distribution-to-retail-sales" not in baseline
    code, doc = check_json(root, *TODAY)
    assert code == 1  # the boundary finding is never baselined
    rows = [(f["rule"], f["baselined"] is not None, f["companions"]) for f in doc["findings"] if f["line"] == LINE]
    assert rows == [("distribution-to-retail-sales", False, []), ("granter-authority", True, [])]
    assert doc["summary"]["companions"] == 0


def _base_repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    init_repo(root, build(files))
    git(root, "checkout", "-q", "-b", "change")
    return root


def test_base_mode_never_folds_a_new_finding_into_a_preexisting_one(tmp_path: Path) -> None:
    """The attack: the boundary finding on E000002's P002 grant already exists at the base; the
    change makes the grant's granter E000003 leave distribution, which adds a granter-authority
    error on the same grant.  Folded into the (pre-existing, unlisted) boundary finding it would
    vanish from the report; it must be listed."""
    crossing_by_distribution = CROSSING.replace("P002\n    granted_by: E000001", "P002\n    granted_by: E000003")
    # E000003 (distribution) is E000002's manager: at the base only the boundary rule flags the grant
    people = build({})["people.yaml"].replace("- id: E000002\n  name: Ben Baker\n  division: retail-sales\n"
                                              "  manager: E000001", "- id: E000002\n  name: Ben Baker\n"
                                              "  division: retail-sales\n  manager: E000003")
    root = _base_repo(tmp_path, {F: crossing_by_distribution, "people.yaml": people})
    _, before = check_json(root, *TODAY)
    assert [(f["rule"], f["companions"]) for f in before["findings"] if f["line"] == LINE] == [
        ("distribution-to-retail-sales", [])]
    moved = people.replace("- id: E000003\n  name: Chloe Castro\n  division: distribution",
                           "- id: E000003\n  name: Chloe Castro\n  division: corporate")
    assert moved != people
    write_files(root, {"people.yaml": moved})
    commit_change(root, "E000003 moves to corporate")
    code, doc = check_json(root, "--base", "main", *TODAY)
    assert code == 1
    rows = [(f["rule"], f["path"], f["line"], f["companions"]) for f in doc["findings"]]
    assert ("granter-authority", F, LINE, []) in rows
    assert not any(r[0] == "distribution-to-retail-sales" for r in rows)  # pre-existing: not listed
    text = run_cli("check", "--root", str(root), "--base", "main", *TODAY).stdout
    assert f"{F}:{LINE}:5: error[granter-authority] " in text


def test_base_mode_groups_what_the_change_adds(tmp_path: Path) -> None:
    root = _base_repo(tmp_path, {})
    write_files(root, {F: CROSSING})
    commit_change(root, "a crossing grant")
    code, doc = check_json(root, "--base", "main", *TODAY)
    assert code == 1
    [top] = [f for f in doc["findings"] if f["line"] == LINE]
    assert (top["rule"], [c["rule"] for c in top["companions"]]) == ("distribution-to-retail-sales",
                                                                    ["granter-authority"])
    # the same findings as the plain run, grouped the same way
    _, plain = check_json(root, *TODAY)
    assert _everything(doc) == _everything(plain)


def test_github_annotates_a_grant_once_with_its_companions_words(make_repo: Callable[..., Path]) -> None:
    out = run_cli("check", "--root", str(make_repo({F: CROSSING})), *TODAY, "--format", "github").stdout
    annotations = [line for line in out.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 1
    assert annotations[0].startswith(f"::error file={F},line={LINE},col=5,title=distribution-to-retail-sales::P002 ")
    assert "%0Aalso error[granter-authority]: P002 supply-points.read is owned by distribution" in annotations[0]


def test_markdown_lists_a_grant_once_and_counts_its_companions(make_repo: Callable[..., Path]) -> None:
    md = run_cli("check", "--root", str(make_repo({F: CROSSING})), *TODAY, "--format", "markdown").stdout
    rows = [line for line in md.splitlines() if line.startswith("| error |")]
    assert len(rows) == 1 and rows[0].endswith(" (also: granter-authority) |")
    assert "| <code>granter-authority</code> | 1 | 0 | 0 | 0 | 0 |" in md
    assert "1 finding of these is listed with the boundary finding on the same grant" in md
    assert "<code>granter-authority</code>: " in md  # its explanation is there too
