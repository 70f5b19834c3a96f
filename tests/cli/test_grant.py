"""permgate grant: the verdict of check, written only when clean, byte for byte, atomically."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.conftest import PROJECT, run_cli

INCIDENT = PROJECT / "examples" / "incident-2023"
DAY = ("--on", "2026-11-27", "--today", "2026-11-27")


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones too) with a hash of its bytes."""
    out = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            p = Path(dirpath) / name
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def copy_top_level(tmp_path: Path) -> Path:
    """The project's own clean grants repository, without the rest of the project."""
    root = tmp_path / "grants"
    root.mkdir()
    for name in ("catalog.yaml", "people.yaml", "roles.yaml", "permgate.yaml"):
        if (PROJECT / name).exists():
            shutil.copy(PROJECT / name, root / name)
    for folder in ("assignments", "policies"):
        shutil.copytree(PROJECT / folder, root / folder)
    return root


def test_leftover_distribution_item_to_a_sales_employee_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    root = tmp_path / "incident"
    shutil.copytree(INCIDENT, root)
    before = snapshot(root)
    result = run_cli("grant", "E000013", "P083", "--by", "E000005", "--reason", "transfer-in, ticket ACC-20001",
                     "--root", str(root), *DAY)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "assignments/retail-sales/E000013.yaml:21:5: error[distribution-to-retail-sales] P083 "
        "small-business-liaison.read is owned by distribution (catalog.yaml:337); E000013 Yuto Ishida is in "
        "retail-sales (people.yaml:69); granted by E000005 on 2026-11-27")
    assert "error[distribution-to-retail-sales]" not in "\n".join(lines[1:])
    assert lines[-1].startswith("Not written: granting P083 to E000013 would introduce ")
    assert lines[-1].endswith(". No file was changed.")
    assert snapshot(root) == before


def test_permitted_grant_is_written_in_canonical_position_and_check_is_clean(tmp_path: Path) -> None:
    root = copy_top_level(tmp_path)
    target = root / "assignments" / "retail-sales" / "E000005.yaml"
    original = target.read_text("utf-8")
    others = {k: v for k, v in snapshot(root).items() if not k.endswith("E000005.yaml")}
    result = run_cli("grant", "E000005", "P002", "--by", "E000004", "--reason", "contract desk, ticket ACC-03001",
                     "--root", str(root), *DAY)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines()[-1] == "Added P002 at assignments/retail-sales/E000005.yaml:9."
    head, tail = original.split("  - permission: P003\n")
    assert target.read_text("utf-8") == head + (
        "  - permission: P002\n"
        "    granted_by: E000004\n"
        "    granted_on: 2026-11-27\n"
        '    reason: "contract desk, ticket ACC-03001"\n'
        "  - permission: P003\n") + tail
    assert {k: v for k, v in snapshot(root).items() if not k.endswith("E000005.yaml")} == others
    check = run_cli("check", "--root", str(root), "--today", "2026-11-27")
    assert check.exit_code == 0, check.stdout
    assert run_cli("fmt", "--check", "--root", str(root)).exit_code == 0


def test_dry_run_never_writes(tmp_path: Path) -> None:
    root = copy_top_level(tmp_path)
    before = snapshot(root)
    result = run_cli("grant", "E000005", "P002", "--by", "E000004", "--reason", "ticket ACC-03001",
                     "--root", str(root), "--dry-run", *DAY)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == \
        "Dry run: would add P002 at assignments/retail-sales/E000005.yaml:9. Nothing written."
    assert snapshot(root) == before


def test_several_permissions_and_an_expiry(tmp_path: Path) -> None:
    root = copy_top_level(tmp_path)
    result = run_cli("grant", "E000005", "P006", "P002", "--by", "E000004", "--reason", "ticket ACC-03002",
                     "--expires", "2027-05-31", "--root", str(root), *DAY)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines()[-1] == \
        "Added P002 at assignments/retail-sales/E000005.yaml:9, P006 at assignments/retail-sales/E000005.yaml:22."
    text = (root / "assignments" / "retail-sales" / "E000005.yaml").read_text("utf-8")
    assert text.endswith('  - permission: P006\n    granted_by: E000004\n    granted_on: 2026-11-27\n'
                         '    reason: "ticket ACC-03002"\n    expires: 2027-05-31\n')


def test_a_new_file_is_created_in_the_division_folder(make_repo: Callable[..., Path]) -> None:
    from permgate.rules.examples import BASE
    people = BASE["people.yaml"] + ("- id: E000005\n  name: Eve Eriksen\n  division: distribution\n"
                                    "  manager: E000003\n")
    root = make_repo({"people.yaml": people})
    result = run_cli("grant", "E000005", "P002", "--by", "E000003", "--reason", "grid desk, ticket ACC-00110",
                     "--root", str(root), *DAY)
    assert result.exit_code == 0, result.stdout
    assert (root / "assignments" / "distribution" / "E000005.yaml").read_text("utf-8") == (
        "---\n"
        "# grants held by Eve Eriksen (distribution)\n"
        "employee: E000005\n"
        "grants:\n"
        "  - permission: P002\n"
        "    granted_by: E000003\n"
        "    granted_on: 2026-11-27\n"
        '    reason: "grid desk, ticket ACC-00110"\n')
    assert [p.name for p in (root / "assignments" / "distribution").iterdir()] == ["E000005.yaml"]
    assert run_cli("check", "--root", str(root), "--today", "2026-11-27").exit_code == 0


