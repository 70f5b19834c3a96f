"""permgate audit: exposure windows from real git history."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from permgate.analysis.audit import audit
from permgate.git.repo import Repo
from permgate.rules.examples import BASE
from tests.conftest import replay_incident, run_cli
from tests.gitutil import GitRepo

RULE = "distribution-to-retail-sales"
F2 = "assignments/retail-sales/E000002.yaml"


def grants_file(employee: str, *entries: tuple[str, str, str]) -> str:
    body = "".join(f"  - permission: {p}\n    granted_by: {by}\n    granted_on: {on}\n    reason: \"ticket\"\n"
                   for p, by, on in entries)
    return f"---\nemployee: {employee}\ngrants:\n{body}" if body else f"---\nemployee: {employee}\ngrants: []\n"


def windows(root: Path, **kw: dt.date) -> list[tuple[str, str, str | None, str, str | None, int]]:
    result = audit(Repo(str(root)), **kw)
    return [(e.employee, e.permission or "", e.introduced.date, e.introduced.commit,
             e.removed.commit if e.removed else None, e.days) for e in result.exposures]


# --- the incident, replayed as dated commits -------------------------------------------------

HOLDERS = {  # employee -> (entry day, the file's granted_by)
    "E000010": ("2021-07-01", "E000005"),
    "E000012": ("2021-07-01", "E000006"),
    "E000007": ("2022-07-01", "E000007"),
    "E000009": ("2022-07-01", "E000005"),
    "E000011": ("2022-07-01", "E000006"),
}


def test_incident_audit_gives_each_holder_exact_entry_removal_and_days(
        incident_history: tuple[Path, list[tuple[str, str, str]]]) -> None:
    root, log = incident_history
    removal = log[-1]
    assert removal[1] == "2023-03-17"
    entry_commit = {}
    for commit, day, subject in log:
        for employee in HOLDERS:
            if f"for {employee} " in subject:
                entry_commit[employee] = (commit, day)
    result = run_cli("audit", "--root", str(root), "--format", "json", "--until", "2023-12-31")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert list(doc) == ["exposures"]
    got = {e["employee"]: e for e in doc["exposures"]}
    assert sorted(got) == sorted(HOLDERS)
    for employee, (day, granted_by) in HOLDERS.items():
        e = got[employee]
        assert e["rule"] == RULE
        assert e["permission"] == "P083"
        assert e["introduced"]["commit"] == entry_commit[employee][0]
        assert e["introduced"]["date"] == day == entry_commit[employee][1]
        assert e["removed"] == {"commit": removal[0], "date": "2023-03-17",
                                "author": "Kazuki Mori <e000019@example.invalid>", "cause": "grant"}
        assert e["introduced"]["cause"] == "grant"
        assert e["days"] == (dt.date(2023, 3, 17) - dt.date.fromisoformat(day)).days
        assert e["days"] == {"2021-07-01": 624, "2022-07-01": 259}[day]
        assert (e["granted_by"], e["granted_on"]) == (granted_by, day)
        assert (e["path"], e["line"]) == (f"assignments/retail-sales/{employee}.yaml", 241)
        assert set(e) == {"rule", "employee", "permission", "introduced", "removed", "days",
                          "granted_by", "granted_on", "path", "line"}
    assert got["E000010"]["introduced"]["author"] == "Daisuke Ogawa <e000005@example.invalid>"
    assert got["E000007"]["introduced"]["author"] == "Kenji Matsuda <e000007@example.invalid>"


def test_incident_audit_until_before_removal_leaves_them_open(
        incident_history: tuple[Path, list[tuple[str, str, str]]]) -> None:
    root, _ = incident_history
    got = {e[0]: (e[4], e[5]) for e in windows(root, until=dt.date(2023, 3, 16))}
    assert got == {"E000010": (None, 623), "E000012": (None, 623), "E000007": (None, 258),
                   "E000009": (None, 258), "E000011": (None, 258)}
    assert windows(root, since=dt.date(2023, 3, 18), until=dt.date(2024, 1, 1)) == []
    assert len(windows(root, since=dt.date(2023, 3, 17), until=dt.date(2024, 1, 1))) == 5


def test_incident_audit_in_a_subfolder_of_the_git_repository(tmp_path: Path) -> None:
    top = tmp_path / "repo"
    replay_incident(top, subdir="grants/incident")
    result = run_cli("audit", "--root", str(top / "grants" / "incident"), "--format", "json", "--until", "2024-01-01")
    assert result.exit_code == 0, result.output
    exposures = json.loads(result.stdout)["exposures"]
    assert sorted((e["employee"], e["introduced"]["date"], e["removed"]["date"], e["days"], e["path"], e["line"])
                  for e in exposures) == sorted(
        (emp, day, "2023-03-17", {"2021-07-01": 624, "2022-07-01": 259}[day], f"assignments/retail-sales/{emp}.yaml",
         241) for emp, (day, _) in HOLDERS.items())


def test_incident_audit_text_and_markdown(incident_history: tuple[Path, list[tuple[str, str, str]]]) -> None:
    root, log = incident_history
    text = run_cli("audit", "--root", str(root), "--until", "2024-01-01").stdout.splitlines()
    assert text[0].startswith(
        f"assignments/retail-sales/E000010.yaml:241: {RULE}: E000010 Emi Kubo held P083 small-business-liaison.read "
        f"2021-07-01..2023-03-17 (624 days); entered ")
    assert text[-1] == f"5 exposures (0 still present) in {len(log)} commits up to {log[-1][0][:12]}"
    md = run_cli("audit", "--root", str(root), "--until", "2024-01-01", "--format", "markdown").stdout
    assert md.startswith("# Exposure audit\n")
    row = next(line for line in md.splitlines() if "E000009 Ryo Takagi" in line)
    assert "| 2022-07-01 `" in row and "| 259 |" in row and "`assignments/retail-sales/E000009.yaml:241`" in row


# --- the rules of the walk, on small histories -------------------------------------------------

def base_files() -> dict[str, str | None]:
    return {k: v for k, v in BASE.items() if k != F2}


def test_removed_then_granted_again_gives_two_windows(tmp_path: Path) -> None:
    g = GitRepo(tmp_path / "r")
    g.commit(base_files(), "2022-01-01")
    c1 = g.commit({F2: grants_file("E000002", ("P001", "E000001", "2022-02-01"), ("P002", "E000001", "2022-02-01"))},
                  "2022-02-01")
    c2 = g.commit({F2: grants_file("E000002", ("P001", "E000001", "2022-02-01"))}, "2022-03-01")
    c3 = g.commit({F2: grants_file("E000002", ("P002", "E000003", "2022-05-01"), ("P001", "E000001", "2022-02-01"))},
                  "2022-05-01", "Bo Boss")
    assert windows(g.top, until=dt.date(2022, 6, 1)) == [
        ("E000002", "P002", "2022-02-01", c1, c2, 28),
        ("E000002", "P002", "2022-05-01", c3, None, 31),
    ]
    second = audit(Repo(str(g.top)), until=dt.date(2022, 6, 1)).exposures[1]
    assert (second.granted_by, second.granted_on, second.line) == ("E000003", "2022-05-01", 4)
    assert second.introduced.author == "Bo Boss <bo@example.invalid>"


def test_moving_lines_or_files_does_not_reopen_and_a_broken_commit_does_not_close(tmp_path: Path) -> None:
    g = GitRepo(tmp_path / "r")
    g.commit(base_files(), "2022-01-01")
    c1 = g.commit({F2: grants_file("E000002", ("P002", "E000001", "2022-02-01"))}, "2022-02-01")
    g.commit({F2: grants_file("E000002", ("P001", "E000001", "2022-02-01"), ("P002", "E000001", "2022-02-01"))},
             "2022-03-01")
    g.commit({F2: "---\nemployee: E000002\ngrants: [oops\n"}, "2022-04-01")  # unparsable for a while
    moved = "assignments/retail-sales/team-a/E000002.yaml"
    g.commit({F2: None, moved: grants_file("E000002", ("P002", "E000001", "2022-02-01"))}, "2022-05-01")
    c5 = g.commit({moved: grants_file("E000002")}, "2022-06-01")
    assert windows(g.top, until=dt.date(2022, 12, 31)) == [("E000002", "P002", "2022-02-01", c1, c5, 120)]


def test_judged_by_current_rules_with_people_and_permissions_gone_from_head(tmp_path: Path) -> None:
    g = GitRepo(tmp_path / "r")
    g.commit(base_files(), "2022-01-01")
    c1 = g.commit({F2: grants_file("E000002", ("P002", "E000001", "2022-02-01"))}, "2022-02-01")
    # E000002 leaves: file and person deleted; P002 deleted from the catalog as well
    people = BASE["people.yaml"].replace("- id: E000002\n  name: Ben Baker\n  division: retail-sales\n"
                                         "  manager: E000001\n", "")
    catalog = BASE["catalog.yaml"]
    start = catalog.index("- id: P002")
    catalog = catalog[:start] + catalog[catalog.index("- id: P003"):]
    assert "E000002" not in people and "P002" not in catalog
    c2 = g.commit({F2: None, "people.yaml": people, "catalog.yaml": catalog}, "2022-03-01")
    assert windows(g.top, until=dt.date(2022, 12, 31)) == [("E000002", "P002", "2022-02-01", c1, c2, 28)]


def test_policy_added_later_still_judges_the_past(tmp_path: Path) -> None:
    g = GitRepo(tmp_path / "r")
    files = base_files()
    files.pop("policies/unbundling.yaml")
    files["policies/none.yaml"] = "---\nrules: []\n"
    g.commit(files, "2022-01-01")
    c1 = g.commit({F2: grants_file("E000002", ("P002", "E000001", "2022-02-01"))}, "2022-02-01")
    g.commit({"policies/unbundling.yaml": BASE["policies/unbundling.yaml"]}, "2022-09-01")
    assert windows(g.top, until=dt.date(2022, 12, 31)) == [("E000002", "P002", "2022-02-01", c1, None, 333)]


def test_audit_errors_are_clean(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    result = run_cli("audit", "--root", str(plain))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "not inside a git repository" in result.stderr
    g = GitRepo(tmp_path / "r")
    g.commit(base_files(), "2022-01-01")
    result = run_cli("audit", "--root", str(g.top), "--rev", "nope")
    assert (result.exit_code, result.stderr) == (2, "Error: unknown git revision `nope`\n")
    result = run_cli("audit", "--root", str(g.top), "--since", "2023-01-01", "--until", "2022-01-01")
    assert result.exit_code == 2 and "is after --until" in result.stderr


def test_audit_without_an_assignments_folder_is_a_config_error(tmp_path: Path) -> None:
    g = GitRepo(tmp_path / "r")
    g.commit({**base_files(), "permgate.yaml": "---\npaths:\n  assignments: grants\n"}, "2022-01-01")
    result = run_cli("audit", "--root", str(g.top))
    assert result.exit_code == 2
    assert result.stderr == "Error: grants:1:1: assignments folder not found in the history of HEAD\n"


def test_rule_option_audits_built_in_rules_too(incident_history: tuple[Path, list[tuple[str, str, str]]]) -> None:
    root, _ = incident_history
    result = run_cli("audit", "--root", str(root), "--format", "json", "--until", "2023-12-31",
                     "--rule", "privilege-management")
    assert result.exit_code == 0, result.output
    got = sorted((e["rule"], e["employee"], e["permission"], e["introduced"]["date"], e["removed"], e["days"],
                  e["line"]) for e in json.loads(result.stdout)["exposures"])
    # the registration ability (P118) was not part of the 2023-03-17 removal: still present
    assert got == sorted(("privilege-management", e, "P118", day, None,
                          (dt.date(2023, 12, 31) - dt.date.fromisoformat(day)).days, 353)
                         for e, (day, _) in HOLDERS.items())
    result = run_cli("audit", "--root", str(root), "--rule", "no-such-rule")
    assert (result.exit_code, result.stderr) == (2, "Error: unknown rule `no-such-rule` (see `permgate rules`)\n")


def test_a_grant_made_on_a_side_branch_enters_with_the_merge(tmp_path: Path) -> None:
    g = GitRepo(tmp_path / "r")
    g.commit(base_files(), "2022-01-01")
    g.git("checkout", "-q", "-b", "side")
    g.commit({F2: grants_file("E000002", ("P002", "E000001", "2022-02-01"))}, "2022-02-01", "Sid Side")
    g.git("checkout", "-q", "main")
    g.commit({"README.md": "hello\n"}, "2022-02-10")
    when = "2022-03-01T12:00:00+00:00"
    g.git("merge", "-q", "--no-ff", "-m", "merge side", "side",
          env={"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when, "GIT_AUTHOR_NAME": "Mo Merger",
               "GIT_AUTHOR_EMAIL": "mo@example.invalid"})
    merge = g.git("rev-parse", "HEAD").strip()
    [e] = audit(Repo(str(g.top)), until=dt.date(2022, 3, 31)).exposures
    assert (e.introduced.commit, e.introduced.date, e.introduced.author, e.days) == (
        merge, "2022-03-01", "Mo Merger <mo@example.invalid>", 30)
    assert (e.granted_by, e.granted_on) == ("E000001", "2022-02-01")  # what the file claimed
