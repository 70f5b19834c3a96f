"""``permgate review open|close|status`` end to end, in a real git repository."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from permgate.commands import review
from permgate.config import load_config
from permgate.engine import chunked
from permgate.load import bulk
from permgate.load.workspace import load_workspace
from permgate.model import Grant
from permgate.rules.examples import build
from tests import anomaly_org
from tests.conftest import check_json, gen_org, pairs, run_cli
from tests.git_helpers import commit_all, git, init_repo

BEN = "assignments/retail-sales/E000002.yaml"
EVE = "assignments/retail-sales/E000005.yaml"
BEN_TOP = "---\nemployee: E000002\ngrants:\n"
BEN_P001 = ('  - permission: P001\n    granted_by: E000001\n    granted_on: 2020-01-06\n'
            '    reason: "billing desk, ticket ACC-00001"\n')  # line 4
BEN_P003 = ('  # HR project\n  - permission: P003\n    granted_by: E000004\n    granted_on: 2024-02-01\n'
            '    reason: "HR project, ticket HR-00002"\n')  # line 9
BEN_P002 = ('  - permission: P002\n    granted_by: E000001\n    granted_on: 2024-03-01\n'
            '    reason: "supply points, ticket ACC-00003"\n')  # line 13: a distribution permission
EVE_TEXT = ("---\nemployee: E000005\ngrants:\n"
            '  - permission: P001\n    granted_by: E000002\n    granted_on: 2020-05-01\n'
            '    reason: "billing desk, ticket ACC-00010"\n'
            '  - permission: P003\n    granted_by: E000002\n    granted_on: 2021-01-01\n'
            '    reason: "payroll cover, ticket ACC-00011"\n')  # lines 4 and 8
PEOPLE = build({})["people.yaml"] + "- id: E000005\n  name: Eve Evans\n  division: retail-sales\n  manager: E000002\n"


def _org(tmp_path: Path) -> Path:
    root = tmp_path / "org"
    files = build({BEN: BEN_TOP + BEN_P001 + BEN_P003 + BEN_P002, EVE: EVE_TEXT, "people.yaml": PEOPLE})
    init_repo(root, files)
    return root


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def _decide(root: Path, rel: str, decisions: dict[tuple[str, str], tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Set the decisions of ``rel`` (by (employee, permission)); returns each item's decision line."""
    lines = (root / rel).read_text("utf-8").split("\n")
    key: list[str] = []
    where: dict[tuple[str, str], int] = {}
    for i, line in enumerate(lines):
        if line.startswith("  - employee: "):
            key = [json.loads(line.split(": ", 1)[1])]
        elif line.startswith("    permission: "):
            key.append(json.loads(line.split(": ", 1)[1]))
        elif line.startswith("    decision: "):
            k = (key[0], key[1])
            where[k] = i + 1
            if k in decisions:
                lines[i] = f"    decision: {decisions[k][0]}"
                lines[i + 1] = f"    reason: {json.dumps(decisions[k][1])}"
    (root / rel).write_text("\n".join(lines), encoding="utf-8")
    return where