def test_builtin_rules_apply_to_the_proposal(make_repo: Callable[..., Path]) -> None:
    root = make_repo({})
    before = snapshot(root)
    f = "assignments/retail-sales/E000002.yaml"
    cases = {
        ("P001",): f"{f}:8:5: error[duplicate-grant] P001 billing.read is granted to E000002 Ben Baker again "
                   f"(first at {f}:4)",
        ("P004",): f"{f}:8:5: error[retired-permission] P004 legacy-liaison.read is retired (catalog.yaml:16) but "
                   "still granted to E000002 Ben Baker by E000001 on 2026-11-27",
        ("P999",): f"{f}:8:5: error[unknown-permission] P999 is not in catalog.yaml; granted to E000002 Ben Baker "
                   "by E000001 on 2026-11-27",
    }
    for perms, first in cases.items():
        result = run_cli("grant", "E000002", *perms, "--by", "E000001", "--reason", "ticket ACC-1",
                         "--root", str(root), *DAY)
        assert result.exit_code == 1
        assert result.stdout.splitlines()[0] == first
    result = run_cli("grant", "E000002", "P003", "--by", "E000002", "--reason", "ticket ACC-1", "--root", str(root),
                     *DAY)
    assert (result.exit_code, result.stdout.splitlines()[0]) == (
        1, f"{f}:8:5: error[self-grant] E000002 Ben Baker granted P003 hr.read to themself on 2026-11-27")
    assert snapshot(root) == before


def test_pre_existing_findings_are_not_repeated(make_repo: Callable[..., Path]) -> None:
    f = "assignments/retail-sales/E000002.yaml"
    bad = ('---\nemployee: E000002\ngrants:\n  - permission: P002\n    granted_by: E000001\n'
           '    granted_on: 2026-01-05\n    reason: "ticket ACC-9"\n')
    root = make_repo({f: bad})
    result = run_cli("grant", "E000002", "P003", "--by", "E000001", "--reason", "ticket ACC-1", "--root", str(root),
                     *DAY)
    assert result.exit_code == 0
    assert result.stdout.startswith("0 errors, 0 warnings, 0 notes in 1 grants file (1 grant)\n")
    assert "P003" in (root / f).read_text("utf-8")


