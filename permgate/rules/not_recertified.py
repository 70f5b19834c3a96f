"""not-recertified: a grant no closed access review campaign has kept within ``max_days``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, grant_violation, settings_of, what, who
from permgate.rules.reviews_common import review_walk

DEFAULT_MAX_DAYS = 365
DEFAULT_SENSITIVE_MAX_DAYS = 90


def active(ws: Workspace) -> bool:
    """Recertification is in force once the organisation has closed a campaign (``campaign.yaml``, written by
    ``permgate review close``).  Before that, reviews have not started: no grant can have been recertified,
    and flagging every grant (2.17 million warnings at 100,000 employees on a first campaign merely *open*)
    would bury every other finding.  ``settings: not-recertified`` sets the periods; it does not start them."""
    return bool(ws.campaigns)


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    if not active(ws):
        return
    section = settings_of(ws, "not-recertified")
    max_days = int(section.get("max_days", DEFAULT_MAX_DAYS))
    sensitive_days = int(section.get("sensitive_max_days", DEFAULT_SENSITIVE_MAX_DAYS))
    since = (ctx.today - dt.timedelta(days=max_days)).isoformat()
    since_sensitive = (ctx.today - dt.timedelta(days=sensitive_days)).isoformat()
    sensitive = {pid for pid, p in ws.catalog.items() if p.sensitive}
    kept = review_walk(ws).last_kept
    for g in ws.iter_grants():
        cut = since_sensitive if g.permission in sensitive else since
        if g.granted_on >= cut:
            continue  # granted within the window: recent
        last = kept.get((g.employee, g.permission))
        if last is not None and last >= cut:
            continue
        days = sensitive_days if g.permission in sensitive else max_days
        when = f"last kept by a campaign closed on {last}" if last else "never kept by a closed campaign"
        yield grant_violation(
            g, f"{what(ws, g.permission)} held by {who(ws, g.employee)} since {g.granted_on} was not "
               f"recertified within {days} days ({when}; today is {ctx.today.isoformat()})")


RULE = Rule(
    id="not-recertified",
    summary="A grant no closed access review has kept within the recertification period",
    default_severity="warning",
    check=check,
    settings={
        "max_days": f"how long a keep decision (or a grant) counts (default {DEFAULT_MAX_DAYS})",
        "sensitive_max_days": "the same for `sensitive` permissions of the catalog "
                              f"(default {DEFAULT_SENSITIVE_MAX_DAYS})",
    },
    doc=RuleDoc(
        flags="A grant granted more than `max_days` ago (`settings: not-recertified: max_days`, default "
              f"{DEFAULT_MAX_DAYS}; `sensitive_max_days`, default {DEFAULT_SENSITIVE_MAX_DAYS}, for "
              "permissions the catalog marks `sensitive`) that no closed campaign (`reviews/<campaign>/"
              "campaign.yaml`, written by `permgate review close`) kept within that time: the campaign's "
              "`closed_on` is the day of the recertification. A grant granted within the window counts as "
              "recent. The rule is in force once the organisation has closed a campaign (a `reviews/<campaign>/"
              "campaign.yaml`); before that it is silent, whatever campaigns are open and whether or not "
              "`settings: not-recertified` is set: reviews have not started, so no grant can have been "
              "recertified yet, and flagging every grant would bury every other finding.",
        why="The 2023 grants stood for up to 20 months and were found by a staff report, not by any control. "
            "Periodic recertification is the control: every grant is confirmed by someone, or removed.",
        fix="Open a campaign (`permgate review open`), have the reviewers decide, and close it (`permgate "
            "review close`); or revoke the grant.",
        bad=Example(
            files={
                "assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2024-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
""",
                "reviews/2026-Q1/E000004.yaml": """\
---
campaign: 2026-Q1
due: 2026-03-31
opened_on: 2026-01-10
scope: all
reviewer: E000004
items:
  - employee: E000002
    permission: P001
    decision: pending
    reason: ""
""",
                "reviews/2026-Q1/campaign.yaml": """\
---
campaign: 2026-Q1
closed_on: 2026-04-02
kept: 0
revoked: 0
pending: 1
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 4),),
        ),
        good=Example(files={
            "assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2024-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
""",
            "reviews/2026-Q1/E000004.yaml": """\
---
campaign: 2026-Q1
due: 2026-03-31
opened_on: 2026-01-10
scope: all
reviewer: E000004
items:
  - employee: E000002
    permission: P001
    decision: keep
    reason: "billing desk, ticket ACC-00101"
""",
            "reviews/2026-Q1/campaign.yaml": """\
---
campaign: 2026-Q1
closed_on: 2026-04-02
kept: 1
revoked: 0
pending: 0
"""}),
    ),
)
