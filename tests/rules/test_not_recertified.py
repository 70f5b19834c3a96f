"""not-recertified is in force only once the organisation has closed a campaign (docs/reviews.md): an open
campaign alone flags nothing, and after a close exactly the grants no closed campaign kept are flagged, at
their lines; a change cannot silence it by deleting or back-dating a closed campaign's record."""

from __future__ import annotations

from pathlib import Path

from tests.commands.test_review import BEN, EVE, _decide, _org
from tests.conftest import check_json, pairs, run_cli
from tests.git_helpers import commit_all, commit_change

ADA_FILE = "reviews/2026-Q2/E000001.yaml"  # Ben's manager: Ben's P001 (line 4) and P003 (line 9)
BEN_FILE = "reviews/2026-Q2/E000002.yaml"  # Eve's manager: Eve's P001 (line 4) and P003 (line 8)
HEAD_FILE = "reviews/2026-Q2/E000003.yaml"  # the head of distribution: Ben's P002 (line 13)
EVERY_GRANT = {(BEN, 4), (BEN, 9), (BEN, 13), (EVE, 4), (EVE, 8)}


def _flagged(root: Path, today: str, *extra: str) -> set[tuple[str, int]]:
    _, doc = check_json(root, "--today", today, *extra)
    return {(path, line) for _, path, line in pairs(doc, "not-recertified")}


def _open(root: Path, campaign: str = "2026-Q2", today: str = "2026-06-01", due: str = "2026-06-15") -> None:
    opened = run_cli("review", "open", "--campaign", campaign, "--due", due, "--root", str(root), "--today", today)
    assert opened.exit_code == 0, opened.output


def test_an_open_campaign_alone_flags_no_grant(tmp_path: Path) -> None:
    """Every grant here is years old; with the campaign open (answered or not), and even with the rule's
    periods configured, none is flagged: reviews have not started until a campaign is closed."""
    root = _org(tmp_path)
    assert _flagged(root, "2026-07-01") == set()  # no reviews at all
    _open(root)
    commit_all(root, "open campaign 2026-Q2")
    assert _flagged(root, "2026-07-01") == set()
    _decide(root, ADA_FILE, {("E000002", "P001"): ("keep", "billing desk")})
    (root / "policies" / "recertification.yaml").write_text(
        "---\nsettings:\n  not-recertified:\n    max_days: 30\n    sensitive_max_days: 10\n", encoding="utf-8")
    commit_all(root, "answers, and the periods set")
    assert _flagged(root, "2026-07-01") == set()


def test_after_a_close_exactly_the_grants_no_closed_campaign_kept_are_flagged(tmp_path: Path) -> None:
    root = _org(tmp_path)
    _open(root)
    _decide(root, ADA_FILE, {("E000002", "P001"): ("keep", "billing desk")})
    _decide(root, BEN_FILE, {("E000005", "P003"): ("keep", "payroll cover")})
    commit_all(root, "open and answer 2026-Q2")
    closed = run_cli("review", "close", "--campaign", "2026-Q2", "--root", str(root), "--today", "2026-07-02",
                     "--force")
    assert closed.exit_code == 0, closed.output
    commit_all(root, "close 2026-Q2")
    # kept: Ben's P001 (line 4), Eve's P003 (line 8); left pending: the other three, each at its grant line
    assert _flagged(root, "2026-07-03") == {(BEN, 9), (BEN, 13), (EVE, 4)}
    # a second campaign that keeps the rest counts only once it is closed
    _open(root, "2026-Q3", today="2026-07-03", due="2026-07-20")
    _decide(root, "reviews/2026-Q3/E000001.yaml", {("E000002", "P003"): ("keep", "HR project")})
    _decide(root, "reviews/2026-Q3/E000002.yaml", {("E000005", "P001"): ("keep", "billing desk")})
    _decide(root, "reviews/2026-Q3/E000003.yaml", {("E000002", "P002"): ("keep", "supply points")})
    commit_all(root, "open and answer 2026-Q3")
    assert _flagged(root, "2026-07-10") == {(BEN, 9), (BEN, 13), (EVE, 4)}
    assert run_cli("review", "close", "--campaign", "2026-Q3", "--root", str(root),
                   "--today", "2026-07-21", "--force").exit_code == 0
    assert _flagged(root, "2026-07-22") == set()
    # a year after the first close, its keeps have run out; the second campaign's still count
    assert _flagged(root, "2027-07-03") == {(BEN, 4), (EVE, 8)}
    assert _flagged(root, "2027-07-22") == EVERY_GRANT


def _closed_once(tmp_path: Path) -> tuple[Path, str]:
    root = _org(tmp_path)
    _open(root)
    _decide(root, ADA_FILE, {("E000002", "P001"): ("keep", "billing desk")})
    commit_all(root, "open and answer 2026-Q2")
    assert run_cli("review", "close", "--campaign", "2026-Q2", "--root", str(root), "--today", "2026-07-02",
                   "--force").exit_code == 0
    commit_all(root, "close 2026-Q2")
    return root, "reviews/2026-Q2/campaign.yaml"


def test_a_change_cannot_silence_the_rule_by_deleting_the_closed_campaign_s_record(tmp_path: Path) -> None:
    """The attack the decision opens: with the only closed campaign's record gone, the rule would be silent
    for every grant (no finding is new, so --base alone would pass it); review-change names the deletion."""
    root, record = _closed_once(tmp_path)
    assert _flagged(root, "2026-07-03") == {(BEN, 9), (BEN, 13), (EVE, 4), (EVE, 8)}
    (root / record).unlink()
    commit_change(root, "tidy the reviews folder")
    assert _flagged(root, "2026-07-03") == set()
    code, doc = check_json(root, "--base", "main", "--today", "2026-07-03")
    assert code == 1
    assert pairs(doc, "review-change") == {("review-change", record, 1)}


def test_a_change_cannot_move_a_closed_campaign_s_date(tmp_path: Path) -> None:
    """A later ``closed_on`` would recertify every kept grant for longer than anyone reviewed it."""
    root, record = _closed_once(tmp_path)
    text = (root / record).read_text("utf-8")
    line = text.split("\n").index("closed_on: 2026-07-02") + 1
    (root / record).write_text(text.replace("closed_on: 2026-07-02", "closed_on: 2027-06-30"), encoding="utf-8")
    commit_change(root, "re-date")
    assert (BEN, 4) not in _flagged(root, "2027-07-03")  # what the edit buys
    code, doc = check_json(root, "--base", "main", "--today", "2027-07-03")
    assert code == 1
    assert pairs(doc, "review-change") == {("review-change", record, line)}
