"""The bundled examples: the project's own top level is clean; the 2023 incident fails."""

from __future__ import annotations

from tests.conftest import PROJECT, check_json, pairs

INCIDENT = PROJECT / "examples" / "incident-2023"
HOLDERS = ("E000007", "E000009", "E000010", "E000011", "E000012")


def test_top_level_grants_repository_is_clean() -> None:
    code, doc = check_json(PROJECT, "--today", "2026-11-27")
    assert doc["findings"] == []
    assert code == 0


def test_incident_replay_flags_the_five_holders_of_the_leftover_item() -> None:
    code, doc = check_json(INCIDENT, "--today", "2023-03-16")
    assert code == 1
    assert pairs(doc, "distribution-to-retail-sales") == {
        ("distribution-to-retail-sales", f"assignments/retail-sales/{e}.yaml", 241) for e in HOLDERS}
    granters = {f["employee"]: f["message"].rsplit("granted by ", 1)[1]
                for f in doc["findings"] if f["rule"] == "distribution-to-retail-sales"}
    assert granters == {
        "E000009": "E000005 on 2022-07-01", "E000010": "E000005 on 2021-07-01",
        "E000011": "E000006 on 2022-07-01", "E000012": "E000006 on 2021-07-01",
        "E000007": "E000007 on 2022-07-01",
    }
    assert ("self-grant", "assignments/retail-sales/E000007.yaml", 241) in pairs(doc, "self-grant")


def test_incident_role_twin_refuses_the_role_and_flags_the_five_at_their_role_line() -> None:
    """examples/incident-2023-roles: the registration screen as a role that includes item 83."""
    code, doc = check_json(PROJECT / "examples" / "incident-2023-roles", "--today", "2023-03-16")
    assert code == 1
    assert pairs(doc, "role-crosses-boundary") == {("role-crosses-boundary", "roles.yaml", 68)}
    assert pairs(doc, "distribution-to-retail-sales") == {
        ("distribution-to-retail-sales", f"assignments/retail-sales/{e}.yaml", 5) for e in HOLDERS}
    assert {f["role"] for f in doc["findings"] if f["rule"] == "distribution-to-retail-sales"} == {
        "transfer-in-standard"}