def test_a_campaign_opened_answered_checked_and_closed(tmp_path: Path) -> None:
    root = _org(tmp_path)
    before = _tree(root)
    opened = run_cli("review", "open", "--campaign", "2026-Q2", "--due", "2026-06-15", "--root", str(root),
                     "--today", "2026-06-01")
    assert opened.exit_code == 0, opened.output
    reviews = sorted(p.name for p in (root / "reviews" / "2026-Q2").iterdir())
    # E000001 (Ben's manager) reviews Ben's P001 and P003; the head of distribution (a forbidden-owner
    # division) reviews P002; Ben reviews his report Eve's grants (which he gave)
    assert reviews == ["E000001.yaml", "E000002.yaml", "E000003.yaml"]
    head = (root / "reviews/2026-Q2/E000003.yaml").read_text("utf-8")
    assert f'file: "{BEN}"\n    line: 13\n    granted_by: "E000001"\n    granted_on: 2024-03-01\n' \
           '    findings: ["distribution-to-retail-sales", "granter-authority"]\n' \
           '    decision: pending\n    reason: ""\n' in head
    assert 'reviewer: "E000003"' in head and "due: 2026-06-15" in head and "opened_on: 2026-06-01" in head
    assert _tree(root) == before | {k: v for k, v in _tree(root).items() if k.startswith("reviews/")}
    commit_all(root, "open campaign 2026-Q2")

    ada = _decide(root, "reviews/2026-Q2/E000001.yaml", {("E000002", "P001"): ("keep", "billing desk"),
                                                   ("E000002", "P003"): ("revoke", "HR project over")})
    _decide(root, "reviews/2026-Q2/E000003.yaml", {("E000002", "P002"): ("revoke", "not for retail")})
    ben = _decide(root, "reviews/2026-Q2/E000002.yaml", {("E000005", "P001"): ("keep", "still on the desk")})
    commit_all(root, "answers")

    _, doc = check_json(root, "--today", "2026-07-01")
    review_file = "reviews/2026-Q2/E000002.yaml"
    assert pairs(doc, "review-overdue") == {("review-overdue", review_file, ben[("E000005", "P003")])}
    # the managers decided on grants they gave themselves: Ada on Ben's P001, Ben on Eve's P001
    assert pairs(doc, "self-review") == {("self-review", review_file, ben[("E000005", "P001")]),
                                         ("self-review", "reviews/2026-Q2/E000001.yaml", ada[("E000002", "P001")])}
    # not-recertified waits for a closed campaign: with this one only open, no grant is flagged (every one
    # of them is older than a year)
    assert pairs(doc, "not-recertified") == set()

    refused = run_cli("review", "close", "--campaign", "2026-Q2", "--root", str(root), "--today", "2026-07-02")
    assert refused.exit_code == 2 and "1 decisions are pending" in refused.output
    assert f"{review_file}:{ben[('E000005', 'P003')]}: pending: P003 held by E000005" in refused.output
    answered = _tree(root)
    dry = run_cli("review", "close", "--campaign", "2026-Q2", "--root", str(root), "--today", "2026-07-02",
                  "--force", "--dry-run")
    assert dry.exit_code == 0 and _tree(root) == answered

    closed = run_cli("review", "close", "--campaign", "2026-Q2", "--root", str(root), "--today", "2026-07-02",
                     "--force")
    assert closed.exit_code == 0, closed.output
    after = _tree(root)
    # exactly the two revoke decisions are gone, every other byte of the grants files as it was
    assert after[BEN] == (BEN_TOP + BEN_P001).encode()
    assert after[EVE] == EVE_TEXT.encode()
    assert after["reviews/2026-Q2/campaign.yaml"] == (
        b'---\n# written by permgate review close\ncampaign: "2026-Q2"\nclosed_on: 2026-07-02\n'
        b"kept: 2\nrevoked: 2\npending: 1\n")
    assert {k for k in after if after[k] != answered.get(k)} == {BEN, "reviews/2026-Q2/campaign.yaml"}
    commit_all(root, "close 2026-Q2")

    again = run_cli("review", "close", "--campaign", "2026-Q2", "--root", str(root), "--today", "2026-07-09",
                    "--force")
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert _tree(root) == after
    assert git(root, "status", "--porcelain") == ""

    # now in force: exactly the grants no closed campaign kept (the pending one, Eve's P003), at their lines
    _, doc = check_json(root, "--today", "2026-07-03")
    assert pairs(doc, "not-recertified") == {("not-recertified", EVE, 8)}
    # a closed campaign's pending items are no longer overdue
    assert pairs(doc, "review-overdue") == set()


def test_an_empty_scope_writes_nothing(tmp_path: Path) -> None:
    root = _org(tmp_path)
    result = run_cli("review", "open", "--campaign", "c1", "--due", "2026-06-15", "--scope", "permission:P006",
                     "--root", str(root), "--today", "2026-06-01")
    assert result.exit_code == 0 and "nothing written" in result.output
    assert not (root / "reviews").exists()


def test_scopes_choose_the_grants(tmp_path: Path) -> None:
    root = _org(tmp_path)
    result = run_cli("review", "open", "--campaign", "c1", "--due", "2026-06-15", "--scope",
                     "rule:distribution-to-retail-sales", "--root", str(root), "--today", "2026-06-01")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (root / "reviews" / "c1").iterdir()) == ["E000003.yaml"]
    again = run_cli("review", "open", "--campaign", "c1", "--due", "2026-06-15", "--root", str(root),
                    "--today", "2026-06-01")
    assert again.exit_code == 2 and "exists already" in again.output


def test_delegates_review_in_place_of_the_reviewer(tmp_path: Path) -> None:
    root = _org(tmp_path)
    (root / "policies" / "reviews.yaml").write_text(
        "---\nsettings:\n  review:\n    delegates:\n      E000001: E000004\n", encoding="utf-8")
    result = run_cli("review", "open", "--campaign", "c1", "--due", "2026-06-15", "--root", str(root),
                     "--today", "2026-06-01")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (root / "reviews" / "c1").iterdir()) == ["E000002.yaml", "E000003.yaml",
                                                                         "E000004.yaml"]


