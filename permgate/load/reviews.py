"""Access reviews (``permgate review``, docs/reviews.md): ``reviews/<campaign>/*.yaml`` -> records.

Each campaign is a folder: one file per reviewer (``<reviewer>.yaml``, schema ``permgate schema
review``), and, once closed, ``campaign.yaml`` (schema ``campaign``).  Review files are inputs
like grants files: one that cannot be read, parsed or validated, or that sits where it does not
belong (a file outside a campaign folder, a ``campaign`` or ``reviewer`` that contradicts its
path), is a ``LoadProblem`` at its line, reported as ``invalid-review``; the other files are
still used.  Nothing here judges decisions: the ``review-*`` rules do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from permgate.config import Config
from permgate.errors import LoadError
from permgate.load.canonical import review_file
from permgate.load.files import read_walked
from permgate.load.schemas import validate
from permgate.load.source import FsSource, Source
from permgate.load.yamldoc import Document, decode, parse
from permgate.model import ClosedCampaign, LoadProblem, Loc, ReviewFile, ReviewItem

CAMPAIGN_FILE = "campaign.yaml"


def _read(source: Source, rel: str, kind: str, max_bytes: int,
          fast: Callable[[str], ReviewFile | None] | None = None) -> Document | ReviewFile | LoadProblem:
    """The file as a validated document, or what ``fast`` made of its text (``load.canonical``: a
    reviewer's file as ``review open`` writes it, without YAML events and schema), or its problem."""
    try:
        text = decode(_read_found(source, rel, max_bytes), rel)
        done = fast(text) if fast is not None else None
        if done is not None:
            return done
        doc = parse(text, rel)
    except LoadError as err:
        return LoadProblem(rel, err.line, err.column, err.detail)
    if doc.empty:
        return LoadProblem(rel, 1, 1, f"file is empty; expected a {kind} file (`permgate schema {kind}`)")
    problems = validate(doc, kind)
    if problems:
        p = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        return LoadProblem(rel, p.line, p.column, p.message + more)
    return doc


def _read_found(source: Source, rel: str, max_bytes: int) -> bytes:
    """``source.read_bytes`` of a file ``walk_yaml`` found: on the working tree ``files.read_walked``, which
    gives the same answers without resolving every path (as ``load.bulk`` reads grants files; eleven
    thousand reviewer files at 100,000 employees)."""
    if isinstance(source, FsSource):
        return read_walked(source.root, rel, max_bytes)
    return source.read_bytes(rel, max_bytes)


def _review(doc: Document, rel: str, folder: str, stem: str) -> ReviewFile | LoadProblem:
    data: dict[str, Any] = doc.data
    for key, want in (("campaign", folder), ("reviewer", stem)):
        if data[key] != want:
            line, column = doc.position((key,))
            return LoadProblem(rel, line, column, f"{key} `{data[key]}` does not match the file's place "
                               f"(expected `{want}`: reviews/<campaign>/<reviewer>.yaml)")
    items = []
    for i, it in enumerate(data["items"]):
        line, column = doc.position(("items", i))
        dline, dcolumn = doc.position(("items", i, "decision"))
        items.append(ReviewItem(
            employee=it["employee"], permission=it["permission"], granted_by=it.get("granted_by", "?"),
            granted_on=it.get("granted_on", "?"), file=it.get("file", ""), decision=it["decision"],
            reason=it["reason"], line=line, column=column, decision_line=dline, decision_column=dcolumn))
    line, column = doc.position(("reviewer",))
    return ReviewFile(path=rel, campaign=data["campaign"], due=data["due"], opened_on=data["opened_on"],
                      scope=data["scope"], reviewer=data["reviewer"], reviewer_loc=Loc(rel, line, column),
                      items=tuple(items))


def load_reviews(source: Source, config: Config, canonical: bool = True
                 ) -> tuple[tuple[ReviewFile, ...], tuple[ClosedCampaign, ...], tuple[LoadProblem, ...]]:
    """Every reviewer's file, the closed campaigns, and the problems, in path order.

    No reviews folder: no campaign (nothing to judge).  ``canonical=False`` reads every file by the
    full path (YAML events and the schema), as the test of the fast path (``load.canonical.review_file``)
    does to compare them."""
    rel_dir = config.reviews
    if not source.exists(rel_dir):
        return (), (), ()
    if not source.is_dir(rel_dir):
        return (), (), (LoadProblem(rel_dir, 1, 1, "the reviews folder is not a folder"),)
    paths, refused = source.walk_yaml(rel_dir)
    problems = [LoadProblem(p, 1, 1, why) for p, why in refused]
    reviews: list[ReviewFile] = []
    campaigns: list[ClosedCampaign] = []
    prefix = rel_dir.rstrip("/") + "/"
    for rel in paths:
        parts = rel[len(prefix):].split("/")
        if len(parts) != 2:
            problems.append(LoadProblem(rel, 1, 1, "a review file belongs in a campaign's folder: "
                                        f"{prefix}<campaign>/<reviewer>.yaml"))
            continue
        folder, name = parts
        stem = name.rsplit(".", 1)[0]
        kind = "campaign" if name == CAMPAIGN_FILE else "review"
        fast = None if kind == "campaign" or not canonical else functools.partial(
            review_file, rel=rel, campaign=folder, reviewer=stem)
        doc = _read(source, rel, kind, config.max_file_bytes, fast)
        if isinstance(doc, LoadProblem):
            problems.append(doc)
            continue
        if isinstance(doc, ReviewFile):
            reviews.append(doc)
            continue
        if kind == "campaign":
            data = doc.data
            if data["campaign"] != folder:
                line, column = doc.position(("campaign",))
                problems.append(LoadProblem(rel, line, column, f"campaign `{data['campaign']}` does not match "
                                            f"its folder `{folder}`"))
                continue
            line, column = doc.position(("closed_on",))
            campaigns.append(ClosedCampaign(rel, data["campaign"], data["closed_on"], data["kept"],
                                            data["revoked"], data["pending"], Loc(rel, line, column)))
            continue
        review = _review(doc, rel, folder, stem)
        if isinstance(review, LoadProblem):
            problems.append(review)
        else:
            reviews.append(review)
    return tuple(reviews), tuple(campaigns), tuple(problems)
