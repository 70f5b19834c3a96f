"""permgate who-can: every holder, with the evidence."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import run_cli

HOLDERS = ("E000007", "E000009", "E000010", "E000011", "E000012")


def test_who_can_at_the_commit_before_removal_names_all_five(
        incident_history: tuple[Path, list[tuple[str, str, str]]]) -> None:
    root, log = incident_history
    before_removal = log[-2][0]
    result = run_cli("who-can", "P083", "--root", str(root), "--rev", before_removal, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    granted = {"E000007": ("E000007", "2022-07-01"), "E000009": ("E000005", "2022-07-01"),
               "E000010": ("E000005", "2021-07-01"), "E000011": ("E000006", "2022-07-01"),
               "E000012": ("E000006", "2021-07-01")}
    names = {"E000007": "Kenji Matsuda", "E000009": "Ryo Takagi", "E000010": "Emi Kubo",
             "E000011": "Shota Nishimura", "E000012": "Mai Okada"}
    assert doc == {"holders": [
        {"employee": e, "name": names[e], "division": "retail-sales", "path": f"assignments/retail-sales/{e}.yaml",
         "line": 241, "granted_by": granted[e][0], "granted_on": granted[e][1], "expires": None}
        for e in HOLDERS]}
    text = run_cli("who-can", "P083", "--root", str(root), "--rev", "HEAD~1").stdout.splitlines()
    assert text[0] == ("assignments/retail-sales/E000007.yaml:241: E000007 Kenji Matsuda (retail-sales), "
                       "granted by E000007 on 2022-07-01, expires never")
    assert text[-1] == "5 holders of P083 small-business-liaison.read, owned by distribution"


def test_who_can_reads_the_working_tree_and_the_bundled_example() -> None:
    root = Path(__file__).resolve().parents[2] / "examples" / "incident-2023"
    doc = json.loads(run_cli("who-can", "P083", "--root", str(root), "--format", "json").stdout)
    assert [(h["employee"], h["path"], h["line"]) for h in doc["holders"]] == [
        (e, f"assignments/retail-sales/{e}.yaml", 241) for e in HOLDERS]


def test_who_can_after_removal_and_for_an_unknown_permission(
        incident_history: tuple[Path, list[tuple[str, str, str]]]) -> None:
    root, _ = incident_history
    result = run_cli("who-can", "P083", "--root", str(root), "--rev", "HEAD")
    assert result.exit_code == 2
    assert result.stderr == "Error: permission `P083` is not in catalog.yaml and nobody holds it\n"
    result = run_cli("who-can", "P020", "--root", str(root), "--rev", "HEAD", "--format", "json")
    assert (result.exit_code, json.loads(result.stdout)) == (0, {"holders": []})


def test_who_can_warns_and_exits_1_when_a_grants_file_cannot_be_read(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"assignments/retail-sales/E000002.yaml": "---\nemployee: E000002\ngrants: [oops\n",
                      "assignments/corporate/E000004.yaml":
                      "---\nemployee: E000004\ngrants:\n  - permission: P003\n    granted_by: E000001\n"
                      "    granted_on: 2026-01-05\n    reason: \"x\"\n    expires: 2027-01-01\n"})
    result = run_cli("who-can", "P003", "--root", str(root), "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["holders"] == [
        {"employee": "E000004", "name": "Dev Dubois", "division": "corporate",
         "path": "assignments/corporate/E000004.yaml", "line": 4, "granted_by": "E000001",
         "granted_on": "2026-01-05", "expires": "2027-01-01"}]
    assert result.stderr.startswith("warning: assignments/retail-sales/E000002.yaml:4:")
    assert "holders there are not listed" in result.stderr


def test_who_can_accepts_a_catalog_name(incident_history: tuple[Path, list[tuple[str, str, str]]]) -> None:
    root, _ = incident_history
    by_name = run_cli("who-can", "small-business-liaison.read", "--root", str(root), "--rev", "HEAD~1")
    assert by_name.exit_code == 0
    assert by_name.stdout == run_cli("who-can", "P083", "--root", str(root), "--rev", "HEAD~1").stdout


def test_a_removed_permission_hints_at_an_earlier_revision_and_a_shared_name_is_refused(
        make_repo: Callable[..., Path]) -> None:
    from permgate.rules.examples import BASE

    root = make_repo()
    result = run_cli("who-can", "P777", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr == ("Error: permission `P777` is not in catalog.yaml and nobody holds it; if it was "
                             "removed, --rev REV or --at DATE asks an earlier revision\n")
    catalog = BASE["catalog.yaml"]
    name = next(line.split("name: ", 1)[1] for line in catalog.splitlines() if line.strip().startswith("name: "))
    twin = catalog + f"- id: P900\n  name: {name}\n  owner_division: corporate\n  description: Same name\n"
    root = make_repo({"catalog.yaml": twin})
    result = run_cli("who-can", name, "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: `{name}` is the name of 2 permissions in catalog.yaml: P")
    assert "P900 (catalog.yaml:" in result.stderr and result.stderr.endswith("; give the id\n")
