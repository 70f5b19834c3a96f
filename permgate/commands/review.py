"""``permgate review open|close|status``: access reviews (recertification) kept as data in git.

``open`` writes one file per reviewer, ``reviews/<campaign>/<reviewer>.yaml``, listing each grant in
scope (file and line, granter and date, the rules that flag it today) with ``decision: pending``;
reviewers answer in a commit (``keep`` or ``revoke`` and a reason), ``check`` judges the answers
(``review-overdue``, ``self-review``, ``review-bulk-keep``, ``not-recertified``), and ``close``
removes the revoked grants byte for byte as ``permgate revoke`` does and writes
``reviews/<campaign>/campaign.yaml``.  docs/reviews.md says who reviews what, and why.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring

from permgate.commands import EXIT_CLEAN, EXIT_FINDINGS, Outcome
from permgate.config import Config, load_config
from permgate.edit.atomic import check_writable, write_all, write_inside
from permgate.edit.revoke import Removal, remove_entries
from permgate.errors import UsageError
from permgate.findings import Finding
from permgate.load import files
from permgate.load.reviews import CAMPAIGN_FILE
from permgate.load.workspace import load_workspace
from permgate.model import Grant, Person, ReviewFile, Workspace
from permgate.rules.forbidden_owner import forbidden_to

#: the reviewer file of grants nobody but their grantee could review (docs/reviews.md)
UNASSIGNED = "unassigned"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_SCOPE = re.compile(r"all|sensitive|(division|permission|rule):[A-Za-z0-9][A-Za-z0-9._:-]*")


@dataclass(frozen=True)
class OpenSettings:
    campaign: str
    due: dt.date
    scope: str = "all"
    root: str = "."
    today: dt.date | None = None


@dataclass(frozen=True)
class CloseSettings:
    campaign: str
    root: str = "."
    dry_run: bool = False
    force: bool = False
    today: dt.date | None = None


@dataclass(frozen=True)
class StatusSettings:
    campaign: str | None = None
    root: str = "."
    format: str = "text"


@functools.lru_cache(maxsize=1 << 16)  # ids, paths and dates repeat across a campaign's two million items
def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML): never read as anything but text.
    ``encode_basestring`` is what ``json.dumps(text, ensure_ascii=False)`` calls for a string."""
    return encode_basestring(text)


def division_heads(ws: Workspace) -> dict[str, str]:
    """The head of each division: the person in it with no manager in it.  Where several people
    qualify, the one with the most people of the division below them, then the lowest id."""
    people = ws.people
    candidates: dict[str, list[str]] = {}
    for p in people.values():
        boss = people.get(p.manager) if p.manager else None
        if boss is None or boss.division != p.division:
            candidates.setdefault(p.division, []).append(p.id)
    heads: dict[str, str] = {}
    below: Counter[str] | None = None
    for division, ids in candidates.items():
        if len(ids) > 1:
            if below is None:  # only organisations with several heads in a division pay for this walk
                below = Counter()
                for p in people.values():
                    for m in ws.management_chain(p.id):
                        boss = people.get(m)
                        if boss is not None and boss.division == p.division:
                            below[m] += 1
            counts = below
            ids = sorted(ids, key=lambda i: (-counts[i], i))
        heads[division] = min(ids) if len(ids) == 1 else ids[0]
    return heads


def reviewer_of(ws: Workspace, grant: Grant, protected: Mapping[str, frozenset[str]], heads: Mapping[str, str],
                delegates: Mapping[str, str]) -> str | None:
    """Who reviews ``grant``: the head of the owning division when a ``forbidden-owner`` rule forbids
    the permission to the grantee's division (the grant crosses the protected boundary), else the
    grantee's manager (without one: the head of the owning division, then of the grantee's division);
    never the grantee; then the delegate ``settings: review: delegates`` names.

    ``protected`` maps each division to the owning divisions forbidden to it (``forbidden_to``).  A
    grant of a protected permission inside the boundary (a distribution employee's distribution
    permission) goes to the manager like any other: sending every such grant to one head put
    300,000 items in one file at 100,000 employees, a list nobody can review."""
    perm = ws.catalog.get(grant.permission)
    person: Person | None = ws.people.get(grant.employee)
    owner = perm.owner_division if perm is not None else None
    options: list[str | None] = []
    if owner is not None and person is not None and owner in protected.get(person.division, ()):
        options.append(heads.get(owner))
    options.append(person.manager if person is not None else None)
    options.append(heads.get(owner) if owner is not None else None)
    options.append(heads.get(person.division) if person is not None else None)
    for option in options:
        if option is not None and option != grant.employee:
            delegate = delegates.get(option, option)
            return delegate if delegate != grant.employee else option
    return None


