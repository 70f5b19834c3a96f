from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, pairs, run_cli
from tests.rules.helpers import grants

C = "assignments/corporate/E000004.yaml"


def policy(duties: str) -> dict[str, str]:
    return {"policies/duties.yaml": "---\nrules:\n  - id: conflict\n    kind: separation-of-duties\n"
            "    severity: warning\n    summary: conflicting duties\n    duties:\n" + duties}


ANY = "      - name: a\n        any_of: [P001, P005]\n      - name: b\n        any_of: [P006]\n"
ALL = "      - name: a\n        all_of: [P001, P005]\n      - name: b\n        any_of: [P006]\n"


def test_any_of_at_the_grant_that_completed_the_combination(make_repo: Callable[..., Path]) -> None:
    files = {**policy(ANY), C: grants("E000004", ("P006", "E000004", "2026-01-10", "ACC-1", "2026-03-01"),
                                      ("P005", "E000004", "2026-01-20"),
                                      ("P001", "E000004", "2026-01-05"))}
    _, doc = check_json(make_repo(files))
    # duty a is held from P001 (2026-01-05, the earliest of any_of), duty b from P006 (2026-01-10):
    # the combination was completed by P006 at line 4
    assert pairs(doc, "conflict") == {("conflict", C, 4)}
    finding = next(f for f in doc["findings"] if f["rule"] == "conflict")
    assert finding["severity"] == "warning"
    assert [(r["path"], r["line"]) for r in finding["related"]] == [(C, 13), ("policies/duties.yaml", 3)]


def test_all_of_needs_every_permission(make_repo: Callable[..., Path]) -> None:
    partial = {**policy(ALL), C: grants("E000004", ("P006", "E000004", "2026-01-10", "ACC-1", "2026-03-01"),
                                        ("P005", "E000004", "2026-01-20"))}
    _, doc = check_json(make_repo(partial))
    assert pairs(doc, "conflict") == set()
    full = {**policy(ALL), C: grants("E000004", ("P006", "E000004", "2026-01-10", "ACC-1", "2026-03-01"),
                                     ("P005", "E000004", "2026-01-20"), ("P001", "E000004", "2026-02-01"))}
    _, doc = check_json(make_repo(full))
    assert pairs(doc, "conflict") == {("conflict", C, 13)}


def test_unknown_permission_in_a_duty_is_a_configuration_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo(policy("      - name: a\n        any_of: [P999]\n      - name: b\n        any_of: [P006]\n"))
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert "Error: policies/duties.yaml:3:5: rule conflict: duty `a` names P999" in result.stderr


def test_a_single_duty_is_refused_by_the_schema(make_repo: Callable[..., Path]) -> None:
    root = make_repo(policy("      - name: a\n        any_of: [P001]\n"))
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2 and result.stderr.startswith("Error: policies/duties.yaml:")


def test_an_any_of_duty_is_held_from_its_earliest_grant_whatever_the_ids(make_repo: Callable[..., Path]) -> None:
    # P005 (2026-01-05) gives duty a before P001 (2026-03-01) does, though P001 sorts first by id:
    # the combination was completed by P006 (2026-02-01) at line 4, with P005 at line 14 related
    files = {**policy(ANY), C: grants("E000004", ("P006", "E000004", "2026-02-01", "ACC-1", "2026-03-01"),
                                      ("P001", "E000004", "2026-03-01", "ACC-2", "2026-04-01"),
                                      ("P005", "E000004", "2026-01-05"))}
    _, doc = check_json(make_repo(files), "--today", "2026-02-15")
    assert pairs(doc, "conflict") == {("conflict", C, 4)}
    finding = next(f for f in doc["findings"] if f["rule"] == "conflict")
    assert finding["employee"] == "E000004"
    assert finding["message"] == ("E000004 Dev Dubois holds every duty of `conflict` (a: P005; b: P006); this grant "
                                  "on 2026-02-01 completed the combination")
    assert [(r["path"], r["line"], r["column"], r["message"]) for r in finding["related"]][:1] == \
        [(C, 14, 5, "P005 (a)")]


def test_a_permission_granted_twice_counts_from_its_earliest_grant(make_repo: Callable[..., Path]) -> None:
    # P006 held since 2026-01-10 (granted by E000004; E000001's later grant of it sorts first by granter),
    # P005 since 2026-02-01: P005 at line 14 completed the combination, P006's first grant is related
    files = {**policy(ANY), C: grants("E000004", ("P006", "E000004", "2026-01-10", "ACC-1", "2026-06-01"),
                                      ("P006", "E000001", "2026-03-01", "ACC-2", "2026-06-01"),
                                      ("P005", "E000004", "2026-02-01"))}
    _, doc = check_json(make_repo(files), "--today", "2026-03-15")
    assert pairs(doc, "conflict") == {("conflict", C, 14)}
    finding = next(f for f in doc["findings"] if f["rule"] == "conflict")
    assert [(r["path"], r["line"]) for r in finding["related"]] == [(C, 4), ("policies/duties.yaml", 3)]


def test_an_unknown_permission_in_an_all_of_duty_is_a_configuration_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo(policy("      - name: a\n        all_of: [P001, P999]\n      - name: b\n        any_of: [P006]\n"))
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert "Error: policies/duties.yaml:3:5: rule conflict: duty `a` names P999" in result.stderr


def test_an_all_of_duty_is_described_by_every_permission_it_took(make_repo: Callable[..., Path]) -> None:
    files = {**policy(ALL), C: grants("E000004", ("P006", "E000004", "2026-01-10", "ACC-1", "2026-03-01"),
                                      ("P005", "E000004", "2026-01-20"), ("P001", "E000004", "2026-02-01"))}
    _, doc = check_json(make_repo(files), "--today", "2026-02-15")
    [finding] = [f for f in doc["findings"] if f["rule"] == "conflict"]
    assert (finding["path"], finding["line"]) == (C, 13)
    assert "holds every duty of `conflict` (a: P001, P005; b: P006); this grant on 2026-02-01" in finding["message"]