def test_files_it_cannot_edit_and_bad_arguments_exit_2(make_repo: Callable[..., Path]) -> None:
    f = "assignments/retail-sales/E000002.yaml"
    flow = "---\nemployee: E000002\ngrants: [{permission: P001, granted_by: E000001, granted_on: 2026-01-05}]\n"
    root = make_repo({f: flow})
    before = snapshot(root)
    result = run_cli("grant", "E000002", "P003", "--by", "E000001", "--reason", "ticket ACC-1", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {f}:3:9: flow style")
    for args in (("../x", "P003"), ("E000002", "P 3")):
        result = run_cli("grant", *args, "--by", "E000001", "--reason", "r", "--root", str(root))
        assert result.exit_code == 2
        assert "is not an id" in result.stderr
    assert run_cli("grant", "E000002", "P003", "--by", "E000001", "--reason", "r", "--on", "2026-13-01",
                   "--root", str(root)).exit_code == 2
    assert snapshot(root) == before


def test_a_waived_finding_does_not_stop_the_grant(make_repo: Callable[..., Path]) -> None:
    waivers = ('---\nwaivers:\n  - rule: expiry-required\n    employee: E000002\n    permission: P006\n'
               '    reason: "payroll migration, open-ended until the new system is live"\n    ticket: ACC-00150\n'
               '    approved_by: E000004\n    approved_on: 2026-11-01\n    expires: 2027-01-31\n')
    root = make_repo({"policies/waivers.yaml": waivers})
    assert "warning[waiver-unused]" in run_cli("check", "--root", str(root), "--today", "2026-11-27").stdout
    result = run_cli("grant", "E000002", "P006", "--by", "E000001", "--reason", "payroll desk, ticket ACC-00151",
                     "--root", str(root), *DAY)
    assert result.exit_code == 0, result.stdout
    assert "[expiry-required]" in result.stdout.splitlines()[0]
    assert result.stdout.splitlines()[-1] == "Added P006 at assignments/retail-sales/E000002.yaml:8."
    after = run_cli("check", "--root", str(root), "--today", "2026-11-27")
    assert after.exit_code == 0
    assert "waiver-unused" not in after.stdout


def test_findings_the_employee_already_has_are_mentioned_not_repeated(make_repo: Callable[..., Path]) -> None:
    f = "assignments/retail-sales/E000002.yaml"
    old = ('---\nemployee: E000002\ngrants:\n  - permission: P001\n    granted_by: E000001\n'
           '    granted_on: 2026-01-05\n    reason: "no ticket"\n')
    root = make_repo({f: old})
    result = run_cli("grant", "E000002", "P003", "--by", "E000001", "--reason", "ticket ACC-00111",
                     "--root", str(root), *DAY)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines() == [
        "0 errors, 0 warnings, 0 notes in 1 grants file (1 grant)",
        "Note: E000002 already has 1 finding that this change does not add; see `permgate check`.",
        f"Added P003 at {f}:8.",
    ]


def test_rules_that_judge_a_change_judge_the_proposal(tmp_path: Path) -> None:
    root = tmp_path / "incident"
    shutil.copytree(INCIDENT, root)
    before = snapshot(root)
    many = [f"P{n:03d}" for n in range(32, 58)]  # 26 retail-sales items E000013 does not hold
    result = run_cli("grant", "E000013", *many, "--by", "E000005", "--reason", "ticket ACC-20002",
                     "--root", str(root), "--on", "2023-03-16", "--today", "2023-03-16")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == ("assignments/retail-sales/E000013.yaml:3:1: error[bulk-grant] this change "
                                             "adds 26 grants to E000013 Yuto Ishida (more than 25 at once)")
    assert snapshot(root) == before
    result = run_cli("grant", "E000013", *many[:25], "--by", "E000005", "--reason", "ticket ACC-20002",
                     "--root", str(root), "--on", "2023-03-16", "--today", "2023-03-16", "--dry-run")
    assert result.exit_code == 0, result.stdout


def test_byte_order_mark_and_crlf_are_kept(make_repo: Callable[..., Path]) -> None:
    from permgate.rules.examples import BASE
    f = "assignments/retail-sales/E000002.yaml"
    original = b"\xef\xbb\xbf" + BASE[f].replace("\n", "\r\n").encode("utf-8")
    root = make_repo({})
    (root / f).write_bytes(original)
    result = run_cli("grant", "E000002", "P003", "--by", "E000001", "--reason", "ticket ACC-00112",
                     "--root", str(root), *DAY)
    assert result.exit_code == 0, result.stdout
    assert (root / f).read_bytes() == original + (
        b'  - permission: P003\r\n    granted_by: E000001\r\n    granted_on: 2026-11-27\r\n'
        b'    reason: "ticket ACC-00112"\r\n')


def test_an_expiry_not_after_the_grant_date_and_an_unknown_employee_are_refused(
        make_repo: Callable[..., Path]) -> None:
    root = make_repo({})
    before = snapshot(root)
    for expires in ("2026-11-27", "2026-11-01"):
        result = run_cli("grant", "E000002", "P003", "--by", "E000001", "--reason", "hr, ticket ACC-00111",
                         "--expires", expires, "--root", str(root), *DAY)
        assert result.exit_code == 2
        assert result.stderr == (f"Error: --expires {expires} is not after the grant date 2026-11-27: a grant must "
                                 "be in force for at least a day\n")
    result = run_cli("grant", "E009999", "P003", "--by", "E000001", "--reason", "hr, ticket ACC-00111",
                     "--root", str(root), *DAY)
    assert result.exit_code == 2
    assert result.stderr == "Error: E009999 is not in people.yaml; add them before granting anything\n"
    assert snapshot(root) == before
    ok = run_cli("grant", "E000002", "P003", "--by", "E000001", "--reason", "hr, ticket ACC-00111",
                 "--expires", "2026-11-28", "--root", str(root), *DAY)
    assert ok.exit_code == 0, ok.stdout


def test_of_two_same_findings_the_one_at_the_proposed_line_is_new(make_repo: Callable[..., Path]) -> None:
    """E000002 already holds P002 (line 4, pre-existing); proposing it again flags the proposed line 8."""
    f = "assignments/retail-sales/E000002.yaml"
    bad = ('---\nemployee: E000002\ngrants:\n  - permission: P002\n    granted_by: E000001\n'
           '    granted_on: 2026-01-05\n    reason: "ticket ACC-9"\n')
    root = make_repo({f: bad})
    result = run_cli("grant", "E000002", "P002", "--by", "E000001", "--reason", "ticket ACC-1", "--root", str(root),
                     *DAY)
    assert result.exit_code == 1
    flagged = {line.split(" ")[0] + " " + line.split(" ")[1] for line in result.stdout.splitlines()
               if line.startswith(f)}
    assert f"{f}:8:5: error[distribution-to-retail-sales]" in flagged
    assert f"{f}:4:5: error[distribution-to-retail-sales]" not in flagged