def boundaries(ws: Workspace) -> dict[str, frozenset[str]]:
    """Each division of the people directory -> the owning divisions ``forbidden-owner`` rules forbid to it."""
    return {d: forbidden_to(ws, d) for d in sorted({p.division for p in ws.people.values()})}


def _flagged(findings: list[Finding]) -> dict[tuple[str, int], list[str]]:
    """(path, line) -> the rules that flag the grant there, in the order of ``findings`` (sorted)."""
    flagged: dict[tuple[str, int], list[str]] = {}
    for f in findings:
        if f.permission is not None and f.waived is None:
            rules = flagged.setdefault((f.path, f.line), [])
            if f.rule not in rules:
                rules.append(f.rule)
    return flagged


def _scoped(ws: Workspace, scope: str, flagged: Mapping[tuple[str, int], list[str]]) -> list[Grant]:
    """The grants of ``ws`` in ``scope`` (``rule:ID``: those ``flagged`` by the rule), in file order."""
    grants = list(ws.iter_grants())
    kind, _, value = scope.partition(":")
    if kind == "sensitive":
        grants = [g for g in grants if (p := ws.catalog.get(g.permission)) is not None and p.sensitive]
    elif kind == "division":
        grants = [g for g in grants if (q := ws.people.get(g.employee)) is not None and q.division == value]
    elif kind == "permission":
        grants = [g for g in grants if g.permission == value]
    elif kind == "rule":
        grants = [g for g in grants if value in flagged.get((g.path, g.line), ())]
    return grants


def _check_rule_scope(ws: Workspace, scope: str, config: Config) -> None:
    from permgate.engine.evaluation import rule_catalogue  # only review open runs the rules

    kind, _, value = scope.partition(":")
    if kind == "rule" and value not in {info.id for info in rule_catalogue(ws, config)}:
        raise UsageError(f"--scope rule:{value}: no such rule (permgate rules lists them)")


@dataclass(frozen=True)
class _Assign:
    """What picks each grant's reviewer (``reviewer_of``), computed once from the frame."""

    heads: Mapping[str, str]
    protected: Mapping[str, frozenset[str]]
    delegates: Mapping[str, str]
    owner_of: Mapping[str, str]

    @classmethod
    def of(cls, ws: Workspace) -> _Assign:
        return cls(division_heads(ws), boundaries(ws), ws.settings.get("review", {}).get("delegates", {}),
                   {pid: p.owner_division for pid, p in ws.catalog.items()})

    def lists(self, ws: Workspace, grants: list[Grant]) -> dict[str, list[Grant]]:
        """reviewer -> the grants of ``grants`` they review, in ``grants``' order."""
        lists: dict[str, list[Grant]] = {}
        owner_of = self.owner_of
        chosen: dict[tuple[str, str | None], str] = {}  # (grantee, owning division) decides the reviewer
        for g in grants:
            key = (g.employee, owner_of.get(g.permission))
            reviewer = chosen.get(key)
            if reviewer is None:
                # nobody but the grantee (the head of the organisation): listed for a person to be found, never
                # dropped; pending there, they are review-overdue after --due and block close
                reviewer = chosen[key] = reviewer_of(ws, g, self.protected, self.heads, self.delegates) \
                    or UNASSIGNED
            mine = lists.get(reviewer)
            if mine is None:
                mine = lists[reviewer] = []
            mine.append(g)
        return lists


def _by_place(g: Grant) -> tuple[str, int]:
    return (g.path, g.line)


def render_items(grants: list[Grant], flagged: Mapping[tuple[str, int], list[str]]) -> list[str]:
    """Each grant's item of a reviewer's file (nine lines, without the last newline)."""
    q = _q
    no_rules: list[str] = []
    # one string per item: two million items are most of ``review open``'s output
    return [f"  - employee: {q(g.employee)}\n    permission: {q(g.permission)}\n    file: {q(g.path)}\n"
            f"    line: {g.line}\n    granted_by: {q(g.granted_by)}\n    granted_on: {g.granted_on}\n"
            f"    findings: [{', '.join(map(q, flagged.get((g.path, g.line), no_rules)))}]\n"
            f'    decision: pending\n    reason: ""' for g in grants]


def _header(campaign: str, due: str, opened_on: str, scope: str, reviewer: str) -> str:
    return "\n".join([
        "---", f"# access review {campaign}: set each decision to keep or revoke, with a reason (docs/reviews.md)",
        f"campaign: {_q(campaign)}", f"due: {due}", f"opened_on: {opened_on}", f"scope: {_q(scope)}",
        f"reviewer: {_q(reviewer)}", "items:"])