def test_a_bad_review_file_is_invalid_review_at_its_line(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"reviews/c1/E000001.yaml": "---\ncampaign: c1\ndue: 2026-06-30\nopened_on: 2026-06-01\n"
                      "scope: all\nreviewer: E000009\nitems: []\n", "reviews/loose.yaml": "---\na: 1\n"})
    _, doc = check_json(root, "--today", "2026-06-02")
    assert pairs(doc, "invalid-review") == {("invalid-review", "reviews/c1/E000001.yaml", 6),
                                            ("invalid-review", "reviews/loose.yaml", 1)}
    closing = run_cli("review", "close", "--campaign", "c1", "--root", str(root))
    assert closing.exit_code == 2 and "reviews/c1/E000001.yaml:6" in closing.output


def test_status_counts_per_reviewer_and_division(tmp_path: Path) -> None:
    root = _org(tmp_path)
    run_cli("review", "open", "--campaign", "c1", "--due", "2026-06-15", "--root", str(root), "--today", "2026-06-01")
    _decide(root, "reviews/c1/E000001.yaml", {("E000002", "P001"): ("keep", "billing desk")})
    result = run_cli("review", "status", "--root", str(root), "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert [(r["reviewer"], r["items"], r["keep"], r["pending"]) for r in doc["reviewers"]] == [
        ("E000001", 2, 1, 1), ("E000002", 2, 0, 2), ("E000003", 1, 0, 1)]
    assert [(d["division"], d["items"], d["keep"]) for d in doc["divisions"]] == [("retail-sales", 5, 1)]


def test_a_change_may_answer_a_review_but_not_rewrite_its_lists(tmp_path: Path) -> None:
    """review-change (--base): decisions and reasons are the reviewer's; the lists are review open's."""
    from tests.git_helpers import commit_change

    root = _org(tmp_path)
    assert run_cli("review", "open", "--campaign", "2026-Q2", "--due", "2026-06-15", "--root", str(root),
                   "--today", "2026-06-01").exit_code == 0
    commit_all(root, "open campaign 2026-Q2")
    ada = "reviews/2026-Q2/E000001.yaml"
    head = "reviews/2026-Q2/E000003.yaml"
    # answering is what a review is for
    _decide(root, ada, {("E000002", "P001"): ("keep", "billing desk")})
    commit_change(root, "Ada answers")
    code, doc = check_json(root, "--base", "main", "--today", "2026-06-02")
    assert pairs(doc, "review-change") == set()
    # dropping the distribution grant from its reviewer's list, and rewriting an item of Ada's
    text = (root / head).read_text("utf-8")
    reviewer_line = text.split("\n").index('reviewer: "E000003"') + 1
    (root / head).write_text(text[:text.index("items:")] + "items: []\n", encoding="utf-8")
    lines = (root / ada).read_text("utf-8").split("\n")
    granted = next(i for i, line in enumerate(lines) if line.startswith("    granted_on: "))
    item = max(i for i in range(granted) if lines[i].startswith("  - employee: ")) + 1
    lines[granted] = "    granted_on: 2026-05-31"
    (root / ada).write_text("\n".join(lines), encoding="utf-8")
    commit_all(root, "tidy the review")
    code, doc = check_json(root, "--base", "main", "--today", "2026-06-02")
    assert code == 1
    assert pairs(doc, "review-change") == {("review-change", head, reviewer_line), ("review-change", ada, item)}
    # a reviewer file added to the open campaign
    (root / "reviews/2026-Q2/E000004.yaml").write_text(
        (root / ada).read_text("utf-8").replace('reviewer: "E000001"', 'reviewer: "E000004"'), encoding="utf-8")
    commit_all(root, "a friendlier reviewer")
    code, doc = check_json(root, "--base", "main", "--today", "2026-06-02")
    assert ("review-change", "reviews/2026-Q2/E000004.yaml", reviewer_line) in pairs(doc, "review-change")


