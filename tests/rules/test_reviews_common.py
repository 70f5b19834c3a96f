"""The one walk of the reviewer files the review rules share (permgate/rules/reviews_common.py): it sorts
every item by its decision in file order, its ``last_kept`` is the plain loop's, and it is made once for the
same files and campaign records (the chunks of the split check share the frame's), again for others."""

from __future__ import annotations

import dataclasses
import random

from permgate.model import ClosedCampaign, Loc, ReviewFile, ReviewItem, Workspace
from permgate.rules import reviews_common
from permgate.rules.reviews_common import review_walk


def _reviews(seed: int) -> tuple[tuple[ReviewFile, ...], tuple[ClosedCampaign, ...]]:
    rng = random.Random(seed)
    reviews = []
    for n in range(12):
        campaign = rng.choice(["c1", "c2", "c3"])
        path = f"reviews/{campaign}/E{n:06d}.yaml"
        items = tuple(ReviewItem(f"E{rng.randrange(5):06d}", f"P{rng.randrange(4):03d}", "E000001", "2024-01-01",
                                 "assignments/x.yaml", rng.choice(["keep", "revoke", "pending"]), "r", 9 + 9 * i, 5,
                                 16 + 9 * i, 15) for i in range(rng.randrange(0, 9)))
        reviews.append(ReviewFile(path, campaign, "2026-06-30", "2026-06-01", "all", f"E{n:06d}",
                                  Loc(path, 7, 11), items))
    campaigns = (ClosedCampaign("reviews/c1/campaign.yaml", "c1", "2026-03-01", 0, 0, 0,
                                Loc("reviews/c1/campaign.yaml", 3, 12)),
                 ClosedCampaign("reviews/c2/campaign.yaml", "c2", "2026-07-01", 0, 0, 0,
                                Loc("reviews/c2/campaign.yaml", 3, 12)))
    return tuple(reviews), campaigns


def _plain_last_kept(ws: Workspace) -> dict[tuple[str, str], str]:
    """``not-recertified``'s loop as it was."""
    closed = {c.campaign: c.closed_on for c in ws.campaigns}
    out: dict[tuple[str, str], str] = {}
    for review in ws.reviews:
        on = closed.get(review.campaign)
        if on is None:
            continue
        for item in review.items:
            if item.decision == "keep":
                key = (item.employee, item.permission)
                if out.get(key, "") < on:
                    out[key] = on
    return out


def test_the_walk_sorts_every_item_by_decision_and_keeps_the_plain_last_kept() -> None:
    for seed in range(30):
        reviews, campaigns = _reviews(seed)
        ws = Workspace(root=".", catalog_path="catalog.yaml", people_path="people.yaml", catalog={}, people={},
                       files=(), policies=(), reviews=reviews, campaigns=campaigns)
        walk = review_walk(ws)
        assert [w.review for w in walk.walked] == list(reviews)
        closed = {c.campaign: c.closed_on for c in campaigns}
        for w in walk.walked:
            items = w.review.items
            assert w.closed_on == closed.get(w.review.campaign)
            for decision in ("keep", "revoke", "pending"):
                assert getattr(w, decision) == tuple(i for i in items if i.decision == decision)
            assert w.decided() == [i for i in items if i.decision != "pending"]
        assert walk.last_kept == _plain_last_kept(ws)


def test_the_walk_is_made_once_for_the_same_files_and_again_for_others() -> None:
    reviews, campaigns = _reviews(1)
    frame = Workspace(root=".", catalog_path="catalog.yaml", people_path="people.yaml", catalog={}, people={},
                      files=(), policies=(), reviews=reviews, campaigns=campaigns)
    chunk = dataclasses.replace(frame, files=())  # a chunk of the split check: the frame's tuples
    assert review_walk(chunk) is review_walk(frame)
    other = dataclasses.replace(frame, campaigns=campaigns[:1])  # one record less: another walk
    assert review_walk(other) is not review_walk(frame)
    assert review_walk(other).last_kept == _plain_last_kept(other)
    reviews_common._last = None
