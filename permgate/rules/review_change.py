"""review-change: a change edits an open access review beyond its decisions (``--base`` mode only).

A reviewer answers a campaign in a pull request by editing ``decision`` and ``reason`` of the items
in their file.  Everything else in a reviewer file (the header, which grants are listed, and what
each item says about its grant) is what ``permgate review open`` wrote: a change that alters it
could drop an unwelcome grant from the review, or move it to a friendlier reviewer, and the review
would still look complete.  The record of a closed campaign (``campaign.yaml``) is not edited or
deleted either: its date is when the campaign's ``keep`` decisions count from.  Opening a campaign
(every file of a campaign the base does not have) is not flagged; ``policy-change`` and CODEOWNERS
on ``reviews/`` govern who may do that.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import ReviewFile, ReviewItem, Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc

_HEADER = ("campaign", "due", "opened_on", "scope", "reviewer")
#: what ``permgate review close`` wrote in a campaign's record (``campaign.yaml``)
_RECORD = ("closed_on", "kept", "revoked", "pending")


def _listed(item: ReviewItem) -> tuple[str, ...]:
    """What ``review open`` wrote about the grant (the reviewer may change only decision and reason)."""
    return (item.employee, item.permission, item.granted_by, item.granted_on, item.file)


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    if ctx.change is None or ctx.base is None:
        return
    ref = ctx.change.base_ref
    before: dict[str, ReviewFile] = {r.path: r for r in ctx.base.reviews}
    open_at_base = {r.campaign for r in ctx.base.reviews}
    closed_at_base = {c.campaign for c in ctx.base.campaigns}
    for review in ws.reviews:
        old = before.pop(review.path, None)
        if old is None:
            if review.campaign in open_at_base or review.campaign in closed_at_base:
                yield Violation(review.path, review.reviewer_loc.line, review.reviewer_loc.column,
                                f"the change adds a reviewer file to campaign `{review.campaign}`, which is "
                                f"open at {ref}: its lists are what `permgate review open` wrote; open a new "
                                "campaign instead")
            continue
        header = [f for f in _HEADER if getattr(review, f) != getattr(old, f)]
        if header:
            yield Violation(review.path, review.reviewer_loc.line, review.reviewer_loc.column,
                            f"the change edits {', '.join(f'`{f}`' for f in header)} of this review "
                            f"(only `decision` and `reason` may change after {ref})")
        was = Counter(_listed(i) for i in old.items)
        added = []
        for item in review.items:  # items the base does not list (the order is free)
            if was[_listed(item)] > 0:
                was[_listed(item)] -= 1
            else:
                added.append(item)
        removed = []
        for gone in old.items:
            if was[_listed(gone)] > 0:
                was[_listed(gone)] -= 1
                removed.append(gone)
        # one finding per edit: an item rewritten in place is one removal and one addition, said once
        for n, item in enumerate(added):
            instead = f" in place of {removed[n].employee} / {removed[n].permission} granted by " \
                      f"{removed[n].granted_by} on {removed[n].granted_on}" if n < len(removed) else ""
            yield Violation(review.path, item.line, item.column,
                            f"the change {'rewrites' if instead else 'adds'} this item ({item.employee} / "
                            f"{item.permission}, granted by {item.granted_by} on {item.granted_on}{instead}): only "
                            f"`decision` and `reason` of an item may change after {ref}", item.employee,
                            item.permission)
        for gone in removed[len(added):]:
            yield Violation(review.path, review.reviewer_loc.line, review.reviewer_loc.column,
                            f"the change removes the item for {gone.employee} / {gone.permission} (granted by "
                            f"{gone.granted_by} on {gone.granted_on}, at {ref}: {old.path}:{gone.line}) from this "
                            "review: a grant under review cannot leave the list", gone.employee, gone.permission)
    # the record of a campaign closed at the base is the evidence of the recertification: its ``closed_on``
    # is the day every ``keep`` of the campaign counts from, and a closed campaign is what puts
    # not-recertified in force; moving the date, or deleting the record (the campaign open again, the rule
    # silent when it was the only one), would recertify or unflag grants nobody reviewed
    records = {c.campaign: c for c in ws.campaigns}
    for old_record in ctx.base.campaigns:
        record = records.get(old_record.campaign)
        if record is None:
            yield Violation(old_record.path, 1, 1, f"the change deletes the record of campaign "
                            f"`{old_record.campaign}`, closed on {old_record.closed_on} at {ref}: a closed "
                            "campaign's record is the evidence of its recertification")
            continue
        fields = [f for f in _RECORD if getattr(record, f) != getattr(old_record, f)]
        if fields:
            yield Violation(record.path, record.loc.line, record.loc.column,
                            f"the change edits {', '.join(f'`{f}`' for f in fields)} of the record of campaign "
                            f"`{record.campaign}`, closed at {ref}: a closed campaign's record is the evidence "
                            "of its recertification")
    for path, old in sorted(before.items()):
        if old.campaign in closed_at_base:
            continue  # the files of a campaign closed at the base may be archived
        # not excused by a campaign record the same change adds: `review close` deletes no file, and a
        # hand-written record plus a deleted list would make the list's overdue items vanish unreviewed
        yield Violation(path, 1, 1, f"the change deletes this reviewer file of campaign `{old.campaign}`, open "
                        f"at {ref}, with {len(old.items)} items: an open review cannot lose its lists")


_REVIEW = """\
---
campaign: 2026-Q2
due: 2026-06-30
opened_on: 2026-04-01
scope: all
reviewer: E000004
items:
  - employee: E000002
    permission: {permission}
    granted_by: E000001
    granted_on: 2026-01-05
    decision: {decision}
    reason: "{reason}"
