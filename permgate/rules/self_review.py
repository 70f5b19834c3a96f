"""self-review: a reviewer decides on their own grant, or on a grant they gave."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, what, who
from permgate.rules.reviews_common import review_walk


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    for walked in review_walk(ws).walked:
        review = walked.review
        for item in walked.decided():
            if review.reviewer == item.employee:
                why = "their own grant"
            elif review.reviewer == item.granted_by:
                why = "a grant they gave"
            else:
                continue
            yield Violation(
                review.path, item.decision_line, item.decision_column,
                f"{who(ws, review.reviewer)} decided `{item.decision}` on {why}: {what(ws, item.permission)} "
                f"held by {who(ws, item.employee)}, granted by {item.granted_by} on {item.granted_on}",
                item.employee, item.permission)


RULE = Rule(
    id="self-review",
    summary="A reviewer decided on their own grant, or on a grant they gave",
    default_severity="error",
    waivable=False,
    scope="reviews",
    check=check,
    doc=RuleDoc(
        flags="An item of an access review whose `decision` is `keep` or `revoke` in the file of a reviewer "
              "who is the grantee (`employee`) or the granter (`granted_by`) of the grant. A pending item "
              "is not flagged (nobody has decided yet).",
        why="A recertification is a second pair of eyes. The 2023 grants were registered by managers who "
            "ticked every item on the screen; the same managers confirming their own ticks recertify nothing.",
        fix="Move the item to another reviewer's file (the head of the owning division, or a delegate named "
            "in `settings: review: delegates`), or set `settings: review: delegates` and open the campaign "
            "again.",
        bad=Example(
            files={"reviews/2026-Q2/E000001.yaml": """\
---
campaign: 2026-Q2
due: 2026-06-30
opened_on: 2026-04-01
scope: all
reviewer: E000001
items:
  - employee: E000002
    permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    decision: keep
    reason: "still on the billing desk"
"""},
            expect=(("reviews/2026-Q2/E000001.yaml", 12),),
        ),
        good=Example(files={"reviews/2026-Q2/E000004.yaml": """\
---
campaign: 2026-Q2
due: 2026-06-30
opened_on: 2026-04-01
scope: all
reviewer: E000004
items:
  - employee: E000002
    permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    decision: keep
    reason: "still on the billing desk"
"""}),
    ),
)