def render_review(campaign: str, due: str, opened_on: str, scope: str, reviewer: str,
                  grants: list[Grant], flagged: Mapping[tuple[str, int], list[str]]) -> str:
    return "\n".join([_header(campaign, due, opened_on, scope, reviewer), *render_items(grants, flagged)]) + "\n"


def _chunk_items(scope: str, assign: _Assign, ws: Workspace,
                 findings: list[Finding]) -> tuple[int, dict[str, tuple[int, bytes]]]:
    """A chunk's part of the campaign (``engine.chunked.per_chunk``, in a worker): how many of its grants are
    in scope, and for each reviewer the number and the text of their items (``render_items``, sorted by file
    and line, joined by newlines)."""
    flagged = _flagged(findings)
    grants = _scoped(ws, scope, flagged)
    return len(grants), {reviewer: (len(mine), "\n".join(render_items(sorted(mine, key=_by_place), flagged))
                                    .encode("utf-8"))
                         for reviewer, mine in assign.lists(ws, grants).items()}


def campaign_dir(config: Config, campaign: str) -> str:
    if not _ID.fullmatch(campaign):
        raise UsageError(f"--campaign {campaign}: use letters, digits, '.', '_', ':' or '-' (a folder name)")
    return files.normalise(f"{config.reviews}/{campaign}")


def _exists(ws: Workspace, root: str, folder: str, campaign: str) -> None:
    if any(r.campaign == campaign for r in ws.reviews) or any(
            c.campaign == campaign for c in ws.campaigns) or os.path.lexists(os.path.join(root, folder)):
        raise UsageError(f"campaign {campaign} exists already ({folder}); choose another id")


#: False: the plain way (the whole workspace, ``evaluate``) instead of the chunks; tests compare the two
CHUNKED = True
#: Tests set this to force tiny chunks (``engine.chunked.per_chunk``); None: sized by the run.
CHUNK_FILES: int | None = None


def run_open(settings: OpenSettings) -> Outcome:
    today = settings.today or dt.date.today()
    if not _SCOPE.fullmatch(settings.scope):
        raise UsageError(f"--scope {settings.scope}: use all, sensitive, division:NAME, permission:ID or rule:ID")
    if settings.due < today:
        raise UsageError(f"--due {settings.due.isoformat()} is before today ({today.isoformat()})")
    root = settings.root
    config = load_config(root)
    folder = campaign_dir(config, settings.campaign)
    header = functools.partial(_header, settings.campaign, settings.due.isoformat(), today.isoformat(),
                               settings.scope)
    opened = _open_in_chunks(settings, config, folder, today, header) if CHUNKED else None
    if opened is not None:
        return opened
    # the plain way: the whole workspace, every rule at once
    ws = load_workspace(root, config)
    _exists(ws, root, folder, settings.campaign)
    grants, flagged = _in_scope(ws, settings.scope, config, today)
    lists = _Assign.of(ws).lists(ws, grants)
    if not lists:
        return _nothing(settings)
    reviewers = {f"{folder}/{reviewer}.yaml": reviewer for reviewer in sorted(lists)}
    # rendered one file at a time as it is written (the two million items are never all in memory as text);
    # a symlinked folder or file is refused before anything is written
    write_all(root, list(reviewers), lambda rel: render_review(
        settings.campaign, settings.due.isoformat(), today.isoformat(), settings.scope, reviewers[rel],
        sorted(lists[reviewers[rel]], key=_by_place), flagged).encode("utf-8"))
    return _opened(settings, {rel: len(lists[reviewer]) for rel, reviewer in reviewers.items()}, len(grants))


def _in_scope(ws: Workspace, scope: str, config: Config,
              today: dt.date) -> tuple[list[Grant], dict[tuple[str, int], list[str]]]:
    from permgate.engine.evaluation import evaluate  # only review open runs the rules

    flagged = _flagged(evaluate(ws, config, today))
    _check_rule_scope(ws, scope, config)
    return _scoped(ws, scope, flagged), flagged


def _nothing(settings: OpenSettings) -> Outcome:
    return Outcome(f"campaign {settings.campaign}: no grant in scope {settings.scope}; nothing written\n")


def _opened(settings: OpenSettings, counts: Mapping[str, int], total: int) -> Outcome:
    out = [f"{rel}: {n} items" for rel, n in counts.items()]
    out.append(f"campaign {settings.campaign}: {total} grants for {len(counts)} reviewers, "
               f"due {settings.due.isoformat()}")
    return Outcome("\n".join(out) + "\n")


