"""fmt and revoke know role entries: fmt keeps and orders them, revoke never removes access it cannot see."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import run_cli
from tests.roles_org import FILES, grants_file

F2 = "assignments/retail-sales/E000002.yaml"


def test_fmt_puts_role_entries_after_permissions_sorted_and_keeps_them(make_repo: Callable[..., Path]) -> None:
    text = grants_file("E000002", "role:sales-standard", "P003", "role:sales-base")
    root = make_repo({**FILES, F2: text})
    result = run_cli("fmt", "--root", str(root))
    assert result.exit_code == 0, result.output
    assert (root / F2).read_text() == grants_file("E000002", "P003", "role:sales-base", "role:sales-standard")
    assert run_cli("fmt", "--check", "--root", str(root)).exit_code == 0


def test_revoke_removes_the_direct_grant_and_names_the_role_that_still_gives_it(
        make_repo: Callable[..., Path]) -> None:
    root = make_repo(FILES)  # E000002: P001 directly (line 4), sales-standard (line 8) gives P001 via sales-base
    result = run_cli("revoke", "P001", "--root", str(root))
    assert result.exit_code == 1  # access remains: the run says so
    assert f"{F2}:8: not removed: E000002 holds P001 through role sales-standard -> sales-base (roles.yaml:5)" \
        in result.stdout
    assert (root / F2).read_text() == grants_file("E000002", "role:sales-standard")


def test_revoke_of_a_permission_held_only_through_a_role_changes_no_file(make_repo: Callable[..., Path]) -> None:
    root = make_repo(FILES)
    before = (root / F2).read_text()
    result = run_cli("revoke", "P002", "--root", str(root))
    assert result.exit_code == 1 and "no grant of P002 to remove" in result.stdout
    assert "through role sales-standard -> grid-read (roles.yaml:15)" in result.stdout
    assert (root / F2).read_text() == before


def test_grant_role_is_judged_through_the_role_and_written_only_if_clean(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**FILES, F2: grants_file("E000002", "P003")})
    refused = run_cli("grant", "E000002", "--role", "grid-read", "--by", "E000001", "--reason", "cover, ticket ACC-1",
                      "--on", "2026-01-05", "--today", "2026-06-01", "--root", str(root))
    assert refused.exit_code == 1
    assert f"{F2}:8:5: error[distribution-to-retail-sales] P002" in refused.stdout
    assert (root / F2).read_text() == grants_file("E000002", "P003")
    written = run_cli("grant", "E000002", "--role", "sales-base", "--by", "E000001", "--reason",
                      "onboarding, ticket ACC-00102", "--on", "2026-01-05", "--today", "2026-06-01",
                      "--root", str(root))
    assert written.exit_code == 0, written.stdout
    assert f"Added role sales-base at {F2}:8." in written.stdout
    assert (root / F2).read_text() == grants_file("E000002", "P003", "role:sales-base")
    unknown = run_cli("grant", "E000002", "--role", "nope", "--by", "E000001", "--reason", "x", "--root", str(root))
    assert unknown.exit_code == 2 and "role `nope` is not in roles.yaml" in unknown.stderr


def test_grantable_lists_the_roles_a_person_may_be_given_and_why_not_the_others(
        make_repo: Callable[..., Path]) -> None:
    root = make_repo({**FILES, F2: grants_file("E000002", "P003")})
    result = run_cli("grantable", "E000002", "--root", str(root), "--today", "2026-06-01", "--format", "json")
    assert result.exit_code == 0
    roles = json.loads(result.stdout)["roles"]
    assert [r["role"] for r in roles["grantable"]] == ["sales-base"]
    excluded = {r["role"]: r["rules"] for r in roles["excluded"]}
    assert "distribution-to-retail-sales" in excluded["grid-read"]
    assert "distribution-to-retail-sales" in excluded["sales-standard"]  # through its include of grid-read
