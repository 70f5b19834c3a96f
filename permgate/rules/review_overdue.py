"""review-overdue: an access review decision still pending after the campaign's ``due`` date."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, what, who
from permgate.rules.reviews_common import review_walk


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    today = ctx.today.isoformat()
    for walked in review_walk(ws).walked:
        review = walked.review
        if walked.closed_on is not None or review.due >= today:
            continue
        for item in walked.pending:
            yield Violation(
                review.path, item.decision_line, item.decision_column,
                f"{who(ws, review.reviewer)} has not decided on {what(ws, item.permission)} held by "
                f"{who(ws, item.employee)}: campaign {review.campaign} was due on {review.due} "
                f"(today is {today})", item.employee, item.permission)


RULE = Rule(
    id="review-overdue",
    summary="An access review decision is still pending after the campaign's due date",
    default_severity="error",
    scope="reviews",
    check=check,
    doc=RuleDoc(
        flags="An item of an open access review campaign (`reviews/<campaign>/<reviewer>.yaml`) whose "
              "`decision` is still `pending` after the campaign's `due` date (`--today`). An item due "
              "today is not overdue; a closed campaign (`permgate review close`) is not judged.",
        why="A recertification nobody answers is no control: the grants of the 2023 incident stood for up "
            "to 20 months. An overdue review must be visible on every check until it is answered.",
        fix="The reviewer sets `decision: keep` or `decision: revoke` with a `reason`, and commits; or the "
            "compliance officer closes the campaign with `permgate review close --force`, which lists the "
            "pending items.",
        bad=Example(
            files={"reviews/2026-Q2/E000001.yaml": """\
---
campaign: 2026-Q2
due: 2026-05-15
opened_on: 2026-04-01
scope: all
reviewer: E000001
items:
  - employee: E000002
    permission: P001
    decision: pending
    reason: ""
"""},
            expect=(("reviews/2026-Q2/E000001.yaml", 10),),
        ),
        good=Example(files={"reviews/2026-Q2/E000001.yaml": """\
---
campaign: 2026-Q2
due: 2026-05-15
opened_on: 2026-04-01
scope: all
reviewer: E000001
items:
  - employee: E000002
    permission: P001
    decision: keep
    reason: "still on the billing desk"
"""}),
    ),
)
