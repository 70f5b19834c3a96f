"""``permgate import``: the system's export written as a grants repository that ``check`` then judges.

The incident replay's export (``examples/incident-2023/system-export.csv``) with people and catalog
CSVs made here from the replay's YAML: after the import, ``check`` finds the five boundary
violations git held and the sixth the screen added, each at its line in the new files.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import yaml

from tests.conftest import PROJECT, every_finding, run_cli

INCIDENT = PROJECT / "examples" / "incident-2023"
EXPORT = INCIDENT / "system-export.csv"
PEOPLE_COLUMNS = ["id", "name", "division", "manager", "division_since", "function"]
CATALOG_COLUMNS = ["id", "name", "owner_division", "description", "sensitive", "retired", "grants_access"]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(path: Path, columns: list[str], rows: list[dict[str, object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
    return path


def incident_csvs(tmp: Path) -> tuple[Path, Path]:
    people = yaml.safe_load((INCIDENT / "people.yaml").read_text(encoding="utf-8"))["people"]
    catalog = yaml.safe_load((INCIDENT / "catalog.yaml").read_text(encoding="utf-8"))["permissions"]
    return (write_csv(tmp / "people.csv", PEOPLE_COLUMNS, people),
            write_csv(tmp / "catalog.csv", CATALOG_COLUMNS, catalog))


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def line_of(path: Path, permission: str) -> int:
    return path.read_text(encoding="utf-8").splitlines().index(f"  - permission: {permission}") + 1


def test_the_incident_imported_is_what_check_must_fix(tmp_path: Path) -> None:
    people, catalog = incident_csvs(tmp_path)
    out = tmp_path / "repo"
    result = run_cli("import", "--access", str(EXPORT), "--people", str(people), "--catalog", str(catalog),
                     "--out", str(out))
    assert result.exit_code == 0, result.output
    shutil.copytree(INCIDENT / "policies", out / "policies")
    assert run_cli("fmt", "--check", "--root", str(out)).exit_code == 0
    result = run_cli("check", "--root", str(out), "--format", "json", "--today", "2023-03-28")
    doc = json.loads(result.stdout)
    boundary = {(f["path"], f["line"]) for f in doc["findings"] if f["rule"] == "distribution-to-retail-sales"}
    held_in_git = {"E000007", "E000009", "E000010", "E000011", "E000012"}  # the five git approved
    expected = {(f"assignments/retail-sales/{e}.yaml", line_of(out / "assignments" / "retail-sales" / f"{e}.yaml",
                                                              "P083")) for e in held_in_git | {"E000001"}}
    assert boundary == expected
    # the row ticked on the screen names no granter: UNKNOWN, which the directory does not hold
    e1 = ("assignments/retail-sales/E000001.yaml", line_of(out / "assignments" / "retail-sales" / "E000001.yaml",
                                                           "P083"))
    # (on P083 lines, listed as companions of the boundary finding: every_finding reads them too)
    assert {(f["path"], f["line"]) for f in every_finding(doc) if f["rule"] == "unknown-granter"} == {e1}
    # no imported grant names a ticket: every one is flagged until someone writes it
    justified = {(f["path"], f["line"]) for f in every_finding(doc) if f["rule"] == "missing-justification"}
    assert e1 in justified and len(justified) == doc["summary"]["grants"]
    assert result.exit_code == 1


def test_importing_the_same_export_twice_is_byte_identical(tmp_path: Path) -> None:
    people, catalog = incident_csvs(tmp_path)
    args = ["import", "--access", str(EXPORT), "--people", str(people), "--catalog", str(catalog)]
    assert run_cli(*args, "--out", str(tmp_path / "a")).exit_code == 0
    assert run_cli(*args, "--out", str(tmp_path / "b")).exit_code == 0
    first = tree(tmp_path / "a")
    assert first == tree(tmp_path / "b")
    again = run_cli(*args, "--out", str(tmp_path / "a"), "--force")
    assert again.exit_code == 0, again.output
    assert tree(tmp_path / "a") == first
    assert "assignments/retail-sales/E000001.yaml" in first


def test_existing_grants_files_are_not_mixed_in(tmp_path: Path) -> None:
    people, catalog = incident_csvs(tmp_path)
    out = tmp_path / "repo"
    stray = out / "assignments" / "corporate" / "E999999.yaml"
    stray.parent.mkdir(parents=True)
    stray.write_text("---\nemployee: E999999\ngrants: []\n", encoding="utf-8")
    args = ["import", "--access", str(EXPORT), "--people", str(people), "--catalog", str(catalog), "--out", str(out)]
    for extra in ((), ("--force",)):
        result = run_cli(*args, *extra)
        assert result.exit_code == 2
        assert "E999999.yaml exists" in result.stderr and "holds no grants of this employee" in result.stderr
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == ["E999999.yaml"]


def test_a_bad_row_anywhere_writes_nothing_and_lists_where(tmp_path: Path) -> None:
    people, catalog = incident_csvs(tmp_path)
    export = tmp_path / "access.csv"
    export.write_text("employee,permission,granted_on,granted_by\n"
                      "E000001,P001,2023-01-05,E000003\n"
                      "E000002,P002,2023-02-30,E000003\n"
                      "E000003,,2023-01-05,E000003\n", encoding="utf-8")
    bad_people = tmp_path / "bad-people.csv"
    bad_people.write_text(people.read_text(encoding="utf-8") + "E000099,Someone,Retail Sales,E000001,,\n",
                          encoding="utf-8")
    bad_line = len(bad_people.read_text(encoding="utf-8").splitlines())
    out = tmp_path / "repo"
    result = run_cli("import", "--access", str(export), "--people", str(bad_people), "--catalog", str(catalog),
                     "--out", str(out))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: 3 rows of ") and lines[0].endswith("nothing was written:")
    assert lines[1].startswith(f"  {export}:3:3: `granted_on` '2023-02-30' is not a date")
    assert lines[2].startswith(f"  {export}:4:2: `permission` is empty")
    assert lines[3].startswith(f"  {bad_people}:{bad_line}:3: `division` 'Retail Sales' is not a division name")
    assert not out.exists()


def test_a_row_without_granted_on_needs_the_export_date(tmp_path: Path) -> None:
    people, catalog = incident_csvs(tmp_path)
    export = tmp_path / "access.csv"
    export.write_text("employee,permission,granted_on,granted_by\n"
                      "E000001,P001,2023-01-05,E000003\n"
                      "E000004,P002,,E000003\n", encoding="utf-8")
    args = ["import", "--access", str(export), "--people", str(people), "--catalog", str(catalog),
            "--out", str(tmp_path / "repo")]
    result = run_cli(*args)
    assert result.exit_code == 2
    assert f"  {export}:3:2: the row has no granted_on: give --as-of DATE" in result.stderr
    assert not (tmp_path / "repo").exists()
    assert run_cli(*args, "--as-of", "2023-03-16").exit_code == 0
    text = (tmp_path / "repo" / "assignments" / "retail-sales" / "E000004.yaml").read_text(encoding="utf-8")
    assert ("    granted_on: 2023-03-16\n    reason: \"imported from access.csv as of 2023-03-16: no ticket; "
            "granted_on unknown, the export's date written\"\n") in text


def test_without_people_the_directory_in_out_is_used_or_refused(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    out.mkdir()
    result = run_cli("import", "--access", str(EXPORT), "--out", str(out))
    assert result.exit_code == 2 and result.stderr.startswith(f"Error: --out {out} has no people.yaml")
    shutil.copy(INCIDENT / "people.yaml", out / "people.yaml")
    shutil.copy(INCIDENT / "catalog.yaml", out / "catalog.yaml")
    result = run_cli("import", "--access", str(EXPORT), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "people.yaml").read_bytes() == (INCIDENT / "people.yaml").read_bytes()
    assert line_of(out / "assignments" / "retail-sales" / "E000001.yaml", "P083") == 17


def test_a_reason_that_would_name_a_ticket_is_refused(tmp_path: Path) -> None:
    people, catalog = incident_csvs(tmp_path)
    export = tmp_path / "ACC-2023.csv"
    shutil.copy(EXPORT, export)
    out = tmp_path / "repo"
    result = run_cli("import", "--access", str(export), "--people", str(people), "--catalog", str(catalog),
                     "--out", str(out))
    assert result.exit_code == 2
    assert "names a ticket by accident" in result.stderr
    assert not (out / "assignments").exists()
