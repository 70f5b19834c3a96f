from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, every_finding, pairs, run_cli
from tests.rules.helpers import grants, people, settings

RULE = "granter-authority"
PEOPLE = people(
    ("E1", "retail-sales", None), ("E2", "retail-sales", "E1"), ("E3", "retail-sales", "E2"),
    ("E4", "retail-sales", "E1"), ("D1", "distribution", None), ("D2", "distribution", "D1"),
    ("C1", "corporate", None),
)
F = "assignments/retail-sales/E3.yaml"


def found(make_repo: Callable[..., Path], files: dict[str, str]) -> set[tuple[str, str, int]]:
    _, doc = check_json(make_repo({"people.yaml": PEOPLE, **files}), "--today", "2026-06-01")
    return pairs(doc, RULE)


def test_any_manager_up_the_chain_may_grant(make_repo: Callable[..., Path]) -> None:
    file = grants("E3", ("P001", "E2", "2026-01-05"), ("P006", "E1", "2026-01-05", "hr case ACC-1", "2026-02-01"))
    assert found(make_repo, {F: file}) == set()


def test_a_peer_or_a_subordinate_may_not(make_repo: Callable[..., Path]) -> None:
    files = {F: grants("E3", ("P001", "E4", "2026-01-05")),
             "assignments/retail-sales/E2.yaml": grants("E2", ("P001", "E3", "2026-01-05"))}
    assert found(make_repo, files) == {(RULE, F, 4), (RULE, "assignments/retail-sales/E2.yaml", 4)}


def test_a_delegate_by_employee_or_division(make_repo: Callable[..., Path]) -> None:
    files = {
        F: grants("E3", ("P001", "C1", "2026-01-05")),
        "assignments/retail-sales/E1.yaml": grants("E1", ("P001", "C1", "2026-01-05")),
        "assignments/distribution/D1.yaml": grants("D1", ("P001", "C1", "2026-01-05")),
        **settings("  granter-authority:\n    delegates:\n"
                   "      - granter: C1\n        divisions: [retail-sales]\n"
                   "      - granter: E1\n        employees: [D1]\n"),
    }
    assert found(make_repo, files) == {(RULE, "assignments/distribution/D1.yaml", 4)}


def test_protected_permission_needs_a_granter_of_the_owning_division(make_repo: Callable[..., Path]) -> None:
    # E2 is E3's manager, but P002 is distribution's: a sales manager cannot grant it
    files = {F: grants("E3", ("P002", "E2", "2026-01-05"), ("P001", "E2", "2026-01-05"))}
    assert found(make_repo, files) == {(RULE, F, 4)}
    # a distribution employee granting it to his own staff is fine
    d = "assignments/distribution/D2.yaml"
    assert found(make_repo, {d: grants("D2", ("P002", "D1", "2026-01-05"))}) == set()


def test_self_grants_are_left_to_self_grant_except_for_protected_permissions(
        make_repo: Callable[..., Path]) -> None:
    files = {F: grants("E3", ("P001", "E3", "2026-01-05"), ("P002", "E3", "2026-01-05"))}
    root = make_repo({"people.yaml": PEOPLE, **files})
    _, doc = check_json(root, "--today", "2026-06-01")
    assert pairs(doc, RULE) == {(RULE, F, 8)}
    assert pairs(doc, "self-grant") == {("self-grant", F, 4), ("self-grant", F, 8)}


def test_unknown_delegate_is_a_configuration_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"people.yaml": PEOPLE, **settings(
        "  granter-authority:\n    delegates:\n      - granter: X9\n        divisions: [retail-sales]\n")})
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert "Error: policies/settings.yaml:3:3: granter-authority: delegate entry names `X9`" in result.stderr


def test_an_unknown_delegated_employee_is_a_configuration_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"people.yaml": PEOPLE, **settings(
        "  granter-authority:\n    delegates:\n      - granter: C1\n        employees: [E1, X8]\n")})
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert "Error: policies/settings.yaml:3:3: granter-authority: delegate entry names `X8`" in result.stderr