def _open_in_chunks(settings: OpenSettings, config: Config, folder: str, today: dt.date,
                    header: Callable[[str], str]) -> Outcome | None:
    """``run_open``'s plain way with the items built in the chunks of the split check
    (``engine.chunked.per_chunk``): each worker loads its grants files, judges them by the ``employee``
    rules and renders its items per reviewer; this process loads only the frame, parks the items' bytes
    as they come (``runtime.spool``) and writes each file from them.  None: the chunks declined (a waiver
    register, a baseline, an employee split across chunks...), and the plain way runs."""
    from permgate.engine import evaluation as engine  # only review open runs the rules
    from permgate.engine.chunked import per_chunk
    from permgate.load.bulk import Tuning
    from permgate.load.workspace import fs_source, grants_paths, load_frame
    from permgate.runtime.spool import Spool

    root = settings.root
    source = fs_source(root)
    frame = load_frame(source, config)
    paths, _ = grants_paths(source, config)  # refused files hold no grant (load_grants: problems only)
    _exists(frame, root, folder, settings.campaign)
    if not engine.splittable(frame):
        return None
    engine.check_config(frame, config)
    _check_rule_scope(frame, settings.scope, config)
    spool = Spool()
    try:
        def park(value: tuple[int, dict[str, tuple[int, bytes]]]) -> tuple[int, dict[str, tuple[int, int, int]]]:
            return value[0], {r: (n, spool.add(data), len(data)) for r, (n, data) in value[1].items()}

        parts = per_chunk(source, frame, config, today, paths,
                          functools.partial(_chunk_items, settings.scope, _Assign.of(frame)), Tuning(),
                          CHUNK_FILES, arrive=park)
        if parts is None:
            return None
        total = sum(n for n, _ in parts)
        pieces: dict[str, list[tuple[int, int]]] = {}
        counts: Counter[str] = Counter()
        for _, lists in parts:  # in path order: each reviewer's items follow each other by file and line
            for reviewer, (n, at, size) in lists.items():
                pieces.setdefault(reviewer, []).append((at, size))
                counts[reviewer] += n
        if not pieces:
            return _nothing(settings)
        reviewers = {f"{folder}/{reviewer}.yaml": reviewer for reviewer in sorted(pieces)}

        def render(rel: str) -> bytes:
            reviewer = reviewers[rel]
            return b"".join([header(reviewer).encode("utf-8"), b"\n",
                             b"\n".join([spool.read(at, size) for at, size in pieces[reviewer]]), b"\n"])

        write_all(root, list(reviewers), render)
    finally:
        spool.close()
    return _opened(settings, {rel: counts[reviewer] for rel, reviewer in reviewers.items()}, total)


def _campaign(ws: Workspace, config: Config, campaign: str) -> list[ReviewFile]:
    folder = campaign_dir(config, campaign)
    bad = [p for p in ws.review_problems if p.path.startswith(folder + "/")]
    if bad:
        p = bad[0]
        raise UsageError(f"{p.path}:{p.line}:{p.column}: {p.message} (permgate check reports it as invalid-review)")
    reviews = [r for r in ws.reviews if r.campaign == campaign]
    if not reviews and not any(c.campaign == campaign for c in ws.campaigns):
        raise UsageError(f"campaign {campaign}: no review files in {folder}")
    return reviews