def test_a_change_cannot_close_a_campaign_by_hand_and_delete_its_lists(tmp_path: Path) -> None:
    """A hand-written campaign record in the change that deletes a reviewer file does not excuse the deletion:
    the list's overdue items would vanish unreviewed."""
    from tests.git_helpers import commit_change

    root = _org(tmp_path)
    assert run_cli("review", "open", "--campaign", "2026-Q2", "--due", "2026-06-15", "--root", str(root),
                   "--today", "2026-06-01").exit_code == 0
    commit_all(root, "open campaign 2026-Q2")
    head = "reviews/2026-Q2/E000003.yaml"
    (root / head).unlink()
    (root / "reviews/2026-Q2/campaign.yaml").write_text(
        '---\ncampaign: "2026-Q2"\nclosed_on: 2026-06-20\nkept: 0\nrevoked: 0\npending: 0\n', encoding="utf-8")
    commit_change(root, "close by hand")
    code, doc = check_json(root, "--base", "main", "--today", "2026-06-21")
    assert code == 1
    assert ("review-change", head, 1) in pairs(doc, "review-change")


def test_the_owning_head_reviews_only_grants_across_the_boundary(tmp_path: Path) -> None:
    """docs/reviews.md "Who reviews what": a distribution permission held by a retail-sales employee (the
    forbidden-owner boundary) goes to the head of distribution; held inside distribution, or by a
    division the rule does not forbid it to, it goes to the grantee's manager like any other grant."""
    root = tmp_path / "org"
    people = PEOPLE + ("- id: E000006\n  name: Fay Fox\n  division: distribution\n  manager: E000003\n"
                       "- id: E000007\n  name: Gus Gray\n  division: distribution\n  manager: E000006\n"
                       "- id: E000008\n  name: Hal Hill\n  division: corporate\n  manager: E000004\n")
    p002 = ('  - permission: P002\n    granted_by: E000003\n    granted_on: 2024-03-01\n'
            '    reason: "supply points, ticket ACC-00004"\n')
    init_repo(root, build({BEN: BEN_TOP + BEN_P002, "people.yaml": people,
                           "assignments/distribution/E000007.yaml": "---\nemployee: E000007\ngrants:\n" + p002,
                           "assignments/corporate/E000008.yaml": "---\nemployee: E000008\ngrants:\n" + p002}))
    opened = run_cli("review", "open", "--campaign", "c1", "--due", "2026-06-15", "--root", str(root),
                     "--today", "2026-06-01")
    assert opened.exit_code == 0, opened.output
    lists = {p.stem: [json.loads(line.split(": ", 1)[1]) for line in p.read_text("utf-8").split("\n")
                      if line.startswith("  - employee: ")] for p in (root / "reviews" / "c1").iterdir()}
    assert lists == {"E000003": ["E000002"], "E000006": ["E000007"], "E000004": ["E000008"]}


def _render_oracle(campaign: str, due: str, opened_on: str, scope: str, reviewer: str, grants: list[Grant],
                   flagged: Mapping[tuple[str, int], list[str]]) -> str:
    """``render_review`` as it was, a list of nine lines per item (the fast one writes one string per item)."""
    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    out = ["---",
           f"# access review {campaign}: set each decision to keep or revoke, with a reason (docs/reviews.md)",
           f"campaign: {q(campaign)}", f"due: {due}", f"opened_on: {opened_on}", f"scope: {q(scope)}",
           f"reviewer: {q(reviewer)}", "items:"]
    for g in grants:
        rules = ", ".join(q(r) for r in flagged.get((g.path, g.line), ()))
        out += [f"  - employee: {q(g.employee)}", f"    permission: {q(g.permission)}",
                f"    file: {q(g.path)}", f"    line: {g.line}", f"    granted_by: {q(g.granted_by)}",
                f"    granted_on: {g.granted_on}", f"    findings: [{rules}]",
                "    decision: pending", '    reason: ""']
    return "\n".join(out) + "\n"


def test_review_lists_are_rendered_and_assigned_as_the_plain_way_does(tmp_path: Path) -> None:
    """The one-string-per-item rendering against the line-per-field one, and the reviewers memoised per
    (grantee, owning division) against ``reviewer_of`` asked grant by grant, on a generated organisation."""
    root = tmp_path / "org"
    gen_org(root, 300, 5, violations=20)
    config = load_config(str(root))
    ws = load_workspace(str(root), config)
    grants, flagged = review._in_scope(ws, "all", config, dt.date(2026, 6, 1))
    assert any(flagged.values())
    assert review.render_review("c1", "2026-06-30", "2026-06-01", "all", "E000001", grants, flagged) == \
        _render_oracle("c1", "2026-06-30", "2026-06-01", "all", "E000001", grants, flagged)
    run_cli("review", "open", "--campaign", "c1", "--due", "2026-06-30", "--root", str(root), "--today",
            "2026-06-01")
    heads, protected = review.division_heads(ws), review.boundaries(ws)
    expected: dict[str, list[tuple[str, str]]] = {}
    for g in sorted(grants, key=lambda g: (g.path, g.line)):
        reviewer = review.reviewer_of(ws, g, protected, heads, {}) or review.UNASSIGNED
        expected.setdefault(reviewer, []).append((g.employee, g.permission))
    written: dict[str, list[tuple[str, str]]] = {}
    for p in (root / "reviews" / "c1").iterdir():
        lines = p.read_text("utf-8").split("\n")
        written[p.stem] = [(json.loads(a.split(": ", 1)[1]), json.loads(b.split(": ", 1)[1]))
                           for a, b in itertools.pairwise(lines) if a.startswith("  - employee: ")]
    assert written == expected and len(written) > 10


