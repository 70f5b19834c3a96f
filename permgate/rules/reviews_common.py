"""What the review rules share: one walk of the reviewer files, each item sorted by its decision.

``self-review`` reads the decided items, ``review-overdue`` the pending ones of open campaigns,
``review-bulk-keep`` the lists kept whole, ``not-recertified`` the kept items of closed campaigns.
Each of them walked every item of every reviewer file on its own, and ``not-recertified`` (an
``employee`` rule, judged chunk by chunk) did it once per chunk of the split check: about seventy
walks of two million items on an organisation of 100,000 employees with a closed campaign.  The walk
is made once per process for a given set of reviewer files and campaign records (the chunks share
the frame's), and picks items out by decision in C.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter

from permgate.model import ClosedCampaign, ReviewFile, ReviewItem, Workspace

_DECISION = attrgetter("decision")


@dataclass(frozen=True)
class Walked:
    """One reviewer file, its items by decision (each in file order)."""

    review: ReviewFile
    #: the ``closed_on`` of the file's campaign; None while the campaign is open
    closed_on: str | None
    keep: tuple[ReviewItem, ...]
    revoke: tuple[ReviewItem, ...]
    pending: tuple[ReviewItem, ...]

    def decided(self) -> list[ReviewItem]:
        """The items decided (``keep`` or ``revoke``), in file order."""
        if not self.revoke or not self.keep:
            return list(self.keep or self.revoke)
        return [i for i in self.review.items if i.decision != "pending"]


@dataclass(frozen=True)
class ReviewWalk:
    walked: tuple[Walked, ...]
    #: (employee, permission) -> the latest ``closed_on`` of a closed campaign that kept it
    last_kept: Mapping[tuple[str, str], str]


def _walk(reviews: tuple[ReviewFile, ...], campaigns: tuple[ClosedCampaign, ...]) -> ReviewWalk:
    closed = {c.campaign: c.closed_on for c in campaigns}
    walked: list[Walked] = []
    last_kept: dict[tuple[str, str], str] = {}
    for review in reviews:
        items = review.items
        decisions = list(map(_DECISION, items))
        parts = {d: tuple(compress(items, map(d.__eq__, decisions))) if d in decisions else ()
                 for d in ("keep", "revoke", "pending")}
        on = closed.get(review.campaign)
        walked.append(Walked(review, on, parts["keep"], parts["revoke"], parts["pending"]))
        if on is not None:
            for item in parts["keep"]:
                key = (item.employee, item.permission)
                if last_kept.get(key, "") < on:
                    last_kept[key] = on
    return ReviewWalk(tuple(walked), last_kept)


#: the last walk, with the tuples it was made of (held, so that their ids stay theirs)
_last: tuple[tuple[ReviewFile, ...], tuple[ClosedCampaign, ...], ReviewWalk] | None = None


def review_walk(ws: Workspace) -> ReviewWalk:
    """The walk of ``ws``'s reviewer files, made once for the same files and records: workspaces made from
    one frame (the chunks of the split check, ``dataclasses.replace``) share its tuples, so one walk serves
    them all.  Keyed by the tuples themselves (identity), never by what a caller must remember to reset."""
    global _last
    last = _last
    if last is not None and last[0] is ws.reviews and last[1] is ws.campaigns:
        return last[2]
    walk = _walk(ws.reviews, ws.campaigns)
    _last = (ws.reviews, ws.campaigns, walk)
    return walk