def test_a_settings_section_without_delegates_delegates_nothing(make_repo: Callable[..., Path]) -> None:
    files = {F: grants("E3", ("P001", "C1", "2026-01-05")), **settings("  granter-authority: {}\n")}
    assert found(make_repo, files) == {(RULE, F, 4)}


def test_a_delegate_for_named_employees_may_grant_to_them_and_only_to_them(make_repo: Callable[..., Path]) -> None:
    d2, d1 = "assignments/distribution/D2.yaml", "assignments/distribution/D1.yaml"
    files = {
        d2: grants("D2", ("P001", "E1", "2026-01-05")),  # E1 is a delegate for D2: fine
        d1: grants("D1", ("P001", "E1", "2026-01-05")),  # but not for D1, D2's manager
        **settings("  granter-authority:\n    delegates:\n      - granter: E1\n        employees: [D2]\n"),
    }
    assert found(make_repo, files) == {(RULE, d1, 4)}


def test_the_chain_and_the_owner_problems_are_worded_with_their_related_locations(
        make_repo: Callable[..., Path]) -> None:
    e1 = "assignments/retail-sales/E1.yaml"
    files = {F: grants("E3", ("P001", "E4", "2026-01-05"), ("P002", "E4", "2026-01-06"), ("P002", "E2", "2026-01-07")),
             e1: grants("E1", ("P001", "E2", "2026-01-05"))}
    _, doc = check_json(make_repo({"people.yaml": PEOPLE, **files}), "--today", "2026-06-01")
    got = {(f["path"], f["line"]): (f["message"], [(r["path"], r["line"], r["message"]) for r in f["related"]])
           for f in every_finding(doc) if f["rule"] == RULE}
    reports = ("people.yaml", 11, "E3 Person E3 reports to E2")
    owned = ("catalog.yaml", 8, "P002 supply-points.read is owned by distribution")
    policy = ("policies/unbundling.yaml", 3, "rule distribution-to-retail-sales: Distribution-owned permissions "
              "must not be granted to retail-sales employees")
    chain = "E4 Person E4 is not in the management chain of E3 Person E3 (E2, E1) nor a delegate for them"
    owner = "P002 supply-points.read is owned by distribution (catalog.yaml:8), protected by " \
            "`distribution-to-retail-sales`, but {} is in retail-sales (people.yaml:{})"
    assert got == {
        (e1, 4): ("E2 Person E2 is not in the management chain of E1 Person E1 (nobody (no manager)) nor a "
                  "delegate for them; granted on 2026-01-05", [("people.yaml", 3, "E1 Person E1 has no manager")]),
        (F, 4): (f"{chain}; granted on 2026-01-05", [reports]),
        (F, 8): (f"{chain}; {owner.format('E4 Person E4', 15)}; granted on 2026-01-06",
                 [reports, owned, ("people.yaml", 15, "E4 Person E4 is in retail-sales"), policy]),
        (F, 12): (f"{owner.format('E2 Person E2', 7)}; granted on 2026-01-07",
                  [owned, ("people.yaml", 7, "E2 Person E2 is in retail-sales"), policy]),
    }


def test_a_file_with_granters_of_two_divisions_is_judged_grant_by_grant(make_repo: Callable[..., Path]) -> None:
    # D1 (distribution) is a delegate for retail-sales and may grant P002; E2, E3's own manager, may not:
    # the file's granters are of two divisions, one of them P002's owner, and only E2's grant is flagged
    files = {F: grants("E3", ("P002", "D1", "2026-01-05"), ("P002", "E2", "2026-01-06")),
             **settings("  granter-authority:\n    delegates:\n"
                        "      - granter: D1\n        divisions: [retail-sales]\n")}
    assert found(make_repo, files) == {(RULE, F, 8)}


def test_every_granter_without_authority_in_a_file_is_flagged(make_repo: Callable[..., Path]) -> None:
    # two granters without authority over E3 (a peer and someone of another division): both grants flagged
    files = {F: grants("E3", ("P001", "E4", "2026-01-05"), ("P003", "D1", "2026-01-06"), ("P001", "E2", "2026-01-07"))}
    assert found(make_repo, files) == {(RULE, F, 4), (RULE, F, 8)}
