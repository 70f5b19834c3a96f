from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from permgate.config import load_config
from permgate.engine.evaluation import evaluate
from permgate.load.workspace import load_workspace
from tests.conftest import check_json, pairs
from tests.rules.helpers import grants, settings

RULE = "bulk-grant"
CATALOG = "---\npermissions:\n" + "".join(
    f"- id: R{i:02d}\n  name: retail.item{i}\n  owner_division: retail-sales\n  description: item {i}\n"
    for i in range(1, 21)
) + "- id: D01\n  name: grid.item\n  owner_division: distribution\n  description: grid item\n"
F = "assignments/retail-sales/E000002.yaml"


def holding(n: int) -> str:
    return grants("E000002", *[(f"R{i:02d}", "E000001", "2026-01-05") for i in range(1, n + 1)])


def test_share_of_the_grantable_permissions(make_repo: Callable[..., Path]) -> None:
    # 20 grantable to retail-sales (D01 is forbidden to it); 16 is 80%
    _, doc = check_json(make_repo({"catalog.yaml": CATALOG, F: holding(16)}))
    assert pairs(doc, RULE) == {(RULE, F, 2)}
    _, doc = check_json(make_repo({"catalog.yaml": CATALOG, F: holding(15)}))
    assert pairs(doc, RULE) == set()


def test_share_and_minimum_are_settings(make_repo: Callable[..., Path]) -> None:
    files = {"catalog.yaml": CATALOG, F: holding(6), **settings("  bulk-grant:\n    share: 0.3\n    min_grants: 5\n")}
    _, doc = check_json(make_repo(files))
    assert pairs(doc, RULE) == {(RULE, F, 2)}
    files[F] = holding(4)
    _, doc = check_json(make_repo(files))
    assert pairs(doc, RULE) == set()


def test_base_mode_flags_a_change_adding_too_many_grants(make_repo: Callable[..., Path]) -> None:
    before = make_repo({"catalog.yaml": CATALOG, F: holding(2), **settings("  bulk-grant:\n    max_added: 5\n")})
    after = make_repo({"catalog.yaml": CATALOG, F: holding(8), **settings("  bulk-grant:\n    max_added: 5\n")})
    ws, base = load_workspace(str(after)), load_workspace(str(before))
    findings = evaluate(ws, load_config(str(after)), dt.date(2026, 6, 1), base=base)
    flagged = [f for f in findings if f.rule == RULE]
    assert [(f.path, f.line) for f in flagged] == [(F, 2)]
    assert "adds 6 grants" in flagged[0].message
    # without a base revision the same tree is fine (8 of 20 is 40%)
    assert [f for f in evaluate(ws, load_config(str(after)), dt.date(2026, 6, 1)) if f.rule == RULE] == []


def test_check_base_on_a_real_git_repository(tmp_path: Path) -> None:
    """`permgate check --base REF`: the change adding 6 grants at once is flagged, the base was fine."""
    from permgate.rules.examples import build
    from tests.git_helpers import commit_all, git, init_repo, write_files

    repo = tmp_path / "repo"
    files = build({"catalog.yaml": CATALOG, F: holding(2), **settings("  bulk-grant:\n    max_added: 5\n")})
    init_repo(repo, files)
    git(repo, "checkout", "-q", "-b", "change")
    write_files(repo, {F: holding(8)})
    commit_all(repo, "grant everything")
    _, doc = check_json(repo, "--base", "main")
    flagged = [f for f in doc["findings"] if f["rule"] == RULE]
    assert [(f["path"], f["line"], f["column"], f["employee"]) for f in flagged] == [(F, 2, 1, "E000002")]
    assert "this change adds 6 grants to E000002 Ben Baker (more than 5 at once)" in flagged[0]["message"]
    assert flagged[0]["related"] == [{"path": F, "line": 2, "column": 1, "message": "grants file of the employee"}]


def test_a_division_no_boundary_rule_names_may_hold_every_division_s_permissions(
        make_repo: Callable[..., Path]) -> None:
    """The boundary forbids distribution's items to retail-sales only: for a distribution employee all
    21 permissions are grantable (``forbidden_owner.forbidden_to``), so 16 of them are not yet 80%."""
    d = "assignments/distribution/E000003.yaml"
    items = [f"R{i:02d}" for i in range(1, 16)] + ["D01"]
    files = {"catalog.yaml": CATALOG, d: grants("E000003", *[(p, "E000004", "2026-01-05") for p in items])}
    _, doc = check_json(make_repo(files))
    assert pairs(doc, RULE) == set()
    files[d] = grants("E000003", *[(p, "E000004", "2026-01-05") for p in [*items, "R16", "R17"]])
    _, doc = check_json(make_repo(files))
    assert pairs(doc, RULE) == {(RULE, d, 2)}
    assert next(f for f in doc["findings"] if f["rule"] == RULE)["message"].startswith(
        "E000003 Chloe Castro holds 18 of the 21 permissions grantable to distribution (85%, threshold 80%)")


def test_base_mode_adding_exactly_max_added_is_fine_and_one_more_is_not(make_repo: Callable[..., Path]) -> None:
    # the rule reads the base only for people holding more than max_added grants: the edge on each side
    limit = settings("  bulk-grant:\n    max_added: 6\n    min_grants: 100\n")
    before = load_workspace(str(make_repo({"catalog.yaml": CATALOG, F: holding(0), **limit})))
    for held, flagged_lines in ((6, []), (7, [(F, 2)])):
        after = make_repo({"catalog.yaml": CATALOG, F: holding(held), **limit})
        findings = evaluate(load_workspace(str(after)), load_config(str(after)), dt.date(2026, 6, 1), base=before)
        assert [(f.path, f.line) for f in findings if f.rule == RULE] == flagged_lines, held


def test_a_file_of_an_unknown_employee_does_not_end_the_check(make_repo: Callable[..., Path]) -> None:
    """Files are judged in employee order: an unknown employee's file (E000000) comes first and is skipped."""
    unknown = "assignments/retail-sales/E000000.yaml"
    files = {"catalog.yaml": CATALOG, F: holding(16), unknown: grants("E000000", ("R01", "E000001", "2026-01-05"))}
    _, doc = check_json(make_repo(files))
    flagged = [f for f in doc["findings"] if f["rule"] == RULE]
    assert [(f["path"], f["line"], f["column"], f["employee"]) for f in flagged] == [(F, 2, 1, "E000002")]
    assert flagged[0]["message"] == ("E000002 Ben Baker holds 16 of the 20 permissions grantable to retail-sales "
                                     "(80%, threshold 80%), 16 in all: the grant-everything pattern; grant what "
                                     "the work needs")
    assert flagged[0]["related"] == [{"path": "people.yaml", "line": 8, "column": 3,
                                      "message": "E000002 Ben Baker is in retail-sales"}]


def test_a_change_adding_exactly_max_added_grants_is_not_flagged(tmp_path: Path) -> None:
    from permgate.rules.examples import build
    from tests.git_helpers import commit_all, git, init_repo, write_files

    repo = tmp_path / "repo"
    init_repo(repo, build({"catalog.yaml": CATALOG, F: holding(2), **settings("  bulk-grant:\n    max_added: 5\n")}))
    git(repo, "checkout", "-q", "-b", "change")
    write_files(repo, {F: holding(7)})
    commit_all(repo, "five more grants")
    _, doc = check_json(repo, "--base", "main")
    assert pairs(doc, RULE) == set()
