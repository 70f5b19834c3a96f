"""permgate grantable: what an employee may be given, and the rule that excludes the rest."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT, gen_org, run_cli

INCIDENT = PROJECT / "examples" / "incident-2023"


def grantable_json(root: Path, *args: str) -> dict[str, Any]:
    result = run_cli("grantable", *args, "--root", str(root), "--format", "json", "--today", "2023-03-16")
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_sales_employee_gets_no_distribution_permission_and_learns_why() -> None:
    doc = grantable_json(INCIDENT, "E000013")
    assert (doc["version"], doc["employee"], doc["granted_by"]) == (1, "E000013", "E000005")
    catalog = (INCIDENT / "catalog.yaml").read_text("utf-8")
    distribution = {f"P{n:03d}" for n in range(61, 91)}
    assert all(f"id: {p}\n  name:" in catalog for p in distribution)
    assert not distribution & {g["permission"] for g in doc["grantable"]}
    excluded = {e["permission"]: e for e in doc["excluded"]}
    for p in sorted(distribution):
        assert excluded[p]["owner_division"] == "distribution"
        assert "distribution-to-retail-sales" in excluded[p]["rules"], p
    leftover = excluded["P083"]
    assert (leftover["name"], leftover["sensitive"]) == ("small-business-liaison.read", True)
    assert leftover["findings"][0]["message"].startswith(
        "P083 small-business-liaison.read is owned by distribution (catalog.yaml:337); E000013 Yuto Ishida is in "
        "retail-sales (people.yaml:69)")
    # retired items are excluded without simulation; items already held by duplicate-grant
    assert excluded["P020"]["rules"] == ["retired-permission"]
    assert excluded["P120"]["rules"] == ["retired-permission"]
    assert excluded["P006"]["rules"] == ["duplicate-grant"]
    assert excluded["P118"]["rules"] == ["privilege-management"]
    assert {"P001", "P119"} <= {g["permission"] for g in doc["grantable"]}
    assert set(doc["grantable"][0]) >= {"permission", "name", "owner_division", "sensitive"}
    assert len(doc["grantable"]) + len(doc["excluded"]) == 120


def test_distribution_employee_may_get_distribution_items() -> None:
    doc = grantable_json(INCIDENT, "E000017", "--by", "E000016")
    assert "P083" in {g["permission"] for g in doc["grantable"]}
    assert doc["granted_by"] == "E000016"


def test_text_output(make_repo: Callable[..., Path]) -> None:
    result = run_cli("grantable", "E000002", "--root", str(make_repo({})), "--today", "2026-11-27")
    assert result.exit_code == 0
    f = "assignments/retail-sales/E000002.yaml"
    assert result.stdout == (
        "Permissions E000002 Ben Baker (retail-sales) may be given by E000001 Ada Abbott (retail-sales): 2 of 6\n"
        "  P003  hr.read (corporate)\n"
        "  P006  payroll.read (corporate)  sensitive, needs --expires\n"
        "Excluded: 4\n"
        "  P001  billing.read (retail-sales)  excluded by duplicate-grant\n"
        f"      error[duplicate-grant] P001 billing.read is granted to E000002 Ben Baker again (first at {f}:4)\n"
        "  P002  supply-points.read (distribution)  excluded by distribution-to-retail-sales, granter-authority\n"
        "      error[distribution-to-retail-sales] P002 supply-points.read is owned by distribution (catalog.yaml:8); "
        "E000002 Ben Baker is in retail-sales (people.yaml:8); granted by E000001 on 2026-11-27\n"
        "      error[granter-authority] P002 supply-points.read is owned by distribution (catalog.yaml:8), "
        "protected by `distribution-to-retail-sales`, but E000001 Ada Abbott is in retail-sales (people.yaml:4); "
        "granted on 2026-11-27\n"
        "  P004  legacy-liaison.read (corporate)  excluded by retired-permission\n"
        "      error[retired-permission] P004 legacy-liaison.read is retired (catalog.yaml:16); it can no longer be "
        "granted\n"
        "  P005  access-admin.register (corporate)  excluded by privilege-management\n"
        "      error[privilege-management] P005 access-admin.register lets its holder register access for others "
        "(catalog.yaml:21); E000002 Ben Baker has no function (people.yaml:8), allowed: access-administration\n")


def test_sensitive_permission_is_grantable_with_an_expiry(make_repo: Callable[..., Path]) -> None:
    doc = grantable_json(make_repo({}), "E000002")
    payroll = {g["permission"]: g for g in doc["grantable"]}["P006"]
    assert (payroll["sensitive"], payroll["expires_required"], payroll["findings"]) == (True, True, [])
    assert {g["permission"]: g for g in doc["grantable"]}["P003"]["expires_required"] is False


def test_granter_matters(make_repo: Callable[..., Path]) -> None:
    doc = grantable_json(make_repo({}), "E000002", "--by", "E000002")
    assert doc["grantable"] == []
    assert {e["permission"]: e["rules"] for e in doc["excluded"]}["P003"] == ["self-grant"]


def test_unknown_employee_or_no_manager_is_a_usage_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({})
    result = run_cli("grantable", "E000077", "--root", str(root))
    assert (result.exit_code, result.stderr) == (2, "Error: E000077 is not in people.yaml; add them before granting "
                                                    "anything\n")
    result = run_cli("grantable", "E000001", "--root", str(root))
    assert (result.exit_code, result.stderr) == (2, "Error: E000001 has no manager in people.yaml; name the granter "
                                                    "with --by\n")


def test_only_the_employees_own_files_are_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulation scales with one person's grants, not with the organisation."""
    from permgate.load import workspace
    gen_org(tmp_path, 300, seed=4242)
    parsed: list[str] = []
    real = workspace.load_many

    def counting(source: Any, paths: list[str], *args: Any, **kwargs: Any) -> Any:
        parsed.extend(paths)
        return real(source, paths, *args, **kwargs)

    monkeypatch.setattr(workspace, "load_many", counting)
    people = (tmp_path / "people.yaml").read_text("utf-8")
    # an employee who manages nobody, so no other file mentions the id
    leaf = next(f"E{n:06d}" for n in range(300, 3, -1) if f"manager: E{n:06d}" not in people)
    doc = grantable_json(tmp_path, leaf)
    division = next(p.parent.name for p in tmp_path.glob(f"assignments/*/{leaf}.yaml"))
    assert parsed == [f"assignments/{division}/{leaf}.yaml"]
    assert len(doc["grantable"]) + len(doc["excluded"]) == 120


def test_a_waiver_in_force_makes_a_permission_grantable(make_repo: Callable[..., Path]) -> None:
    waivers = ('---\nwaivers:\n  - rule: expiry-required\n    employee: E000002\n    permission: P006\n'
               '    reason: "payroll migration"\n    ticket: ACC-00150\n'
               '    approved_by: E000004\n    approved_on: 2026-11-01\n    expires: 2027-01-31\n')
    result = run_cli("grantable", "E000002", "--root", str(make_repo({"policies/waivers.yaml": waivers})),
                     "--format", "json", "--today", "2026-11-27")
    payroll = {g["permission"]: g for g in json.loads(result.stdout)["grantable"]}["P006"]
    assert payroll["expires_required"] is False
    assert [(f["rule"], f["severity"], f["waived"]) for f in payroll["findings"]] == [
        ("expiry-required", "error", True)]
