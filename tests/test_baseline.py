"""The baseline (issue 18): accept the findings of adoption, fail only on new ones.

Every test asserts the rule and the path:line, and runs the real command line.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import check_json, gen_org, pairs, run_cli
from tests.git_helpers import commit_all, init_repo

TODAY = "2026-06-01"
GRANTS = "assignments/retail-sales/E000002.yaml"
BASELINE = "policies/baseline.yaml"

#: E000002 grants himself P001 (self-grant, waivable) at line 4
SELF_GRANT = """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000002
    granted_on: 2026-04-27
    reason: "billing desk cover, ticket ACC-00149"
"""
#: the same, and a second self-grant of P003 at line 8
TWO_SELF_GRANTS = SELF_GRANT + """\
  - permission: P003
    granted_by: E000002
    granted_on: 2026-05-02
    reason: "billing desk cover, ticket ACC-00150"
"""
#: E000002 (retail-sales) holds P002 (distribution-owned; not waivable) at line 4
BOUNDARY = SELF_GRANT.replace("P001", "P002").replace("granted_by: E000002", "granted_by: E000001")


def baseline(root: Path, *extra: str) -> str:
    result = run_cli("baseline", "--root", str(root), "--today", TODAY, *extra)
    assert result.exit_code == 0, result.output
    return (root / BASELINE).read_text("utf-8")


def active(doc: dict) -> set[tuple[str, str, int]]:  # type: ignore[type-arg]
    return {(f["rule"], f["path"], f["line"]) for f in doc["findings"] if f["baselined"] is None}


def test_a_baselined_finding_is_reported_apart_and_passes(make_repo) -> None:  # type: ignore[no-untyped-def]
    root = make_repo({GRANTS: SELF_GRANT})
    text = baseline(root)
    assert "- {rule: self-grant, employee: E000002, permission: P001}" in text
    code, doc = check_json(root, "--today", TODAY)
    assert code == 0
    [finding] = [f for f in doc["findings"] if f["rule"] == "self-grant"]
    assert (finding["path"], finding["line"]) == (GRANTS, 4)
    assert finding["baselined"] == {"path": BASELINE, "line": 8}
    assert doc["summary"]["baselined"] == 1 and doc["summary"]["errors"] == 0


def test_a_new_bad_grant_after_the_baseline_fails(make_repo) -> None:  # type: ignore[no-untyped-def]
    root = make_repo({GRANTS: SELF_GRANT})
    baseline(root)
    (root / GRANTS).write_text(TWO_SELF_GRANTS, encoding="utf-8")
    code, doc = check_json(root, "--today", TODAY)
    assert code == 1
    assert active(doc) == {("self-grant", GRANTS, 8)}
    result = run_cli("check", "--root", str(root), "--today", TODAY)
    assert result.stdout.splitlines()[0].startswith(f"{GRANTS}:8:5: error[self-grant]")
    assert "1 baselined (not shown)" in result.stdout


def test_the_count_accepts_no_more_findings_of_a_key_than_it_says(make_repo) -> None:  # type: ignore[no-untyped-def]
    root = make_repo({GRANTS: SELF_GRANT})
    baseline(root)
    # the same key twice: one finding is accepted, the second is new
    second = SELF_GRANT + SELF_GRANT.split("grants:\n", 1)[1].replace("2026-04-27", "2026-05-03")
    (root / GRANTS).write_text(second, encoding="utf-8")
    code, doc = check_json(root, "--today", TODAY)
    assert code == 1
    self_grants = {(f["line"], f["baselined"] is not None) for f in doc["findings"] if f["rule"] == "self-grant"}
    assert self_grants == {(4, True), (8, False)}


def test_a_baseline_never_covers_a_rule_that_is_not_waivable(make_repo) -> None:  # type: ignore[no-untyped-def]
    root = make_repo({GRANTS: BOUNDARY})
    text = baseline(root)
    assert "distribution-to-retail-sales" not in text
    # written by hand, the entry covers nothing and says why
    text = text.replace("findings: []", "findings:") + \
        "- {rule: distribution-to-retail-sales, employee: E000002, permission: P002}\n"
    (root / BASELINE).write_text(text, encoding="utf-8")
    entry_line = text.count("\n")
    code, doc = check_json(root, "--today", TODAY)
    assert code == 1
    assert active(doc) == {("distribution-to-retail-sales", GRANTS, 4), ("baseline-unused", BASELINE, entry_line)}
    [unused] = [f for f in doc["findings"] if f["rule"] == "baseline-unused"]
    assert "not waivable" in unused["message"]


def test_a_fixed_grant_leaves_an_unused_entry_and_prune_removes_it(make_repo) -> None:  # type: ignore[no-untyped-def]
    root = make_repo({GRANTS: TWO_SELF_GRANTS})
    baseline(root)
    (root / GRANTS).write_text(SELF_GRANT, encoding="utf-8")  # the P003 self-grant is fixed
    code, doc = check_json(root, "--today", TODAY)
    assert code == 0  # a note
    assert active(doc) == {("baseline-unused", BASELINE, 9)}
    pruned = baseline(root, "--prune")
    assert "permission: P003" not in pruned and "permission: P001" in pruned
    _, doc = check_json(root, "--today", TODAY)
    assert active(doc) == set()
    # pruning never adds: a new bad grant stays out of the baseline
    (root / GRANTS).write_text(TWO_SELF_GRANTS, encoding="utf-8")
    assert "permission: P003" not in baseline(root, "--prune")


def test_an_expired_baseline_covers_nothing(make_repo) -> None:  # type: ignore[no-untyped-def]
    root = make_repo({GRANTS: SELF_GRANT})
    baseline(root, "--expires", "2026-07-01")
    code, doc = check_json(root, "--today", "2026-07-02")
    assert code == 1
    assert active(doc) == {("self-grant", GRANTS, 4), ("baseline-invalid", BASELINE, 6)}


def test_expiry_beyond_max_days_is_refused(make_repo) -> None:  # type: ignore[no-untyped-def]
    root = make_repo({GRANTS: SELF_GRANT})
    result = run_cli("baseline", "--root", str(root), "--today", TODAY, "--expires", "2026-12-01")
    assert result.exit_code == 2
    assert "Error: --expires 2026-12-01 must lie between today (2026-06-01) and 2026-11-28" in result.output
    # and a hand-edited expiry beyond it covers nothing
    text = baseline(root).replace("expires: 2026-11-28", "expires: 2027-11-28")
    (root / BASELINE).write_text(text, encoding="utf-8")
    code, doc = check_json(root, "--today", TODAY)
    assert code == 1
    assert active(doc) == {("self-grant", GRANTS, 4), ("baseline-invalid", BASELINE, 6)}


def test_an_unreadable_baseline_is_an_error_not_a_pass(make_repo) -> None:  # type: ignore[no-untyped-def]
    root = make_repo({GRANTS: SELF_GRANT})
    text = baseline(root)
    (root / BASELINE).write_text(text.replace("permission: P001}", "permission: P001, extra: x}"), encoding="utf-8")
    result = run_cli("check", "--root", str(root), "--today", TODAY)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {BASELINE}:8:")
    (root / BASELINE).write_text(text + text.splitlines()[-1] + "\n", encoding="utf-8")
    result = run_cli("check", "--root", str(root), "--today", TODAY)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {BASELINE}:9:3: this entry repeats the entry at line 8")


def test_a_relocated_baseline_is_read_where_permgate_yaml_says(make_repo) -> None:  # type: ignore[no-untyped-def]
    root = make_repo({GRANTS: SELF_GRANT, "permgate.yaml": "paths:\n  baseline: adoption/baseline.yaml\n"})
    run_cli("baseline", "--root", str(root), "--today", TODAY)
    assert (root / "adoption/baseline.yaml").exists() and not (root / BASELINE).exists()
    code, doc = check_json(root, "--today", TODAY)
    assert code == 0
    assert [f["baselined"] for f in doc["findings"] if f["rule"] == "self-grant"] == [
        {"path": "adoption/baseline.yaml", "line": 8}]


def test_a_change_cannot_baseline_its_own_findings(make_repo) -> None:  # type: ignore[no-untyped-def]
    """The attack: adopt with a baseline, then a pull request adds a self-grant and regenerates the
    baseline so that the new finding is accepted.  The CI command fails on the added entry."""
    root = make_repo({GRANTS: SELF_GRANT})
    baseline(root)
    init_repo(root)
    (root / GRANTS).write_text(TWO_SELF_GRANTS, encoding="utf-8")
    baseline(root)
    commit_all(root, "grant P003 and refresh the baseline")
    code, doc = check_json(root, "--today", TODAY, "--base", "HEAD~1")
    assert code == 1
    assert ("baseline-change", BASELINE, 9) in pairs(doc, "baseline-change")
    [change] = [f for f in doc["findings"] if f["rule"] == "baseline-change"]
    assert (change["employee"], change["permission"]) == ("E000002", "P003")


def test_done_when_on_a_reference_org_only_the_boundary_stays_active(tmp_path: Path) -> None:
    """Issue 18's done-when, on a small reference org with the boundary policy: after
    ``baseline``, only the non-waivable boundary findings are active; a new grant that breaks a
    waivable rule is then flagged at its line."""
    org = tmp_path / "org"
    gen_org(org, 300, seed=18)
    _, before = check_json(org, "--today", "2026-12-03")
    boundary = pairs(before, "distribution-to-retail-sales")
    assert boundary and pairs(before) != boundary
    assert run_cli("baseline", "--root", str(org), "--today", "2026-12-03").exit_code == 0
    code, after = check_json(org, "--today", "2026-12-03")
    assert code == 1 and active(after) == boundary
    path = sorted(org.glob("assignments/corporate/*.yaml"))[0]
    lines = path.read_text("utf-8").rstrip("\n").split("\n")
    granter = next(line.split(": ")[1] for line in lines if "granted_by:" in line)
    new_line = len(lines) + 1
    path.write_text("\n".join(lines) + f"\n  - permission: P001\n    granted_by: {granter}\n"
                    f"    granted_on: 2026-12-01\n", encoding="utf-8")
    rel = path.relative_to(org).as_posix()
    _, again = check_json(org, "--today", "2026-12-03")
    assert ("missing-justification", rel, new_line) in active(again)


def test_the_baseline_written_from_the_stream_is_the_plain_run_s(tmp_path: Path) -> None:
    """``permgate baseline`` takes its keys from the streamed check (each finding rendered as its key in
    the chunk that judged it): the file is byte for byte the one written from every finding at once,
    with the waiver register applied (waived findings are not accepted), split employees, unusual
    paths (a key with a tab is written as JSON in the stream) and ``--prune``."""
    import pytest

    from permgate.commands import check as check_command
    from permgate.engine import chunked
    from permgate.engine import evaluation as engine
    from tests.anomaly_org import TODAY as ANOMALY_DAY
    from tests.anomaly_org import build

    root = tmp_path / "org"
    planted = build(root)
    # a misplaced second file (a finding keyed by its path) whose name holds a tab
    (root / "assignments" / "corporate" / "tab\there.yaml").write_text(
        (root / planted.c_second).read_text("utf-8"), encoding="utf-8")
    day = ANOMALY_DAY.isoformat()

    def written(plain: bool, *extra: str) -> str:
        with pytest.MonkeyPatch.context() as mp:
            if plain:
                mp.setattr(engine, "splittable", lambda ws: False)
            else:
                mp.setattr(check_command, "CHUNK_FILES", 4)
                mp.setattr(chunked, "check_split", lambda *a, **k: (_ for _ in ()).throw(AssertionError("plain")))
            result = run_cli("baseline", "--root", str(root), "--today", day, *extra)
            assert result.exit_code == 0, result.output
        return (root / BASELINE).read_text("utf-8")

    plain = written(True)
    assert "path: \"assignments/corporate/tab\\there.yaml\"" in plain
    assert written(False) == plain
    # a fix, then --prune: the same from both
    (root / "assignments" / "corporate" / "tab\there.yaml").unlink()
    pruned = written(True, "--prune")
    assert pruned != plain and written(False, "--prune") == pruned
