"""The fast path for reviewer files (``load.canonical.review_file``) builds exactly what the full loader
(YAML events + the review schema, ``load_reviews(..., canonical=False)``) builds, or declines.

Compared on a campaign ``review open`` wrote on a generated organisation and then answered in the ways a
reviewer answers, and on mutated copies of a reviewer's file (each mutation read both ways).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from permgate.config import Config, load_config
from permgate.load.canonical import review_file
from permgate.load.reviews import load_reviews
from permgate.load.source import FsSource
from tests.conftest import gen_org, run_cli


def _both(source: FsSource, config: Config) -> tuple[int, int]:
    """Both ways read the same; the number of reviewer files read and of problems."""
    fast = load_reviews(source, config)
    assert fast == load_reviews(source, config, canonical=False)
    return len(fast[0]), len(fast[2])


def _answer(path: Path, how: list[str]) -> None:
    """Answer the items of ``path`` in turn with each way of ``how``."""
    lines = path.read_text("utf-8").split("\n")
    n = 0
    for i, line in enumerate(lines):
        if line == "    decision: pending":
            way = how[n % len(how)]
            n += 1
            if way == "keep":
                lines[i], lines[i + 1] = "    decision: keep", '    reason: "still on the billing desk"'
            elif way == "revoke-unicode":
                reason = json.dumps("異動済み", ensure_ascii=False)
                lines[i], lines[i + 1] = "    decision: revoke", f"    reason: {reason}"
            elif way == "plain-reason":  # a plain scalar: the fast path declines, the full loader reads it
                lines[i], lines[i + 1] = "    decision: keep", "    reason: billing desk"
            elif way == "escaped":  # an escape: the fast path declines
                lines[i], lines[i + 1] = "    decision: keep", '    reason: "tab\\there"'
    path.write_text("\n".join(lines), encoding="utf-8")


def test_a_campaign_as_written_and_answered_reads_the_same(tmp_path: Path) -> None:
    root = tmp_path / "org"
    gen_org(root, 300, 3, violations=20)
    opened = run_cli("review", "open", "--campaign", "2026-Q2", "--due", "2026-06-30", "--root", str(root),
                     "--today", "2026-06-01")
    assert opened.exit_code == 0, opened.output
    folder = root / "reviews" / "2026-Q2"
    files = sorted(folder.iterdir())
    assert len(files) > 10
    _answer(files[0], ["keep", "revoke-unicode"])
    _answer(files[1], ["keep", "plain-reason"])
    _answer(files[2], ["escaped"])
    (folder / files[3].name.replace(".yaml", "-copy.yaml")).write_bytes(files[3].read_bytes())  # wrong reviewer
    config = load_config(str(root))
    taken = [p.name for p in sorted(folder.iterdir())
             if review_file(p.read_text("utf-8"), f"reviews/2026-Q2/{p.name}", "2026-Q2", p.stem) is not None]
    declined = {p.name for p in folder.iterdir()} - set(taken)
    assert files[0].name in taken and len(taken) > 10
    assert declined == {files[1].name, files[2].name, files[3].name.replace(".yaml", "-copy.yaml")}
    _both(FsSource(str(root)), config)
    reviews, _, problems = load_reviews(FsSource(str(root)), config)
    assert [p.path for p in problems] == [f"reviews/2026-Q2/{files[3].name.replace('.yaml', '-copy.yaml')}"]
    decisions = {i.decision for r in reviews for i in r.items}
    assert decisions == {"keep", "revoke", "pending"}


SMALL = """\
---
# access review c1: set each decision to keep or revoke, with a reason (docs/reviews.md)
campaign: "c1"
due: 2026-06-30
opened_on: 2026-06-01
scope: "all"
reviewer: "E000001"
items:
  - employee: "E000002"
    permission: "P001"
    file: "assignments/retail-sales/E000002.yaml"
    line: 4
    granted_by: "E000001"
    granted_on: 2026-01-05
    findings: []
    decision: pending
    reason: ""
  - employee: "E000002"
    permission: "P002"
    file: "assignments/retail-sales/E000002.yaml"
    line: 8
    granted_by: "E000001"
    granted_on: 2024-03-01
    findings: ["distribution-to-retail-sales", "granter-authority"]
    decision: keep
    reason: "needed, ticket ACC-1"
"""
ALPHABET = ['"', "\\", "\n", " ", "-", ":", "#", "[", "]", ",", "0", "9", "a", "\t", "\r", "é", "\u2028", "'", "x"]


def test_mutated_reviewer_files_are_declined_or_read_the_same(tmp_path: Path) -> None:
    rnd = random.Random(1516)
    config = Config()
    rel = "reviews/c1/E000001.yaml"
    (tmp_path / "reviews" / "c1").mkdir(parents=True)
    assert review_file(SMALL, rel, "c1", "E000001") is not None
    taken = 0
    read = [0, 0]
    for _ in range(800):
        text = SMALL
        for _ in range(rnd.choice([1, 1, 2, 3])):
            i = rnd.randrange(len(text))
            what = rnd.random()
            if what < 0.4:
                text = text[:i] + rnd.choice(ALPHABET) + text[i + 1:]
            elif what < 0.7:
                text = text[:i] + rnd.choice(ALPHABET) + text[i:]
            elif what < 0.85:
                text = text[:i] + text[i + 1:]
            else:  # a whole line doubled or dropped
                lines = text.split("\n")
                j = rnd.randrange(len(lines))
                lines[j:j + 1] = [lines[j]] * rnd.choice([0, 2])
                text = "\n".join(lines)
        taken += review_file(text, rel, "c1", "E000001") is not None
        (tmp_path / rel).write_bytes(text.encode("utf-8"))
        files, problems = _both(FsSource(str(tmp_path)), config)
        read[0] += files
        read[1] += problems
    assert taken > 50  # some mutations keep the layout (a changed id, date or reason): both read them
    assert read[0] > taken and read[1] > 500  # and the full loader read others, or found them invalid