def run_close(settings: CloseSettings) -> Outcome:
    today = settings.today or dt.date.today()
    root = settings.root
    config = load_config(root)
    ws = load_workspace(root, config)
    reviews = _campaign(ws, config, settings.campaign)
    closed = next((c for c in ws.campaigns if c.campaign == settings.campaign), None)
    if closed is not None:
        return Outcome(f"campaign {settings.campaign} was closed on {closed.closed_on} ({closed.path}); "
                       "nothing changed\n")
    pending = [(r, i) for r in reviews for i in r.items if i.decision == "pending"]
    listed = [f"{r.path}:{i.decision_line}: pending: {i.permission} held by {i.employee}" for r, i in pending]
    if pending and not settings.force:
        raise UsageError(f"campaign {settings.campaign}: {len(pending)} decisions are pending; have them decided, "
                         "or close with --force (they are listed):\n" + "\n".join(listed))
    chosen: dict[str, list[Grant]] = {}
    gone: list[str] = []
    revoked = 0
    for r in reviews:
        for i in r.items:
            if i.decision != "revoke":
                continue
            revoked += 1
            held = [g for g in ws.grants_of(i.employee) if g.permission == i.permission
                    and (i.granted_on == "?" or g.granted_on == i.granted_on)]
            if not held:
                gone.append(f"{r.path}:{i.line}: {i.permission} held by {i.employee} is no longer in the grants files")
            for g in held:
                if g not in chosen.setdefault(g.path, []):
                    chosen[g.path].append(g)
    by_path = {f.path: f for f in ws.files}
    planned: list[tuple[str, bytes, list[Removal]]] = []
    for rel in sorted(chosen):
        check_writable(root, rel)
        content = files.read_bytes(root, rel, config.max_file_bytes)
        new, removals = remove_entries(content, rel, chosen[rel], by_path[rel].grants, config.max_file_bytes)
        planned.append((rel, new, removals))
    kept = sum(1 for r in reviews for i in r.items if i.decision == "keep")
    record_rel = f"{campaign_dir(config, settings.campaign)}/{CAMPAIGN_FILE}"
    record = (f"---\n# written by permgate review close\ncampaign: {_q(settings.campaign)}\n"
              f"closed_on: {today.isoformat()}\nkept: {kept}\nrevoked: {revoked}\npending: {len(pending)}\n")
    if not settings.dry_run:
        check_writable(root, record_rel)
        for rel, new, _ in planned:
            write_inside(root, rel, new)
        write_inside(root, record_rel, record.encode("utf-8"))
    verb = "would remove" if settings.dry_run else "removed"
    out: list[str] = []
    for rel, _, removals in planned:
        for rm in removals:
            lines = f"{rm.first_line}" if rm.first_line == rm.last_line else f"{rm.first_line}-{rm.last_line}"
            out.append(f"{rel}:{lines}: {verb} {rm.grant.permission} from {rm.grant.employee}, granted by "
                       f"{rm.grant.granted_by} on {rm.grant.granted_on}")
    out += gone
    out += [f"closed with --force: {line}" for line in listed]
    done = "would close" if settings.dry_run else "closed"
    out.append(f"campaign {settings.campaign} {done} on {today.isoformat()}: {kept} kept, {revoked} revoked, "
               f"{len(pending)} pending ({record_rel})")
    return Outcome("\n".join(out) + "\n", EXIT_CLEAN)


def run_status(settings: StatusSettings) -> Outcome:
    root = settings.root
    config = load_config(root)
    ws = load_workspace(root, config)
    reviews = list(ws.reviews) if settings.campaign is None else _campaign(ws, config, settings.campaign)
    closed = {c.campaign: c.closed_on for c in ws.campaigns}
    rows: list[dict[str, object]] = []
    divisions: dict[tuple[str, str], Counter[str]] = {}
    for r in sorted(reviews, key=lambda r: (r.campaign, r.reviewer)):
        counts = Counter(i.decision for i in r.items)
        rows.append({"campaign": r.campaign, "reviewer": r.reviewer, "path": r.path, "due": r.due,
                     "closed_on": closed.get(r.campaign), "items": len(r.items), "keep": counts["keep"],
                     "revoke": counts["revoke"], "pending": counts["pending"]})
        for i in r.items:
            person = ws.people.get(i.employee)
            divisions.setdefault((r.campaign, person.division if person else "?"), Counter())[i.decision] += 1
    by_division = [{"campaign": c, "division": d, "items": sum(n.values()), "keep": n["keep"],
                    "revoke": n["revoke"], "pending": n["pending"]} for (c, d), n in sorted(divisions.items())]
    pending = sum(int(str(row["pending"])) for row in rows)
    if settings.format == "json":
        doc = {"version": 1, "reviewers": rows, "divisions": by_division, "problems": [
            {"path": p.path, "line": p.line, "message": p.message} for p in ws.review_problems]}
        return Outcome(json.dumps(doc, indent=2, sort_keys=True) + "\n", EXIT_FINDINGS if pending else EXIT_CLEAN)
    md = settings.format == "markdown"
    out: list[str] = []
    for title, keys, items in (("reviewer", ("campaign", "reviewer"), rows),
                               ("division", ("campaign", "division"), by_division)):
        header = [*keys, "items", "keep", "revoke", "pending"]
        if md:
            out += [f"### By {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            out += ["| " + " | ".join(str(row[k]) for k in header) + " |" for row in items]
            out.append("")
        else:
            out.append(f"by {title}:")
            out += ["  " + "  ".join(f"{row[k]}" for k in keys) + f": {row['items']} items, {row['keep']} keep, "
                    f"{row['revoke']} revoke, {row['pending']} pending" for row in items]
    out += [f"{p.path}:{p.line}: invalid-review: {p.message}" for p in ws.review_problems]
    out.append(f"{len(rows)} review files, {pending} decisions pending")
    return Outcome("\n".join(out) + "\n", EXIT_FINDINGS if pending else EXIT_CLEAN)
