"""``permgate report --html OUT``: the access matrix, the findings and the exposure timeline."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from permgate.analysis.audit import AuditResult, audit
from permgate.analysis.matrix import access_matrix, chunk_cells, merge_cells
from permgate.commands import EXIT_CLEAN, Outcome
from permgate.commands.check import walk_ahead
from permgate.config import Config, load_config
from permgate.edit.atomic import write_atomic
from permgate.engine.chunked import Declined, Streaming, check_streamed, streamable
from permgate.engine.evaluation import check_config, evaluate, rule_catalogue, splittable
from permgate.engine.grouping import anchor_rules, boundary_first, group
from permgate.errors import GitError
from permgate.git.repo import Repo
from permgate.load.attributes import conversion_problems
from permgate.load.bulk import Tuning, no_gc
from permgate.load.workspace import fs_source, load_frame, load_workspace
from permgate.reporters.html import (
    CELL_LIMIT,
    MAX_FINDINGS,
    HtmlReport,
    Timeline,
    finding_rows,
    page_findings,
    page_grants,
    render_html,
    timeline_of,
)
from permgate.runtime.parallel import Ahead


@dataclass(frozen=True)
class ReportSettings:
    html: str
    root: str = "."
    today: dt.date | None = None
    link_base: str | None = None  # default: relative links from the page to the files
    history: bool = True


def relative_link_base(root: str, out: str) -> str:
    """The folder of the grants repository as seen from the page, as a URL prefix."""
    rel = os.path.relpath(os.path.abspath(root), os.path.dirname(os.path.abspath(out)))
    rel = rel.replace(os.sep, "/")
    return "" if rel == "." else quote(rel) + "/"


def _history(root: str, today: dt.date) -> tuple[AuditResult | None, str]:
    try:
        repo = Repo(root)
        repo.resolve("HEAD")
    except GitError as err:
        return None, f"No exposure timeline: {err}."
    return audit(repo, "HEAD", today=today), ""


def _timeline(root: str, today: dt.date) -> tuple[Timeline | None, str]:
    result, note = _history(root, today)
    return (None if result is None else timeline_of(result)), note


#: From this size of the people directory (about 20,000 people) the history is walked in a child
#: beside the judging (``Ahead``); below it the fork costs more than it saves.  Tests set
#: ``HISTORY_AHEAD`` to force it (True) or forbid it (False).
HISTORY_AHEAD_BYTES = 2_000_000
HISTORY_AHEAD: bool | None = False  # off: 137 s against 35.6 s on an idle machine (docs/performance.md)


def _large(root: str, config: Config) -> bool:
    try:
        return os.stat(os.path.join(root, config.people)).st_size >= HISTORY_AHEAD_BYTES
    except OSError:
        return False  # the run says what is wrong with it


#: True: the plain path (the whole workspace loaded and judged at once); False: the split, where it would
#: decline an error; None: the split when the run allows it (the default: on an idle machine at 100k it
#: took 35.6 s against the plain path's 31.5 s, with half the memory, 1.2 GB against 2.4 GB;
#: docs/performance.md).
SPLIT: bool | None = None


def run_report(settings: ReportSettings) -> Outcome:
    config = load_config(settings.root)
    today = settings.today or dt.date.today()
    base = settings.link_base if settings.link_base is not None else relative_link_base(settings.root, settings.html)
    # the history walk is serial (one process and git): on a large repository it runs in a child while
    # the chunks are judged in the workers, and gives back only what the page shows (``Timeline``)
    history = Ahead(functools.partial(_timeline, settings.root, today),
                    fork=HISTORY_AHEAD if HISTORY_AHEAD is not None else _large(settings.root, config)) \
        if settings.history else None
    try:
        report = None if SPLIT is True else _split_report(settings.root, config, today, base)
        if report is None:
            report = _whole_report(settings.root, config, today, base)
    except BaseException:
        if history is not None:
            history.discard()
        raise
    if history is not None:
        result, note = history.result()
    else:
        result, note = None, "No exposure timeline: --no-history."
    title = os.path.basename(os.path.abspath(settings.root))
    report = dataclasses.replace(report, audit=result, history_note=note, title=title)
    page = render_html(report)
    write_atomic(os.path.abspath(settings.html), page.encode("utf-8"))
    n = len(result.exposures) if result else 0
    text = (f"wrote {settings.html}: {page_grants(report)} grants, {page_findings(report)} findings, "
            f"{n} exposures\n")
    return Outcome(text, EXIT_CLEAN)


def _whole_report(root: str, config: Config, today: dt.date, base: str) -> HtmlReport:
    """The plain path: the whole workspace loaded and judged at once (``engine.evaluate``)."""
    ws = load_workspace(root, config)
    rules = rule_catalogue(ws, config)
    # one finding per grant that crosses the boundary, and those first: what the page is about
    findings = tuple(boundary_first(group(evaluate(ws, config, today), rules), rules))
    return HtmlReport(ws, access_matrix(ws), findings, today, base)


def _split_report(root: str, config: Config, today: dt.date, base: str) -> HtmlReport | None:
    """``_whole_report`` over chunks of grants files (``engine.chunked.check_streamed``): the findings
    are counted and only the ``MAX_FINDINGS`` the page lists are rendered (in the workers, as rows), and
    each chunk sends its part of the matrix (``analysis.matrix.chunk_cells``); no process holds every
    grant or every finding.  Waivers and a baseline are applied in the chunks, as ``check`` does.  None when
    the run needs the plain path: a rule the split cannot divide, or a ``Declined`` run (a path found in two
    places, a waiver or baseline entry counted in two, a chunk judged differently the second time)."""
    tuning = Tuning()
    with no_gc():
        source = fs_source(root)
        walk = walk_ahead(source, config, tuning)
        try:
            frame = load_frame(source, config)
        except BaseException:
            walk.discard()
            raise
        paths, refused = walk.result()
        if not (splittable(frame) and streamable(frame)):
            return None
        check_config(frame, config)
        converted = tuple(conversion_problems(source, config, refused))
        rules = tuple(rule_catalogue(frame, config))
        anchors = anchor_rules(rules)
        how = Streaming(finding_rows(base), cap=MAX_FINDINGS, anchors=anchors, by_rank=True, eager=True,
                        rank=functools.partial(_boundary_rank, anchors), extra=chunk_cells(CELL_LIMIT))
        try:
            streamed = check_streamed(source, frame, config, today, paths, refused, how, tuning, CHUNK_FILES,
                                      converted)
        except Declined:
            if SPLIT is False:
                raise
            return None
    listed = tuple(bytes(piece).decode("utf-8", "surrogateescape") for piece in streamed.pieces)
    severities: Counter[str] = Counter()
    for (_, _, severity, _), n in streamed.kinds.items():
        severities[severity] += n
    return HtmlReport(frame, merge_cells(frame, streamed.extras, CELL_LIMIT), (), today, base,
                      listed=listed, severities=severities, grants=streamed.grants)


#: Tests set this to force tiny chunks (``permgate.engine.chunked``); None: sized by the run.
CHUNK_FILES: int | None = None


def _boundary_rank(anchors: frozenset[str], kind: tuple[str, str, str, Any]) -> int:
    """``boundary_first``'s order as a capped report's rank: the anchors' findings first."""
    return 0 if kind[0] in anchors else 1
