"""expiry-required: a sensitive permission granted without a near enough ``expires``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from permgate.dates import add_days
from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import (
    Context,
    Example,
    Rule,
    RuleDoc,
    date,
    grant_violation,
    grants_of_permissions,
    permission_related,
    settings_of,
    who,
)

DEFAULT_MAX_DAYS = 180


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    max_days = int(settings_of(ws, "expiry-required").get("max_days", DEFAULT_MAX_DAYS))
    sensitive = {pid: perm for pid, perm in ws.catalog.items() if perm.sensitive}
    dates: dict[str, dt.date] = {}  # grants share dates: parse each string once

    def parsed(text: str) -> dt.date:
        day = dates.get(text)
        if day is None:
            day = dates[text] = date(text)
        return day

    for g in grants_of_permissions(ws, sensitive):
        perm = sensitive[g.permission]
        # a grant dated in the future may be in force from the day it merges: counted from today,
        # so a far-future granted_on cannot stretch the allowed period (docs/security.md)
        start = parsed(g.granted_on)
        future = start > ctx.today
        latest = add_days(ctx.today if future else start, max_days)
        if g.expires is None:
            problem = "has no `expires`"
        elif parsed(g.expires) > latest:
            problem = f"expires {g.expires}, later than {latest.isoformat()}"
        else:
            continue
        since = "after today (granted_on is in the future)" if future else "after granted_on"
        yield grant_violation(
            g, f"{perm.label} is sensitive ({perm.loc}); the grant to {who(ws, g.employee)} on {g.granted_on} "
            f"{problem}: at most {max_days} days {since}",
            (permission_related(ws, perm, f"{perm.label} is marked sensitive"),))


RULE = Rule(
    id="expiry-required",
    summary="A sensitive permission is granted without an expiry within the allowed period",
    default_severity="error",
    check=check,
    settings={"max_days": f"longest a sensitive grant may run after `granted_on` (default {DEFAULT_MAX_DAYS})"},
    doc=RuleDoc(
        flags="A grant of a permission the catalog marks `sensitive: true` that has no `expires:`, or whose "
              "`expires:` is more than `max_days` (default 180) after its `granted_on:` (after today, for a grant "
              "dated in the future: it may be in force from the day it merges).",
        why="Access to non-public data should end when the task ends. Grants without an end date outlive "
            "the reason they were given: the 2023 holders kept a distribution permission for up to 20 months.",
        fix="Add `expires: YYYY-MM-DD` no later than `max_days` after `granted_on`; renew with a new "
            "approval when the work continues.",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P006
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "payroll complaint, ticket ACC-00110"
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 4),),
        ),
        good=Example(files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P006
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "payroll complaint, ticket ACC-00110"
    expires: 2026-03-31
"""}),
    ),
)