def _open_both_ways(org: Path, tmp_path: Path, scope: str, monkeypatch: pytest.MonkeyPatch,
                    chunk_files: int | None) -> tuple[bool, tuple[str, dict[str, bytes]], tuple[str, dict[str, bytes]]]:
    """``review open`` of a copy of ``org`` in chunks and the plain way: whether the chunks were taken (not
    declined), and each way's output and files."""
    taken: list[bool] = []
    real = chunked.per_chunk

    def spy(*args: Any, **kwargs: Any) -> Any:
        value = real(*args, **kwargs)
        taken.append(value is not None)
        return value

    monkeypatch.setattr(chunked, "per_chunk", spy)
    monkeypatch.setattr(review, "CHUNK_FILES", chunk_files)
    out = []
    for way in (True, False):
        root = tmp_path / f"{'chunks' if way else 'plain'}-{scope.replace(':', '-')}-{chunk_files}"
        shutil.copytree(org, root)
        monkeypatch.setattr(review, "CHUNKED", way)
        result = run_cli("review", "open", "--campaign", "c1", "--due", "2026-06-30", "--scope", scope,
                         "--root", str(root), "--today", "2026-06-01")
        assert result.exit_code == 0, result.output
        out.append((result.output.replace(str(root), "ROOT"),
                    {k: v for k, v in _tree(root).items() if k.startswith("reviews/")}))
    return taken == [True], out[0], out[1]


@pytest.mark.parametrize("scope", ["all", "sensitive", "division:retail-sales", "permission:P002",
                                   "rule:distribution-to-retail-sales", "rule:missing-justification"])
def test_review_open_in_chunks_equals_the_plain_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    scope: str) -> None:
    """The fast path (``engine.chunked.per_chunk``: items built and rendered in the workers, per chunk of
    grants files) writes the very bytes of the plain way (the whole workspace, ``evaluate``) and says the
    same, on a generated organisation with planted violations, in chunks of 7 files over two workers."""
    org = tmp_path / "org"
    gen_org(org, 300, 5, violations=20)
    monkeypatch.setattr(bulk, "PARALLEL_MIN_FILES", 0)
    taken, chunks, plain = _open_both_ways(org, tmp_path, scope, monkeypatch, 7)
    assert taken
    assert chunks == plain
    assert plain[1] or scope in ("sensitive", "permission:P002")  # the reference catalog marks none sensitive


def test_review_open_in_chunks_on_the_anomaly_organisation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Roles (several grants at one line), second and misplaced files, broken files, rules turned off: the
    chunks give the plain bytes when they are taken (one chunk), and decline (the plain way runs) when an
    employee's files fall in two chunks, or when a waiver register must decide which findings count."""
    org = tmp_path / "org"
    anomaly_org.build(org, employees=60)
    (org / "permgate.yaml").write_text("rules:\n  missing-justification: off\n", encoding="utf-8")
    waivers = (org / "policies" / "waivers.yaml").read_bytes()
    (org / "policies" / "waivers.yaml").unlink()
    taken, chunks, plain = _open_both_ways(org, tmp_path, "all", monkeypatch, 10_000)
    assert taken and chunks == plain
    assert any(b'"E' in v and b"role" not in v for v in plain[1].values())
    taken, chunks, plain = _open_both_ways(org, tmp_path, "all", monkeypatch, 5)
    assert not taken and chunks == plain  # a's second file is in another folder: split across chunks
    (org / "policies" / "waivers.yaml").write_bytes(waivers)
    taken, chunks, plain = _open_both_ways(org, tmp_path / "w", "all", monkeypatch, 10_000)
    assert not taken and chunks == plain