"""

RULE = Rule(
    id="review-change",
    summary="A change edits an open access review beyond its decisions and reasons, or a closed one's record",
    default_severity="error",
    waivable=False,  # a waiver would live in policies/, inside the change it excuses
    scope="change",
    check=check,
    doc=RuleDoc(
        flags="In `--base` mode, a reviewer file of a campaign that is open at the base whose header "
              "(`campaign`, `due`, `opened_on`, `scope`, `reviewer`) or whose items (which grants are "
              "listed, and what each says of its grant) differ from the base; a reviewer file added to, or "
              "deleted from, such a campaign; the record of a campaign closed at the base (`campaign.yaml`) "
              "deleted or edited. Edits of `decision` and `reason` are what a review is for.",
        why="A review is only evidence if its lists are what `permgate review open` wrote. A pull request "
            "that drops an unwelcome grant from a list, rewrites what an item says, or moves it to a "
            "friendlier reviewer would leave a review that looks complete and recertifies nothing. A closed "
            "campaign's `closed_on` is the day its `keep` decisions count from (`not-recertified`), and a "
            "closed campaign is what puts that rule in force: a later date recertifies for longer, a deleted "
            "record silences the rule.",
        fix="Change only `decision` and `reason`. A list that is wrong is closed and a new campaign opened "
            "(`permgate review close --force`, then `permgate review open`).",
        bad=Example(files={"reviews/2026-Q2/E000004.yaml": _REVIEW.format(
                               permission="P003", decision="keep", reason="still needed")},
                    base={"reviews/2026-Q2/E000004.yaml": _REVIEW.format(
                        permission="P001", decision="pending", reason="")},
                    expect=(("reviews/2026-Q2/E000004.yaml", 8),)),
        good=Example(files={"reviews/2026-Q2/E000004.yaml": _REVIEW.format(
                                permission="P001", decision="keep", reason="still on the billing desk")},
                     base={"reviews/2026-Q2/E000004.yaml": _REVIEW.format(
                         permission="P001", decision="pending", reason="")}),
    ),
)
