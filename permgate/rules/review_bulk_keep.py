"""review-bulk-keep: a reviewer kept every item of a long list with one identical reason."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, settings_of, who
from permgate.rules.reviews_common import review_walk

DEFAULT_MIN_ITEMS = 20


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    min_items = int(settings_of(ws, "review-bulk-keep").get("min_items", DEFAULT_MIN_ITEMS))
    for walked in review_walk(ws).walked:
        review = walked.review
        items = review.items
        if len(items) < min_items or len(walked.keep) != len(items):
            continue
        reasons = {i.reason for i in items}
        if len(reasons) == 1:
            loc = review.reviewer_loc
            yield Violation(
                loc.path, loc.line, loc.column,
                f"{who(ws, review.reviewer)} kept all {len(items)} items of campaign {review.campaign} with "
                f"the same reason {next(iter(reasons))!r}: a rubber stamp is not a review", review.reviewer)


RULE = Rule(
    id="review-bulk-keep",
    summary="A reviewer kept every item of a long list with one identical reason",
    default_severity="warning",
    scope="reviews",
    check=check,
    settings={"min_items": f"lists shorter than this are never flagged (default {DEFAULT_MIN_ITEMS})"},
    doc=RuleDoc(
        flags="A reviewer's file (`reviews/<campaign>/<reviewer>.yaml`) of at least `min_items` items "
              f"(`settings: review-bulk-keep: min_items`, default {DEFAULT_MIN_ITEMS}) in which every "
              "item is `keep` with the very same `reason`. The finding is at the file's `reviewer:` line.",
        why="The 2023 grants were registered by managers who ticked every item the screen offered. A review "
            "answered the same way is the same tick: it records a decision nobody made item by item.",
        fix="Review each item: revoke what is no longer needed, and give each kept grant its own reason "
            "(the work it serves, a ticket).",
        bad=Example(
            files={
                "policies/reviews.yaml": """\
---
settings:
  review-bulk-keep:
    min_items: 2
""",
                "reviews/2026-Q2/E000004.yaml": """\
---
campaign: 2026-Q2
due: 2026-06-30
opened_on: 2026-04-01
scope: all
reviewer: E000004
items:
  - employee: E000002
    permission: P001
    decision: keep
    reason: "ok"
  - employee: E000002
    permission: P003
    decision: keep
    reason: "ok"
"""},
            expect=(("reviews/2026-Q2/E000004.yaml", 6),),
        ),
        good=Example(files={
            "policies/reviews.yaml": """\
---
settings:
  review-bulk-keep:
    min_items: 2
""",
            "reviews/2026-Q2/E000004.yaml": """\
---
campaign: 2026-Q2
due: 2026-06-30
opened_on: 2026-04-01
scope: all
reviewer: E000004
items:
  - employee: E000002
    permission: P001
    decision: keep
    reason: "billing desk, ticket ACC-00101"
  - employee: E000002
    permission: P003
    decision: revoke
    reason: "left the HR project"
"""}),
    ),
)
