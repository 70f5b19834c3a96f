"""audit judges each commit by where people sat then (issue 20), on real git histories.

The catalog and policies are those of HEAD; the people directory is the one of each commit.
A transfer or a manager change recorded by HR opens or closes an exposure at the HR commit,
named as its cause.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

from permgate.analysis.audit import Exposure, audit
from permgate.git.repo import Repo
from permgate.rules.examples import BASE
from tests.conftest import run_cli
from tests.gitutil import GitRepo

RULE = "distribution-to-retail-sales"
END = dt.date(2024, 1, 1)
HR = "Hana Hr"

#: id -> (name, division, manager)
ORG: dict[str, tuple[str, str, str | None]] = {
    "E000001": ("Ada Abbott", "retail-sales", None),
    "E000002": ("Ben Baker", "retail-sales", "E000001"),
    "E000003": ("Chloe Castro", "distribution", None),
    "E000004": ("Dan Dale", "distribution", "E000003"),
    "E000005": ("Eve Evans", "retail-sales", "E000001"),
    "E000006": ("Fay Fox", "retail-sales", "E000001"),
    "E000007": ("Gus Gray", "retail-sales", "E000006"),
}


def people(**moves: tuple[str, str | None]) -> str:
    """people.yaml with ``moves`` (id -> (division, manager)) applied to ORG."""
    out = ["---", "people:"]
    for pid, (name, division, manager) in ORG.items():
        division, manager = moves.get(pid, (division, manager))
        out += [f"- id: {pid}", f"  name: {name}", f"  division: {division}", f"  manager: {manager or 'null'}"]
    return "\n".join(out) + "\n"


def grants(employee: str, *entries: tuple[str, str, str]) -> str:
    body = "".join(f"  - permission: {p}\n    granted_by: {by}\n    granted_on: {on}\n    reason: \"ticket\"\n"
                   for p, by, on in entries)
    return f"---\nemployee: {employee}\ngrants:\n{body}" if body else f"---\nemployee: {employee}\ngrants: []\n"


def start(tmp_path: Path, files: dict[str, str | None]) -> tuple[GitRepo, str]:
    g = GitRepo(tmp_path / "r")
    first = g.commit({"catalog.yaml": BASE["catalog.yaml"], "people.yaml": people(),
                      "policies/unbundling.yaml": BASE["policies/unbundling.yaml"], **files}, "2021-01-04", "Setup")
    return g, first


def window(e: Exposure) -> tuple[str, str | None, str, str, str | None, str | None, str | None]:
    """(employee, permission, introduced commit, its cause, removed commit, its cause, the window's path)."""
    return (e.employee, e.permission, e.introduced.commit, e.introduced.cause,
            e.removed.commit if e.removed else None, e.removed.cause if e.removed else None, e.path)


RS2 = "assignments/retail-sales/E000002.yaml"
DI2 = "assignments/distribution/E000002.yaml"
DI4 = "assignments/distribution/E000004.yaml"
RS4 = "assignments/retail-sales/E000004.yaml"


def transfer_history(tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    """(a) E000002 (retail-sales) is given P002 (distribution) on 2021-07-01, moves to distribution on
    2022-01-10 (HR commit, file moved with it) and keeps it; (b) E000004 (distribution) holds P002 from the
    first commit, moves to retail-sales on 2022-03-01 (HR commit, file left where it was, moved on
    2022-04-01) and keeps it until 2023-03-17."""
    g, first = start(tmp_path, {RS2: grants("E000002", ("P001", "E000001", "2021-01-04")),
                                DI4: grants("E000004", ("P002", "E000003", "2021-01-04"))})
    c = {"first": first}
    c["a_granted"] = g.commit({RS2: grants("E000002", ("P001", "E000001", "2021-01-04"),
                                            ("P002", "E000001", "2021-07-01"))}, "2021-07-01", "Ada Abbott")
    g.git("mv", RS2, DI2)
    c["a_moved"] = g.commit({"people.yaml": people(E000002=("distribution", "E000003"))}, "2022-01-10", HR)
    c["b_moved"] = g.commit({"people.yaml": people(E000002=("distribution", "E000003"),
                                                   E000004=("retail-sales", "E000001"))}, "2022-03-01", HR)
    g.git("mv", DI4, RS4)
    c["b_file_moved"] = g.commit({}, "2022-04-01", "Ada Abbott")
    c["b_revoked"] = g.commit({RS4: grants("E000004")}, "2023-03-17", "Kazuki Mori")
    return g, c


def test_transfers_open_and_close_exposures_at_the_hr_commit(tmp_path: Path) -> None:
    g, c = transfer_history(tmp_path)
    result = audit(Repo(str(g.top)), until=END)
    assert [window(e) for e in result.exposures] == [
        # (a) six months in retail-sales with a distribution permission: closed by the transfer, not missed
        ("E000002", "P002", c["a_granted"], "grant", c["a_moved"], "people", RS2),
        # (b) exposed from the transfer into retail-sales, not from the first commit; the file's later move
        # between folders does not end it; the revocation does
        ("E000004", "P002", c["b_moved"], "people", c["b_revoked"], "grant", DI4),
    ]
    a, b = result.exposures
    assert (a.introduced.date, a.removed.date if a.removed else None, a.days) == ("2021-07-01", "2022-01-10", 193)
    assert a.removed is not None and a.removed.author == "Hana Hr <hana@example.invalid>"
    assert (b.introduced.date, b.removed.date if b.removed else None, b.days) == ("2022-03-01", "2023-03-17", 381)
    assert b.introduced.author == "Hana Hr <hana@example.invalid>"
    assert (b.granted_by, b.granted_on, b.line) == ("E000003", "2021-01-04", 4)


def test_people_at_rev_keeps_the_old_judge(tmp_path: Path) -> None:
    g, c = transfer_history(tmp_path)
    # everyone where they sit at HEAD: (a) is not seen at all, (b) counts from the first commit
    assert [window(e) for e in audit(Repo(str(g.top)), until=END, people_at_rev=True).exposures] == [
        ("E000004", "P002", c["first"], "grant", c["b_revoked"], "grant", DI4)]


def test_cli_json_names_the_cause_and_the_flag_restores_the_old_judge(tmp_path: Path) -> None:
    g, c = transfer_history(tmp_path)
    result = run_cli("audit", "--root", str(g.top), "--format", "json", "--until", "2023-12-31")
    assert result.exit_code == 0, result.output
    [a, b] = json.loads(result.stdout)["exposures"]
    assert a["introduced"] == {"commit": c["a_granted"], "date": "2021-07-01",
                               "author": "Ada Abbott <ada@example.invalid>", "cause": "grant"}
    assert a["removed"] == {"commit": c["a_moved"], "date": "2022-01-10",
                            "author": "Hana Hr <hana@example.invalid>", "cause": "people"}
    assert (b["introduced"]["commit"], b["introduced"]["cause"]) == (c["b_moved"], "people")
    old = run_cli("audit", "--root", str(g.top), "--format", "json", "--until", "2023-12-31", "--people-at-rev")
    assert [(e["employee"], e["introduced"]["commit"]) for e in json.loads(old.stdout)["exposures"]] == [
        ("E000004", c["first"])]


def test_a_git_mv_transfer_between_grantee_divisions_keeps_the_window_continuous(tmp_path: Path) -> None:
    """E000005 moves from retail-sales to retail-marketing, both grantee divisions: the file is moved with
    `git mv` in the HR commit and the grant did not change, so the exposure is one window."""
    policy = BASE["policies/unbundling.yaml"].replace("grantee_divisions: [retail-sales]",
                                                      "grantee_divisions: [retail-sales, retail-marketing]")
    rs5, rm5 = "assignments/retail-sales/E000005.yaml", "assignments/retail-marketing/E000005.yaml"
    g, _ = start(tmp_path, {rs5: grants("E000005"), "policies/unbundling.yaml": policy})
    granted = g.commit({rs5: grants("E000005", ("P002", "E000001", "2021-03-01"))}, "2021-03-01")
    (g.top / "assignments" / "retail-marketing").mkdir()
    g.git("mv", rs5, rm5)
    moved = g.commit({"people.yaml": people(E000005=("retail-marketing", "E000001"))}, "2022-05-02", HR)
    # the same file edited after the move (another grant): the exposure stays the one window
    g.commit({rm5: grants("E000005", ("P002", "E000001", "2021-03-01"), ("P001", "E000001", "2022-06-01"))},
             "2022-06-01")
    revoked = g.commit({rm5: grants("E000005", ("P001", "E000001", "2022-06-01"))}, "2023-03-17", "Kazuki Mori")
    result = audit(Repo(str(g.top)), until=END)
    assert [window(e) for e in result.exposures] == [
        ("E000005", "P002", granted, "grant", revoked, "grant", rs5)]
    assert moved not in {e.introduced.commit for e in result.exposures}
    assert result.exposures[0].days == (dt.date(2023, 3, 17) - dt.date(2021, 3, 1)).days


def test_a_manager_change_opens_and_closes_granter_authority_for_them_and_those_below(tmp_path: Path) -> None:
    """E000006 grants P001 to E000007, who reports to E000006, and E000007 has a report E000002 given P001 by
    E000006 too (in the chain through E000007).  HR moves E000007 under E000001: E000006 leaves both chains,
    and the authority violations of E000007 and of E000002 below open at the HR commit; HR moving E000007
    back closes them."""
    rs7, rs2 = "assignments/retail-sales/E000007.yaml", "assignments/retail-sales/E000002.yaml"
    g, _ = start(tmp_path, {"people.yaml": people(E000002=("retail-sales", "E000007")),
                            rs7: grants("E000007", ("P001", "E000006", "2021-01-04")),
                            rs2: grants("E000002", ("P001", "E000006", "2021-01-04"))})
    g.commit({"README.md": "unrelated\n"}, "2021-06-01")
    away = g.commit({"people.yaml": people(E000002=("retail-sales", "E000007"),
                                           E000007=("retail-sales", "E000001"))}, "2022-02-01", HR)
    # a name change in between is no change of standing: nothing closes or reopens
    g.commit({"people.yaml": people(E000002=("retail-sales", "E000007"), E000007=("retail-sales", "E000001"))
              .replace("Gus Gray", "Gus Grey")}, "2022-03-01", HR)
    back = g.commit({"people.yaml": people(E000002=("retail-sales", "E000007"))}, "2022-08-01", HR)
    result = audit(Repo(str(g.top)), until=END, rules=["granter-authority"])
    assert sorted(window(e) for e in result.exposures) == [
        ("E000002", "P001", away, "people", back, "people", rs2),
        ("E000007", "P001", away, "people", back, "people", rs7),
    ]
    assert {(e.days, e.line) for e in result.exposures} == {(181, 4)}
    # judged by HEAD's directory (E000007 back under E000006) there is nothing to report
    assert audit(Repo(str(g.top)), until=END, rules=["granter-authority"], people_at_rev=True).exposures == ()


def test_a_person_missing_from_the_directory_of_the_time(tmp_path: Path) -> None:
    """E000002's grants file enters before HR records them (judged by HEAD's entry: retail-sales), and
    HR later deletes them from the directory while the file stays (judged where they last sat)."""
    org_without = people().replace("- id: E000002\n  name: Ben Baker\n  division: retail-sales\n"
                                   "  manager: E000001\n", "")
    assert "E000002" not in org_without
    g = GitRepo(tmp_path / "r")
    first = g.commit({"catalog.yaml": BASE["catalog.yaml"], "people.yaml": org_without,
                      "policies/unbundling.yaml": BASE["policies/unbundling.yaml"],
                      RS2: grants("E000002", ("P002", "E000001", "2021-01-04"))},
                     "2021-01-04", "Setup")
    g.commit({"people.yaml": people()}, "2021-02-01", HR)  # recorded in retail-sales: no change of standing
    g.commit({"people.yaml": org_without}, "2021-09-01", HR)  # deleted: still judged in retail-sales
    g.commit({"people.yaml": people()}, "2021-10-01", HR)
    result = audit(Repo(str(g.top)), until=END)
    assert [window(e) for e in result.exposures] == [("E000002", "P002", first, "grant", None, None, RS2)]


def test_an_unreadable_people_version_keeps_the_previous_one_and_says_so(tmp_path: Path) -> None:
    g, c = transfer_history(tmp_path)
    broken = g.commit({"people.yaml": "---\npeople: [oops\n"}, "2023-06-01", HR)
    g.commit({"people.yaml": people(E000002=("distribution", "E000003"), E000004=("retail-sales", "E000001"))},
             "2023-07-01", HR)
    result = audit(Repo(str(g.top)), until=END)
    assert [window(e)[:5] for e in result.exposures] == [
        ("E000002", "P002", c["a_granted"], "grant", c["a_moved"]),
        ("E000004", "P002", c["b_moved"], "people", c["b_revoked"])]
    [note] = result.notes
    assert note == (f"people.yaml at {broken[:12]} could not be read: people.yaml:3:1: YAML syntax error: while "
                    "parsing a flow sequence: did not find expected ',' or ']'; the walk kept the previous version")
    cli = run_cli("audit", "--root", str(g.top), "--until", "2023-12-31")
    assert cli.exit_code == 0
    assert cli.stderr == f"warning: {note}\n"
    page = tmp_path / "report.html"
    assert run_cli("report", "--root", str(g.top), "--html", str(page), "--today", "2024-01-01").exit_code == 0
    assert f'<p class="note warning">warning: {html.escape(note)}</p>' in page.read_text("utf-8")


def holders_at(root: Path, day: str) -> tuple[list[tuple[str, str | None, str, int]], dict[str, str]]:
    result = run_cli("who-can", "P002", "--root", str(root), "--at", day, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    return [(h["employee"], h["division"], h["path"], h["line"]) for h in doc["holders"]], doc["at"]


def test_who_can_at_a_date_judges_where_people_sat_then(tmp_path: Path) -> None:
    g, c = transfer_history(tmp_path)
    # before (a)'s transfer: E000002 holds P002 in retail-sales, the exposure audit reports
    got, at = holders_at(g.top, "2021-12-31")
    assert got == [("E000004", "distribution", DI4, 4), ("E000002", "retail-sales", RS2, 8)]
    assert at == {"date": "2021-12-31", "commit": c["a_granted"]}
    # after both transfers, before E000004's file followed: divisions of the time, paths of the time
    got, at = holders_at(g.top, "2022-03-01")
    assert got == [("E000002", "distribution", DI2, 8), ("E000004", "retail-sales", DI4, 4)]  # (by path)
    assert at["commit"] == c["b_moved"]
    text = run_cli("who-can", "P002", "--root", str(g.top), "--at", "2022-03-01").stdout.splitlines()
    assert text[-1] == f"2 holders of P002 supply-points.read, owned by distribution on 2022-03-01 " \
                       f"(commit {c['b_moved'][:12]})"
    assert holders_at(g.top, "2023-03-17")[0] == [("E000002", "distribution", DI2, 8)]
    early = run_cli("who-can", "P002", "--root", str(g.top), "--at", "2020-12-31")
    assert (early.exit_code, early.stderr) == (2, "Error: no commit of HEAD on or before 2020-12-31\n")


def test_the_html_timeline_shows_the_audit_windows_and_their_causes(tmp_path: Path) -> None:
    g, c = transfer_history(tmp_path)
    page = tmp_path / "report.html"
    result = run_cli("report", "--root", str(g.top), "--html", str(page), "--today", "2024-01-01")
    assert result.exit_code == 0, result.output
    rows = re.findall(r'<div class="tl-row exposure (\w+)" data-employee="(\w+)" data-permission="(\w+)" '
                      r'data-start="([\d-]+)" data-end="([\d-]*)" data-days="(\d+)" data-start-cause="(\w+)" '
                      r'data-end-cause="(\w*)">', page.read_text("utf-8"))
    assert rows == [("closed", "E000002", "P002", "2021-07-01", "2022-01-10", "193", "grant", "people"),
                    ("closed", "E000004", "P002", "2022-03-01", "2023-03-17", "381", "people", "grant")]
    assert f"entered {c['b_moved'][:12]} by Hana Hr &lt;hana@example.invalid&gt; (people directory)" \
        in page.read_text("utf-8")


def test_a_granter_who_moves_out_of_a_protected_division_opens_granter_authority_for_their_grantees(
        tmp_path: Path) -> None:
    """E000003 (head of distribution) granted P002 to E000004, who reports to them.  HR moves E000003 to
    corporate: the grant is now one of a protected division's permissions by someone outside it.  Neither
    E000004's entry nor their manager link changed: they are re-judged as a holder of E000003's grants."""
    g, _ = start(tmp_path, {DI4: grants("E000004", ("P002", "E000003", "2021-01-04"))})
    away = g.commit({"people.yaml": people(E000003=("corporate", None))}, "2022-02-01", HR)
    back = g.commit({"people.yaml": people()}, "2022-04-01", HR)
    result = audit(Repo(str(g.top)), until=END, rules=["granter-authority"])
    assert [window(e) for e in result.exposures] == [("E000004", "P002", away, "people", back, "people", DI4)]
