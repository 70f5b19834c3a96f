"""Issue 19, classes 4, 6, 7: one reading for every reader, no traceback on any date, no
writes through symlinks.  Each test is the attack and the verdict permgate must give."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from permgate.edit.atomic import write_inside
from permgate.errors import EditError
from permgate.load.bulk import Tuning, load_many
from permgate.load.fastschema import compile_schema
from permgate.load.grants import load_grants_bytes
from permgate.load.source import FsSource
from permgate.rules.examples import BASE, build
from tests.conftest import SHARED, pairs, run_cli, write_repo
from tests.git_helpers import GIT_ENV, commit_all, commit_change, git, init_repo, write_files

F2 = "assignments/retail-sales/E000002.yaml"

# ---------------------------------------------------------------------------------------------
# class 4: parser disagreements

BREAKS = {"NEL": "\x85", "LS": "\u2028", "PS": "\u2029"}
# CRLF and a lone CR end lines for every reader: they count; the disputed character does not
PREFIX = "---\r\nemployee: E000002\rgrants:\n  - permission: P001\n    granted_by: E000001\n"
HIDDEN = '    granted_on: 2026-01-05\n    reason: "billing desk, ticket ACC-00101" # ok{ch}  - permission: P002\n'
AT = (7, len('    reason: "billing desk, ticket ACC-00101" # ok') + 1)


def _problems(data: bytes, fast: bool) -> set[tuple[int, int, str]]:
    gf, problems = load_grants_bytes(data, F2, fast)
    assert gf is None
    return {(p.line, p.column, p.message.split(" ", 1)[0]) for p in problems}


@pytest.mark.parametrize("name", sorted(BREAKS))
@pytest.mark.parametrize("fast", [True, False], ids=["canonical-first", "full"])
def test_a_disputed_line_break_in_a_grants_file_is_refused_where_it_stands(name: str, fast: bool) -> None:
    ch = BREAKS[name]
    data = (PREFIX + HIDDEN.format(ch=ch)).encode("utf-8")
    code = f"U+{ord(ch):04X}"
    assert _problems(data, fast) == {(*AT, code)}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_disputed_line_break_is_an_invalid_file_finding_through_the_cli(
        name: str, make_repo: Callable[..., Path]) -> None:
    root = make_repo({F2: PREFIX + HIDDEN.format(ch=BREAKS[name])})
    for extra in ((), ("--no-cache",), ("--jobs", "2")):
        result = run_cli("check", "--root", str(root), "--format", "json", "--today", "2026-02-01", *extra)
        assert result.exit_code == 1
        assert ("invalid-file", F2, AT[0]) in pairs(json.loads(result.stdout), "invalid-file")


def test_bulk_loader_refuses_it_too(tmp_path: Path) -> None:
    write_repo(tmp_path, {F2: PREFIX + HIDDEN.format(ch="\u2028")})
    (loaded,) = load_many(FsSource(str(tmp_path)), [F2], 1 << 20, Tuning(jobs=1))
    gf, problems = loaded
    assert gf is None and [(p.line, p.column) for p in problems] == [AT]


JUDGED_BY = {
    "catalog.yaml": (BASE["catalog.yaml"].replace("  name: billing.read", "  name: billing.read\u2028x"), 5, 21),
    "people.yaml": (BASE["people.yaml"].replace("  name: Ben Baker", "  name: Ben\u2029Baker"), 9, 12),
    "policies/unbundling.yaml": (BASE["policies/unbundling.yaml"].replace(
        "    summary: Distribution", "    summary: \x85Distribution"), 7, 14),
    "permgate.yaml": ("---\n# settings\x85expiry-required: {max_days: 10}\n", 2, 11),
    "policies/waivers.yaml": ("---\nwaivers: []  # none\u2028\n", 2, 20),
}


@pytest.mark.parametrize("rel", sorted(JUDGED_BY))
def test_a_disputed_line_break_in_a_file_every_grant_is_judged_by_stops_the_run(
        rel: str, make_repo: Callable[..., Path]) -> None:
    text, line, column = JUDGED_BY[rel]
    root = make_repo({rel: text})
    result = run_cli("check", "--root", str(root), "--today", "2026-02-01")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {rel}:{line}:{column}: U+"), result.stderr


def test_a_disputed_line_break_in_policy_tests_stops_the_run(make_repo: Callable[..., Path]) -> None:
    tests = "---\ntests: []\n# x\u2028y\n"
    root = make_repo({"policies/tests/t.yaml": tests})
    result = run_cli("test", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: policies/tests/t.yaml:3:4: U+2028"), result.stderr


ID_FIELDS = {"employee": (2, 11), "permission": (4, 17), "granted_by": (5, 17)}


def _newline_id(field: str) -> str:
    text = BASE[F2]
    value = {"employee": "E000002", "permission": "P001", "granted_by": "E000001"}[field]
    return text.replace(f"{field}: {value}\n", f'{field}: "{value}\\n"\n')


@pytest.mark.parametrize("field", sorted(ID_FIELDS))
@pytest.mark.parametrize("fast", [True, False], ids=["canonical-first", "full"])
def test_an_id_ending_in_a_newline_is_refused_by_the_loader(field: str, fast: bool) -> None:
    _, problems = load_grants_bytes(_newline_id(field).encode("utf-8"), F2, fast)
    line, column = ID_FIELDS[field]
    assert (line, column) in {(p.line, p.column) for p in problems}
    assert any("is not an id" in p.message for p in problems)


@pytest.mark.parametrize("field", sorted(ID_FIELDS))
def test_an_id_ending_in_a_newline_is_an_invalid_file_in_check_and_check_base(
        field: str, tmp_path: Path) -> None:
    repo = tmp_path / "grants"
    init_repo(repo, build({}))
    write_files(repo, {F2: _newline_id(field)})
    commit_change(repo)  # --base judges the commit
    for extra in ((), ("--base", "main"), ("--no-cache",)):
        result = run_cli("check", "--root", str(repo), "--format", "json", "--today", "2026-02-01", *extra)
        assert result.exit_code == 1, result.output
        assert ("invalid-file", F2, ID_FIELDS[field][0]) in pairs(json.loads(result.stdout), "invalid-file")


@pytest.mark.parametrize(("rel", "old", "new", "line"), [
    ("catalog.yaml", "- id: P001\n", '- id: "P001\\n"\n', 4),
    ("people.yaml", "- id: E000002\n", '- id: "E000002\\n"\n', 8),
    ("people.yaml", "  division: retail-sales\n  manager: E000001",
     '  division: "retail-sales\\n"\n  manager: E000001', 10),
])
def test_an_id_ending_in_a_newline_in_the_catalog_or_people_stops_the_run(
        rel: str, old: str, new: str, line: int, make_repo: Callable[..., Path]) -> None:
    assert old in BASE[rel]
    root = make_repo({rel: BASE[rel].replace(old, new, 1)})
    result = run_cli("check", "--root", str(root), "--today", "2026-02-01")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {rel}:{line}:"), result.stderr


def _schema_patterns() -> list[tuple[str, str]]:
    out = []
    for entry in resources.files("permgate.schemas").iterdir():
        if entry.name.endswith(".json"):
            text = entry.read_text("utf-8")
            out += [(entry.name, p) for p in re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', text)]
    return [(name, json.loads(f'"{p}"')) for name, p in out]


SAMPLES = ("E000001", "retail-sales", "2026-01-05", "forbidden-owner", "assignments/x/E1.yaml:3",
           "division:retail-sales")


@pytest.mark.parametrize(("schema", "pattern"), _schema_patterns())
def test_no_schema_pattern_matches_a_value_with_a_trailing_newline(schema: str, pattern: str) -> None:
    # jsonschema applies `pattern` with re.search, where `$` also matches before a final "\n"
    matching = [s for s in SAMPLES if re.search(pattern, s)]
    assert matching, f"{schema}: {pattern} matches no sample; add one"
    for s in matching:
        assert re.search(pattern, s + "\n") is None, (schema, pattern, s)


def test_the_compiled_pre_check_never_vouches_for_an_id_with_a_trailing_newline() -> None:
    schema = json.loads(resources.files("permgate.schemas").joinpath("grants.schema.json").read_text("utf-8"))
    check = compile_schema(schema)
    assert check is not None
    assert check({"employee": "E000002", "grants": []})
    assert not check({"employee": "E000002\n", "grants": []})


def test_the_ci_recipe_refuses_a_file_yaml_readers_read_differently(tmp_path: Path) -> None:
    """A pull request hides a P002 grant in a comment for YAML 1.2 readers (a provisioning system
    sees one grant) while PyYAML reads a second entry: the gate, run as the CI recipe runs it
    (fresh clone of the merge commit, ``check --base`` its first parent), refuses the file."""
    upstream = tmp_path / "upstream"
    init_repo(upstream, build({}))
    git(upstream, "checkout", "-q", "-b", "pr")
    sneaky = (BASE[F2] + "  # reviewed\u2028  - permission: P002\u2028    granted_by: E000001\u2028"
              "    granted_on: 2026-01-05\u2028    reason: \"ticket ACC-00108\"\n")
    write_files(upstream, {F2: sneaky})
    commit_all(upstream, "tidy comment")
    git(upstream, "checkout", "-q", "--detach", "main")
    git(upstream, "merge", "-q", "--no-ff", "-m", "Merge pull request #19", "pr")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(upstream), str(clone)], check=True, env=dict(os.environ, **GIT_ENV))
    git(clone, "checkout", "-q", git(upstream, "rev-parse", "HEAD").strip())
    env = dict(os.environ, **GIT_ENV)
    for fmt in ("text", "sarif"):
        proc = subprocess.run([sys.executable, "-m", "permgate", "check", "--base", "HEAD^1", "--today",
                               "2026-02-01", "--format", fmt], cwd=clone, env=env, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        if fmt == "text":
            assert f"{F2}:8:13: error[invalid-file] U+2028" in proc.stdout, proc.stdout
        else:
            results = json.loads(proc.stdout)["runs"][0]["results"]
            assert ("invalid-file", 8) in {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
                                           for r in results}


# ---------------------------------------------------------------------------------------------
# class 6: no traceback on any date

EDGE_DATES = ("0001-01-01", "0001-01-02", "9999-12-30", "9999-12-31")
SENSITIVE = """\
---
employee: E000002
grants:
  - permission: P006
    granted_by: E000001
    granted_on: {on}
    reason: "payroll cover, ticket ACC-00190"
{expires}"""


def _sarif_ok(text: str) -> list[tuple[str, int]]:
    sarif = json.loads(text)
    schema_path = SHARED / "schemas" / "sarif-schema-2.1.0.json"
    if schema_path.exists():
        import jsonschema
        schema = json.loads(schema_path.read_text())
        jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    assert sarif["version"] == "2.1.0"
    return [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in sarif["runs"][0]["results"]]


def _check_all_formats(root: Path, *extra: str) -> dict[str, Any]:
    for fmt in ("text", "sarif", "github", "markdown"):
        result = run_cli("check", "--root", str(root), "--format", fmt, *extra)
        assert result.exit_code in (0, 1), (fmt, result.output)
        if fmt == "sarif":
            _sarif_ok(result.stdout)
    result = run_cli("check", "--root", str(root), "--format", "json", *extra)
    assert result.exit_code in (0, 1), result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


@pytest.mark.parametrize("on", EDGE_DATES)
def test_a_sensitive_grant_dated_at_either_end_of_the_calendar_is_judged(
        on: str, make_repo: Callable[..., Path]) -> None:
    root = make_repo({F2: SENSITIVE.format(on=on, expires="")})
    doc = _check_all_formats(root, "--today", "2026-02-01")
    assert ("expiry-required", F2, 4) in pairs(doc)


@pytest.mark.parametrize("expires", EDGE_DATES)
@pytest.mark.parametrize("on", EDGE_DATES)
def test_any_pair_of_granted_on_and_expires_is_judged(on: str, expires: str,
                                                      make_repo: Callable[..., Path]) -> None:
    root = make_repo({F2: SENSITIVE.format(on=on, expires=f"    expires: {expires}\n")})
    for today in EDGE_DATES[::3]:
        doc = _check_all_formats(root, "--today", today)
        found = pairs(doc)
        # within 180 days (or at the calendar's end, where no later day exists) is no finding
        late = (on, expires) in {("0001-01-01", "9999-12-30"), ("0001-01-01", "9999-12-31"),
                                 ("0001-01-02", "9999-12-30"), ("0001-01-02", "9999-12-31")}
        # a grant dated in the future is counted from today (it may be in force from the merge)
        if on > today:
            late = dt.date.fromisoformat(expires) > dt.date.fromisoformat(today) + dt.timedelta(days=180)
        assert (("expiry-required", F2, 4) in found) == late
        assert (("expired-grant", F2, 4) in found) == (expires < today)


@pytest.mark.parametrize("since", EDGE_DATES)
def test_division_since_at_either_end_of_the_calendar(since: str, make_repo: Callable[..., Path]) -> None:
    people = BASE["people.yaml"].replace("  manager: E000001\n", f"  manager: E000001\n  division_since: {since}\n", 1)
    root = make_repo({"people.yaml": people})
    doc = _check_all_formats(root, "--today", "9999-12-31")
    assert (("stale-after-transfer", F2, 4) in pairs(doc)) == (since > "2026-01-05")


@pytest.mark.parametrize("approved", EDGE_DATES)
@pytest.mark.parametrize("expires", EDGE_DATES)
def test_waiver_dates_at_either_end_of_the_calendar(approved: str, expires: str,
                                                    make_repo: Callable[..., Path]) -> None:
    self_grant = BASE[F2].replace("granted_by: E000001", "granted_by: E000002")
    waivers = ("---\nwaivers:\n  - rule: self-grant\n    employee: E000002\n    permission: P001\n"
               "    reason: \"cover\"\n    ticket: ACC-00150\n    approved_by: E000001\n"
               f"    approved_on: {approved}\n    expires: {expires}\n")
    root = make_repo({F2: self_grant, "policies/waivers.yaml": waivers})
    doc = _check_all_formats(root, "--today", "9999-12-31")
    invalid = ("waiver-invalid", "policies/waivers.yaml", 3) in pairs(doc)
    assert invalid == (expires < approved or (approved[:4], expires[:4]) in {("0001", "9999")})


@pytest.mark.parametrize("today", EDGE_DATES)
def test_every_command_takes_any_today(today: str, tmp_path: Path) -> None:
    repo = tmp_path / "grants"
    init_repo(repo, build({F2: SENSITIVE.format(on="9999-12-31", expires="    expires: 9999-12-31\n")}))
    write_files(repo, {"assignments/corporate/E000004.yaml": SENSITIVE.format(on=today, expires="").replace(
        "E000002", "E000004").replace("granted_by: E000001", "granted_by: E000004")})
    commit_change(repo, "grant")  # --base judges the commit
    doc = _check_all_formats(repo, "--today", today, "--base", "main")
    assert ("expiry-required", "assignments/corporate/E000004.yaml", 4) in pairs(doc)
    # an expiry must be after the grant date (else Error, exit 2): the next day, where the calendar has one
    later = [] if today == "9999-12-31" else [
        "--expires", (dt.date.fromisoformat(today) + dt.timedelta(days=1)).isoformat()]
    runs = [
        ("audit", "--until", today), ("audit", "--since", today, "--format", "json"),
        ("report", "--html", str(tmp_path / "r.html"), "--today", today),
        ("who-can", "P006"), ("grantable", "E000002", "--today", today),
        ("grant", "E000002", "P003", "--by", "E000004", "--reason", "ticket ACC-00200", "--today", today,
         "--on", today, *later, "--dry-run"),
        ("test", "--today", today),
    ]
    for args in runs:
        result = run_cli(*args, "--root", str(repo))
        assert result.exit_code in (0, 1), (args, result.output)


# ---------------------------------------------------------------------------------------------
# class 7: no writes outside the root or through a symlink


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    return outside


def _linked(root: Path, text: str) -> Path:
    """``F2`` as a symlink to a file elsewhere inside the root (``check`` reads such links)."""
    target = root / "archive" / "E000002.yaml"
    target.parent.mkdir()
    target.write_text(text, "utf-8")
    (root / F2).parent.mkdir(parents=True, exist_ok=True)
    (root / F2).symlink_to(target)
    return target


def test_grant_refuses_a_new_file_in_a_symlinked_division_folder(make_repo: Callable[..., Path],
                                                                 tmp_path: Path) -> None:
    root = make_repo()
    outside = _outside(tmp_path)
    (root / "assignments" / "corporate").symlink_to(outside, target_is_directory=True)
    result = run_cli("grant", "E000004", "P003", "--by", "E000001", "--reason", "ticket ACC-00201",
                     "--today", "2026-02-01", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: assignments/corporate:1:1: is a symlink;"), result.stderr
    assert list(outside.iterdir()) == []


def test_grant_refuses_a_grants_file_that_is_a_symlink(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({F2: ""})
    target = _linked(root, BASE[F2])
    result = run_cli("grant", "E000002", "P003", "--by", "E000001", "--reason", "ticket ACC-00202",
                     "--today", "2026-02-01", "--root", str(root))
    assert result.exit_code == 2
    assert "is a symlink;" in result.stderr
    assert target.read_text("utf-8") == BASE[F2] and (root / F2).is_symlink()


def test_revoke_refuses_a_grants_file_that_is_a_symlink(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F2: ""})
    target = _linked(root, BASE[F2])
    (root / "assignments" / "retail-sales" / "E000001.yaml").write_text(
        BASE[F2].replace("E000002", "E000001").replace("granted_by: E000001", "granted_by: E000004"), "utf-8")
    result = run_cli("revoke", "P001", "--root", str(root))
    assert result.exit_code == 2
    assert "is a symlink;" in result.stderr
    # nothing written: not the link's target, nor the other holder's file (all files are planned first)
    assert target.read_text("utf-8") == BASE[F2]
    assert "P001" in (root / "assignments" / "retail-sales" / "E000001.yaml").read_text("utf-8")


def test_revoke_and_the_writer_refuse_a_symlinked_folder(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo()
    outside = _outside(tmp_path)
    theirs = BASE[F2].replace("E000002", "E000004")
    (outside / "E000004.yaml").write_text(theirs, "utf-8")
    (root / "assignments" / "corporate").symlink_to(outside, target_is_directory=True)
    result = run_cli("revoke", "P001", "--root", str(root))
    assert result.exit_code == 1  # the folder is reported as unread, never followed
    assert (outside / "E000004.yaml").read_text("utf-8") == theirs
    # the writer itself, asked directly, refuses the folder and any path that climbs out
    with pytest.raises(EditError, match="is a symlink"):
        write_inside(str(root), "assignments/corporate/E000004.yaml", b"x")
    with pytest.raises(EditError, match="not a plain path"):
        write_inside(str(root), "assignments/../../outside/E000004.yaml", b"x")
    assert sorted(p.name for p in outside.iterdir()) == ["E000004.yaml"]


def test_fmt_refuses_to_write_through_a_symlinked_folder_or_outside_the_root(
        make_repo: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    messy = "employee: E000004\ngrants: []\n"
    root = make_repo()
    outside = _outside(tmp_path)
    (outside / "E000004.yaml").write_text(messy, "utf-8")
    (root / "assignments" / "corporate").symlink_to(outside, target_is_directory=True)
    monkeypatch.chdir(root)
    result = run_cli("fmt", "assignments/corporate/E000004.yaml")
    assert result.exit_code == 2
    assert result.stdout.splitlines()[0] == (
        "assignments/corporate:1:1: cannot format: is a symlink; permgate writes grants files only inside the "
        "repository root and never through a symlink")
    result = run_cli("fmt", str(outside / "E000004.yaml"))
    assert result.exit_code == 2
    assert "cannot format: is outside the repository root" in result.stdout
    assert (outside / "E000004.yaml").read_text("utf-8") == messy


def test_fmt_refuses_a_grants_file_that_is_a_symlink(make_repo: Callable[..., Path],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    messy = "employee: E000002\ngrants: []\n"
    root = make_repo({F2: ""})
    target = _linked(root, messy)
    monkeypatch.chdir(root)
    result = run_cli("fmt", F2)
    assert result.exit_code == 2
    assert "cannot format: is a symlink" in result.stdout
    assert target.read_text("utf-8") == messy
