"""The full ``check`` split into chunks of grants files, each loaded and judged on its own.

Every rule declares a scope (``permgate.rules.base.SCOPES``).  The findings of an
``employee`` rule in an employee's files depend only on all of that employee's files (and
the catalog, people, policies): on an *employee-closed* set of files the rule gives
exactly the full run's findings in those files.  So a run needs no process that holds the
whole organisation:

1. this process loads the frame (config, catalog, people, policies, waivers) and lists the
   grants files, as ``load_workspace`` does, and refuses a bad configuration up front;
2. the sorted path list is cut into contiguous chunks; each chunk is loaded exactly as
   ``load_many`` loads a file (fast path, per-file cache) into a workspace of its own, and
   judged by every ``employee`` rule, in a forked worker (or here, one chunk after the
   other).  Only small things come back: the chunk's findings, (path, employee) of each
   file, counts, and the files of the employees the waiver register names;
3. an employee whose files fall in more than one chunk (a second or misplaced file) broke
   the closure: the chunk findings in that employee's files are dropped and those files are
   loaded again here and judged together (a closed set of its own), with the ``invalid-file``
   findings of entries the walk refused;
4. the waiver step and the sort run here, exactly as ``engine.evaluate`` ends.

``change`` rules are silent without ``--base``, ``waivers`` rules are the waiver step, and
``reviews`` rules (the access review files, part of the frame) run once, here.
The result is the one ``evaluate`` gives on the whole workspace, whatever the chunk size or
the number of workers (tests/engine/test_chunked.py, tests/rules/test_scope.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
import heapq
import itertools
import operator
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby, pairwise, repeat
from operator import itemgetter
from typing import Any

from permgate.config import Config
from permgate.engine import baseline as baselines
from permgate.engine import evaluation as engine
from permgate.engine import waivers
from permgate.engine.grouping import grouped
from permgate.findings import COMPANION, SEVERITY_RANK, Finding, Related, state_of
from permgate.load import bulk
from permgate.load.bulk import Tuning
from permgate.load.source import Source
from permgate.model import GrantsFile, LoadProblem, Workspace
from permgate.runtime import parallel
from permgate.runtime.spool import Spool

#: a listed finding's ``(rule, state, severity, ((companion's rule, severity), ...))``: what the
#: report's counts are made of (``findings.state_of``; companions: ``engine/grouping.py``)
Kind = tuple[str, str, str, tuple[tuple[str, str], ...]]

#: Files per chunk: small enough to balance two workers and bound their memory, large enough
#: that the rules' set-up per chunk (settings, per-division pools) stays negligible.
CHUNK_FILES = 1500
#: Never smaller than this by default (a chunk of a few files is all overhead).
MIN_CHUNK_FILES = 250


#: A finding as plain tuples: pickles several times faster than the slotted dataclass.
PackedFinding = tuple[str, str, str, str, int, int, str | None, str | None,
                      tuple[tuple[str, int, int, str], ...], str | None]
Shared = dict[Any, Any]


def _pack(f: Finding, shared: Shared, seen: dict[int, Any]) -> PackedFinding:
    """``f`` as plain tuples; equal related locations (the same catalog line, person or policy
    behind many findings) become one object, which pickle then writes once per chunk.

    ``seen`` maps the ``id`` of a ``related`` tuple already packed to its packed form (rules
    hand the same tuple to many findings); it is valid while those findings are alive.
    """
    related = seen.get(id(f.related))
    if related is None:
        plain = tuple([shared.setdefault(r, r) for r in map(tuple, f.related)])
        related = seen[id(f.related)] = shared.setdefault(plain, plain)
    return (f.rule, f.severity, f.message, f.path, f.line, f.column, f.employee, f.permission, related, f.role)


_related = functools.partial(tuple.__new__, Related)
_RELATED_KEY = itemgetter(8)


def _unpack(packed: list[PackedFinding], shared: Shared) -> list[Finding]:
    """The findings ``packed`` (``_pack``): equal to ``Finding(*p[:8], related)``, built by C code
    (``tuple.__new__``), never a Python step per finding."""
    count = len(packed)
    if not count:
        return []
    for key in set(map(_RELATED_KEY, packed)):
        if key not in shared:
            shared[key] = tuple(map(_related, key))
    columns: list[Iterable[object]] = list(zip(*packed, strict=True))
    columns[8] = map(shared.__getitem__, columns[8])
    role = columns.pop()
    columns.append(repeat(None, count))  # waived: the waiver step comes later
    columns.append(repeat(None, count))  # baselined: so does the baseline step
    columns.append(role)
    columns.append(repeat((), count))  # companions: grouped for the report, after all of these
    return list(map(tuple.__new__, repeat(Finding), zip(*columns, strict=True)))


@dataclass(frozen=True)
class Streaming:
    """A report written as the findings come (``check_streamed``): each chunk's findings are
    rendered where they were judged, and only their bytes and counts travel."""

    #: what the report writes for each of a run of findings (a reporter's ``stream_pieces``)
    pieces: Callable[[list[Finding]], list[str]]
    #: the rules whose findings are reported (``--select``/``--ignore``); None: every rule's
    keep: frozenset[str] | None = None
    #: a report that keeps only this many findings, the most severe first (``findings.most_severe_first``):
    #: the chunks first send only counts, and the chunks holding kept findings are judged again to
    #: render those (``only``)
    cap: int | None = None
    #: the rules whose findings take the others on the same grant as companions
    #: (``engine/grouping.anchor_rules``); empty: no grouping
    anchors: frozenset[str] = frozenset()
    #: set by ``check_streamed`` for that second pass: the positions (in the chunk's sorted findings)
    #: to render, each as a piece of its own
    only: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Rendered:
    """A chunk's findings, sorted and rendered: one block of bytes, cut by path."""

    data: bytes
    #: the paths with findings, in order, and where each one's bytes end in ``data``
    paths: list[str]
    ends: list[int]
    #: where each path's findings begin in ``codes`` (one more entry: the end)
    starts: list[int]
    #: each finding's ``(rule, state, severity)`` (``findings.state_of``) as an index into ``kinds``
    codes: bytes
    kinds: list[Kind]
    #: ``ends`` is per finding rendered (a capped report's pieces), not per path
    each: bool = False


@dataclass(frozen=True)
class ChunkResult:
    """What a chunk sends back: nothing that grows with the organisation but its findings."""

    #: findings before waivers (``waived`` is always None), packed (``_pack``)
    packed: list[PackedFinding]
    #: (path, declared employee) of every file that parsed, in path order
    owners: list[tuple[str, str]]
    #: files the summary counts (each file that parsed or has a problem)
    files: int
    grants: int
    #: the files of employees named in the waiver register (the waiver step reads their grants)
    waiver_files: list[GrantsFile]
    #: with ``Streaming``: the findings rendered (``packed`` is then empty)
    rendered: Rendered | None = None
    #: with ``Streaming`` and a baseline in force: per path, the ``baseline.entry_id`` of each entry
    #: that covered one of its findings (the parent counts them, and drops a split employee's)
    baseline_used: dict[str, array[int]] = dataclasses.field(default_factory=dict)
    #: with ``Streaming``: the waivers (positions in the register) that matched a finding here
    waivers_used: tuple[int, ...] = ()


@dataclass(frozen=True)
class SplitResult:
    findings: list[Finding]
    files: int
    grants: int


def _sub_workspace(frame: Workspace, loaded: list[tuple[GrantsFile | None, list[LoadProblem]]],
                   before: tuple[LoadProblem, ...] = ()) -> Workspace:
    files: list[GrantsFile] = []
    problems: list[LoadProblem] = list(before)
    for gf, file_problems in loaded:
        problems.extend(file_problems)
        if gf is not None:
            files.append(gf)
    return dataclasses.replace(frame, files=tuple(files), problems=tuple(problems))


def _reported(findings: list[Finding], config: Config, streaming: Streaming) -> list[Finding]:
    """The findings a streamed report shows, sorted: ``engine.finish`` without a waiver register or
    a baseline (``streamable``) is the rules ``permgate.yaml`` turns off dropped, and the sort."""
    off = config.rules_off
    keep = streaming.keep
    if off or keep is not None:
        findings = [f for f in findings if f.rule not in off and (keep is None or f.rule in keep)]
    if streaming.anchors:  # grouped last, as the plain report is (``engine/grouping.py``)
        return list(grouped(sort_findings(findings), streaming.anchors))
    return sort_findings(findings)


#: ``Finding.sort_key`` but for ``or ""``, read by C code
_ORDER = operator.attrgetter("path", "line", "column", "rule", "employee", "permission", "message")


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """``sorted(findings, key=Finding.sort_key)``, with the key read by C code.  A comparison reaches
    ``employee`` or ``permission`` only between findings equal up to there, and one of None against
    a string raises: then the plain key sorts the list, untouched (``sorted`` works on a copy)."""
    try:
        return sorted(findings, key=_ORDER)
    except TypeError:
        return sorted(findings, key=Finding.sort_key)


def _kind(f: Finding) -> Kind:
    rule, state = state_of(f)
    return (rule, state, f.severity, tuple((c.rule, c.severity) for c in f.companions))


def render_chunk(findings: list[Finding], pieces: Callable[[list[Finding]], list[str]] | None) -> Rendered:
    """``findings`` (sorted) rendered by ``pieces``, one block cut by path (None: counted only)."""
    if any(map(_WAIVED, findings)) or any(map(_BASELINED, findings)) or any(map(_COMPANIONS, findings)):
        triples = list(map(_kind, findings))
    else:  # every finding active and alone: its state is its severity (read by C code)
        severities = list(map(_SEVERITY, findings))
        triples = list(zip(map(_RULE, findings), severities, severities, repeat(()), strict=False))
    index = {kind: i for i, kind in enumerate(dict.fromkeys(triples))}
    codes = array("H", map(index.__getitem__, triples))
    texts = pieces(findings) if pieces is not None else [""] * len(findings)
    paths: list[str] = []
    starts: list[int] = []
    at = 0
    for path, group in groupby(map(_PATH, findings)):  # one step a path, not a finding
        paths.append(path)
        starts.append(at)
        at += len(list(group))
    starts.append(at)
    blocks: list[bytes] = []
    ends: list[int] = []
    size = 0
    for a, b in pairwise(starts):
        block = "".join(texts[a:b]).encode("utf-8", "surrogateescape")
        size += len(block)
        blocks.append(block)
        ends.append(size)
    return Rendered(b"".join(blocks), paths, ends, starts, codes.tobytes(), list(index))


_PATH = operator.attrgetter("path")
_RULE = operator.attrgetter("rule")
_SEVERITY = operator.attrgetter("severity")
_WAIVED = operator.attrgetter("waived")
_BASELINED = operator.attrgetter("baselined")
_COMPANIONS = operator.attrgetter("companions")


def run_chunk(source: Source, frame: Workspace, config: Config, today: dt.date, rels: list[str],
              tuning: Tuning, streaming: Streaming | None = None) -> ChunkResult:
    """Load ``rels`` and judge them by every ``employee`` rule (their findings, before waivers);
    with ``streaming``, rendered (``Rendered``) rather than sent as findings."""
    loaded = [bulk.load_one(source, rel, config.max_file_bytes, tuning) for rel in rels]
    ws = _sub_workspace(frame, loaded)
    named = {w.employee for w in frame.waivers}
    shared: Shared = {}
    seen: dict[int, Any] = {}
    findings = engine.employee_findings(ws, config, today)  # alive while packed (``seen``)
    rendered = None
    baseline_used: dict[str, array[int]] = {}
    waivers_used: tuple[int, ...] = ()
    if streaming is not None:
        if frame.waivers:
            # an employee's findings and grants are all here (employee-closed), so the register marks
            # them as on the whole; the parent reports the register's own findings
            outcome = waivers.apply(ws, findings, engine.waivable_rules(frame), today, engine.employee_free_rules())
            findings, waivers_used = outcome.findings, tuple(sorted(outcome.used))
        if frame.baseline is not None and baselines.problem(frame.baseline, today,
                                                            baselines.max_days_of(frame.settings)) is None:
            # the employee's findings are all here (the chunk is employee-closed), so each entry's
            # count-down is the plain run's; the parent adds up what each entry covered
            baselines.mark(frame.baseline, findings, engine.waivable_rules(frame), by_path=baseline_used)
        reported = _reported(findings, config, streaming)
        if streaming.only is not None or (streaming.cap is not None and len(reported) <= streaming.cap // 8):
            # a capped report: the kept findings of the second pass, or all of a chunk with few, a piece each
            rendered = render_chunk(reported, None)
            chosen = reported if streaming.only is None else [reported[i] for i in streaming.only]
            texts = [t.encode("utf-8", "surrogateescape") for t in streaming.pieces(chosen)]
            ends = list(itertools.accumulate(map(len, texts)))
            rendered = dataclasses.replace(rendered, data=b"".join(texts), ends=ends, each=True)
        else:
            rendered = render_chunk(reported, None if streaming.cap is not None else streaming.pieces)
        findings = []
    return ChunkResult(
        rendered=rendered,
        packed=[_pack(f, shared, seen) for f in findings],
        owners=[(f.path, f.employee) for f in ws.files],
        files=sum(1 for gf, problems in loaded if gf is not None or problems),
        grants=sum(len(f.grants) for f in ws.files),
        waiver_files=[f for f in ws.files if f.employee in named],
        baseline_used=baseline_used,
        waivers_used=waivers_used,
    )


def chunk_size(total: int, jobs: int) -> int:
    """About eight chunks per worker (balance), within ``MIN_CHUNK_FILES``..``CHUNK_FILES``."""
    return max(MIN_CHUNK_FILES, min(CHUNK_FILES, total // (jobs * 8) or 1))


def cut(paths: list[str], size: int, jobs: int) -> list[list[str]]:
    """``paths`` in chunks of ``size``; with several workers the last ``jobs`` chunks' worth is cut
    four times finer, so that the workers run out of work at about the same moment."""
    total = len(paths)
    head = total - min(total, size * jobs) if jobs > 1 else total
    small = max(1, size // 4)
    return [paths[i:min(i + size, head)] for i in range(0, head, size)] + \
        [paths[i:i + small] for i in range(head, total, small)]


def _chunks(source: Source, frame: Workspace, config: Config, today: dt.date, chunks: list[list[str]],
            tuning: Tuning, jobs: int, streaming: Streaming | None = None) -> Iterator[tuple[int, ChunkResult]]:
    """Every chunk's result (in the order they finish) with its index.

    The workers are forked (``runtime.parallel``): they inherit the frame and the path list,
    and only results cross a pipe.  A chunk whose worker failed or died is judged again here,
    where an error shows as itself: never a hang, never a lost chunk.
    """
    quiet = Tuning(fast=tuning.fast, jobs=1, cache=tuning.cache)
    work = [functools.partial(run_chunk, source, frame, config, today, rels, quiet, streaming) for rels in chunks]
    # a worker builds only acyclic records, dropped with the chunk: no collector
    return parallel.imap(work, min(jobs, len(chunks)), ordered=False, setup=gc.disable)


def check_split(source: Source, frame: Workspace, config: Config, today: dt.date, paths: list[str],
                refused: list[tuple[str, str]], tuning: Tuning | None = None,
                chunk_files: int | None = None, problems: tuple[LoadProblem, ...] = ()) -> SplitResult:
    """Every finding of a plain ``check`` (no ``--base``) on the grants files ``paths``, sorted.

    ``frame`` is the workspace without grants files (``load_frame``), ``paths`` and
    ``refused`` what ``grants_paths`` listed, ``problems`` other files' (``.gitattributes``
    lines, ``permgate.load.attributes``); ``engine.check_config`` must have passed.
    ``tuning.jobs``: worker processes (None: one per core when there are at least
    ``bulk.PARALLEL_MIN_FILES`` files; 1: this process only); ``chunk_files`` forces the
    chunk size (tests use a tiny one).  ``tuning.progress`` hears of each finished chunk.
    """
    tuning = tuning or Tuning()
    total = len(paths)
    jobs = tuning.jobs
    if jobs is None:
        jobs = bulk.available_cores() if total >= bulk.PARALLEL_MIN_FILES else 1
    chunks = cut(paths, chunk_files or chunk_size(total, jobs), 1 if chunk_files else jobs)
    results: list[ChunkResult | None] = [None] * len(chunks)
    found: list[list[Finding]] = [[] for _ in chunks]
    shared: Shared = {}
    done = 0
    # employees whose files fall in more than one chunk: their chunks were not closed
    chunk_of: dict[str, int] = {}
    split: set[str] = set()
    for index, result in _chunks(source, frame, config, today, chunks, tuning, jobs):
        # all of this while the workers work on
        found[index] = _unpack(result.packed, shared)
        results[index] = dataclasses.replace(result, packed=[])  # hold each finding once
        for _, employee in result.owners:
            if chunk_of.setdefault(employee, index) != index:
                split.add(employee)
        done += len(chunks[index])
        if tuning.progress is not None:
            tuning.progress(done, total)
    if tuning.progress is not None and not chunks:
        tuning.progress(0, 0)
    finished = [r for r in results if r is not None]
    assert len(finished) == len(chunks)

    redo = [path for r in finished for path, employee in r.owners if employee in split] if split else []
    redo_paths = set(redo)
    findings = [f for batch in found for f in batch if f.path not in redo_paths] if redo_paths \
        else [f for batch in found for f in batch]
    refused_problems = (*problems, *(LoadProblem(path, 1, 1, why) for path, why in refused))
    if redo or refused_problems:
        quiet = Tuning(fast=tuning.fast, jobs=1, cache=tuning.cache)
        loaded = [bulk.load_one(source, rel, config.max_file_bytes, quiet) for rel in redo]
        findings.extend(engine.employee_findings(_sub_workspace(frame, loaded, refused_problems), config, today))

    if frame.reviews or frame.review_problems or frame.roles:  # reviews and roles.yaml: judged once, on the frame
        findings.extend(engine.review_findings(frame, config, today))
    waiver_ws = dataclasses.replace(frame, files=tuple(f for r in finished for f in r.waiver_files))
    counted = sum(r.files for r in finished) + (len({path for path, _ in refused} - set(paths)) if refused else 0)
    return SplitResult(
        findings=engine.finish(waiver_ws, findings, config, today),
        files=counted,
        grants=sum(r.grants for r in finished),
    )


class Declined(Exception):
    """The streamed check cannot place some finding in the report's order (two sources of findings
    share a path): the caller runs ``check_split`` instead, the plain path."""


def streamable(frame: Workspace) -> bool:
    """Whether ``check_streamed`` can judge this frame: ``engine.finish`` marks what the waivers and
    the baseline cover (per employee or path, which an employee-closed chunk can do alone:
    ``waivers.apply``, ``baseline.mark``), drops the rules turned off and sorts.  Every frame can."""
    return True


@dataclass(frozen=True)
class StreamedResult:
    """A plain ``check``'s findings as a stream of rendered bytes, in the report's order."""

    files: int
    grants: int
    #: ``{(rule, state): count}`` of the reported findings (``findings.state_of``)
    tally: Counter[tuple[str, str]]
    #: the report's findings part, piece by piece; read once, after which the spool is closed
    pieces: Iterator[bytes | memoryview]
    #: a capped report (``Streaming.cap``): the findings left out per rule, and the count of all
    capped: tuple[dict[str, int], int] | None = None


#: a run of the report: (path, chunk index, first byte, end byte), or (path, -1, findings) for findings
#: judged here (split employees, refused files, access reviews)
_Group = tuple[str, int, Any, Any]


def check_streamed(source: Source, frame: Workspace, config: Config, today: dt.date, paths: list[str],
                   refused: list[tuple[str, str]], streaming: Streaming, tuning: Tuning | None = None,
                   chunk_files: int | None = None, problems: tuple[LoadProblem, ...] = ()) -> StreamedResult:
    """``check_split`` whose findings are rendered by ``streaming.pieces`` in the chunks that judged
    them (in the workers), parked in a ``Spool`` as each chunk arrives, and read back in order:
    no process holds every finding, and this one holds no finding of a chunk.

    The findings of a chunk are sorted, and a path's findings all come from one chunk (or from this
    process: the files of employees split across chunks, refused files, review files), so the report
    is the path-ordered merge of those runs.  A path found in two places raises ``Declined``.
    Requires ``streamable(frame)``; the arguments are ``check_split``'s.
    """
    tuning = tuning or Tuning()
    total = len(paths)
    jobs = tuning.jobs
    if jobs is None:
        jobs = bulk.available_cores() if total >= bulk.PARALLEL_MIN_FILES else 1
    chunks = cut(paths, chunk_files or chunk_size(total, jobs), 1 if chunk_files else jobs)
    rendered: list[Rendered | None] = [None] * len(chunks)
    offsets = [0] * len(chunks)
    owners: list[list[tuple[str, str]]] = [[] for _ in chunks]
    counted = files = grants = done = 0
    spool = Spool()
    chunk_of: dict[str, int] = {}
    split: set[str] = set()
    baseline_used: list[dict[str, array[int]]] = []
    waivers_used: list[tuple[int, ...]] = []
    waiver_files: list[GrantsFile] = []
    try:
        for index, result in _chunks(source, frame, config, today, chunks, tuning, jobs, streaming):
            assert result.rendered is not None
            if result.baseline_used:
                baseline_used.append(result.baseline_used)
            if result.waivers_used:
                waivers_used.append(result.waivers_used)
            waiver_files.extend(result.waiver_files)
            offsets[index] = spool.add(result.rendered.data)
            rendered[index] = dataclasses.replace(result.rendered, data=b"")
            owners[index] = result.owners
            files += result.files
            grants += result.grants
            for _, employee in result.owners:
                if chunk_of.setdefault(employee, index) != index:
                    split.add(employee)
            done += len(chunks[index])
            if tuning.progress is not None:
                tuning.progress(done, total)
        if tuning.progress is not None and not chunks:
            tuning.progress(0, 0)
        redo = [path for chunk in owners for path, employee in chunk if employee in split] if split else []
        dropped = set(redo)
        refused_problems = (*problems, *(LoadProblem(path, 1, 1, why) for path, why in refused))
        here: list[Finding] = []
        if redo or refused_problems:
            quiet = Tuning(fast=tuning.fast, jobs=1, cache=tuning.cache)
            loaded = [bulk.load_one(source, rel, config.max_file_bytes, quiet) for rel in redo]
            here.extend(engine.employee_findings(_sub_workspace(frame, loaded, refused_problems), config, today))
        if frame.reviews or frame.review_problems or frame.roles:  # reviews and roles.yaml, on the frame
            here.extend(engine.review_findings(frame, config, today))
        used: Counter[int] = Counter()
        for chunk_used in baseline_used:  # what the baseline covered in the chunks, but split employees'
            for path, ids in chunk_used.items():
                if path not in dropped:
                    used.update(ids)
        register = frame.waivers
        waived = {i for chunk_waived in waivers_used for i in chunk_waived if register[i].employee not in split}
        # the waiver step reads the grants of the employees the register names (check_split's ``waiver_ws``)
        waiver_ws = dataclasses.replace(frame, files=tuple(waiver_files)) if register else frame
        try:
            here = _reported(engine.finish(waiver_ws, here, config, today, used, waived), config, streaming)
        except (baselines.OverCounted, waivers.UsedElsewhereInvalid) as err:
            # an entry counted down in two places, or a waiver a chunk judged valid on part of the
            # grants: never mark a finding the plain run would not
            raise Declined(str(err)) from None
        counted = files + (len({path for path, _ in refused} - set(paths)) if refused else 0)

        runs: list[list[_Group]] = []
        counts: Counter[Kind] = Counter(map(_kind, here))
        codes_of: list[array[int]] = []
        for index, r in enumerate(rendered):
            assert r is not None
            kinds = r.kinds
            codes = array("H")
            codes.frombytes(r.codes)
            codes_of.append(codes)
            run: list[_Group] = []
            start = 0
            for i, path in enumerate(r.paths):
                if streaming.cap is not None:  # the positions of the path's findings
                    if path not in dropped:
                        run.append((path, index, r.starts[i], r.starts[i + 1]))
                else:
                    end = r.ends[i]
                    if path not in dropped:
                        run.append((path, index, offsets[index] + start, offsets[index] + end))
                    start = end
                if path in dropped:  # counted below, then taken off
                    for code, n in Counter(codes[r.starts[i]:r.starts[i + 1]]).items():
                        counts[kinds[code]] -= n
            for code, n in Counter(codes).items():  # one count over the chunk, in C
                counts[kinds[code]] += n
            runs.append(run)
        counts = +counts  # no kind whose findings were all dropped
        tally: Counter[tuple[str, str]] = Counter()
        for (rule, state, _, companions), n in counts.items():
            tally[rule, state] += n
            for companion, severity in companions:
                tally[companion, COMPANION + severity] += n
        mine: list[_Group] = []
        for f in here:
            if mine and mine[-1][0] == f.path:
                mine[-1][2].append(f)
            else:
                mine.append((f.path, -1, [f], None))
        runs.append(mine)
        seen: set[str] = set()
        for run in runs:
            for group in run:
                if group[0] in seen:
                    raise Declined(group[0])
                seen.add(group[0])
        if streaming.cap is not None:
            kept, capped = _capped(source, frame, config, today, chunks, tuning, jobs, streaming, runs, rendered,
                                   codes_of, counts, spool, offsets)
            spool.close()
            return StreamedResult(counted, grants, tally, iter(kept), capped)
    except BaseException:
        spool.close()
        raise
    return StreamedResult(counted, grants, tally, _pieces(spool, runs, streaming.pieces))


def _rank(kind: Kind) -> int:
    """``findings.most_severe_first``'s class of a finding of this kind: errors, warnings, notes, waived."""
    return 0 if kind[1] == "waived" else -SEVERITY_RANK[kind[2]]


def _capped(source: Source, frame: Workspace, config: Config, today: dt.date, chunks: list[list[str]],
            tuning: Tuning, jobs: int, streaming: Streaming, runs: list[list[_Group]],
            rendered: list[Rendered | None], codes_of: list[array[int]], counts: Counter[Kind],
            spool: Spool, offsets: list[int]) -> tuple[list[bytes], tuple[dict[str, int], int]]:
    """The pieces of the findings a capped report keeps, in order, and (findings left out per rule,
    all findings): ``findings.most_severe_first``'s first ``cap``, found from the counts alone; the
    chunks that hold any are judged again (in the workers) to render just those."""
    assert streaming.cap is not None
    total = sum(counts.values())
    quota: dict[int, int] = {}
    left = streaming.cap
    for rank in sorted({_rank(k) for k in counts}):
        quota[rank] = min(left, sum(n for k, n in counts.items() if _rank(k) == rank))
        left -= quota[rank]
    taken = dict.fromkeys(quota, 0)
    need = sum(quota.values())
    order: list[tuple[int, Any]] = []  # (chunk, position) or (-1, finding), in the report's order
    wanted: dict[int, list[int]] = {}
    by_rule: Counter[str] = Counter()
    for _, index, a, b in heapq.merge(*runs, key=itemgetter(0)):
        if need == 0:
            break
        if index < 0:
            for f in a:
                rank = _rank(_kind(f))
                if taken[rank] < quota[rank]:
                    taken[rank] += 1
                    need -= 1
                    order.append((-1, f))
                    by_rule[f.rule] += 1
            continue
        r = rendered[index]
        assert r is not None
        ranks = [_rank(k) for k in r.kinds]
        codes = codes_of[index]
        for i in range(a, b):
            code = codes[i]
            rank = ranks[code]
            if taken[rank] < quota[rank]:
                taken[rank] += 1
                need -= 1
                order.append((index, i))
                wanted.setdefault(index, []).append(i)
                by_rule[r.kinds[code][0]] += 1
    omitted: Counter[str] = Counter()
    for (rule, _, _, _), n in counts.items():
        omitted[rule] += n
    omitted.subtract(by_rule)
    pieces: dict[tuple[int, int], bytes] = {}
    for index, positions in wanted.items():
        r = rendered[index]
        assert r is not None
        if r.each:  # rendered whole in the first pass
            for position in positions:
                start = r.ends[position - 1] if position else 0
                pieces[index, position] = bytes(spool.read(offsets[index] + start, r.ends[position] - start))
    wanted = {index: positions for index, positions in wanted.items() if not getattr(rendered[index], "each", False)}
    if wanted:
        quiet = Tuning(fast=tuning.fast, jobs=1, cache=tuning.cache)
        ids = sorted(wanted)
        work = [functools.partial(run_chunk, source, frame, config, today, chunks[i], quiet,
                                  dataclasses.replace(streaming, only=tuple(wanted[i]))) for i in ids]
        for at, result in parallel.imap(work, min(jobs, len(work)), ordered=False, setup=gc.disable):
            index, again = ids[at], result.rendered
            first = rendered[index]
            assert again is not None and first is not None
            if again.codes != first.codes or again.kinds != first.kinds or again.paths != first.paths:
                raise Declined(f"chunk {index} judged differently the second time (a file changed meanwhile?)")
            start = 0
            for position, end in zip(wanted[index], again.ends, strict=True):
                pieces[index, position] = again.data[start:end]
                start = end
    kept = [pieces[index, at] if index >= 0
            else "".join(streaming.pieces([at])).encode("utf-8", "surrogateescape") for index, at in order]
    return kept, ({rule: n for rule, n in omitted.items() if n > 0}, total)


#: the largest piece read back from the spool at once
_READ_BYTES = 16 << 20


def _pieces(spool: Spool, runs: list[list[_Group]],
            pieces: Callable[[list[Finding]], list[str]]) -> Iterator[bytes | memoryview]:
    """The report's findings part: the runs merged by path, adjacent ranges of one chunk read at once."""
    try:
        pending: tuple[int, int] | None = None
        for _, index, a, b in heapq.merge(*runs, key=itemgetter(0)):
            if index >= 0:
                if pending is not None and pending[1] == a and b - pending[0] <= _READ_BYTES:
                    pending = (pending[0], b)
                    continue
                if pending is not None:
                    yield spool.read(pending[0], pending[1] - pending[0])
                pending = (a, b)
                continue
            if pending is not None:
                yield spool.read(pending[0], pending[1] - pending[0])
                pending = None
            yield "".join(pieces(a)).encode("utf-8", "surrogateescape")
        if pending is not None:
            yield spool.read(pending[0], pending[1] - pending[0])
    finally:
        spool.close()


@dataclass(frozen=True)
class JobResult:
    """What a chunk of ``per_chunk`` sends back: the job's value, and what says whether it can be trusted."""

    #: (path, declared employee) of every file that parsed, in path order
    owners: list[tuple[str, str]]
    #: the paths outside the chunk that its findings are located in
    foreign: list[str]
    value: Any


def run_job_chunk(source: Source, frame: Workspace, config: Config, today: dt.date, rels: list[str],
                  tuning: Tuning, job: Callable[[Workspace, list[Finding]], Any], judge: bool = True) -> JobResult:
    """Load ``rels``, judge them by every ``employee`` rule (unless not ``judge``), and hand the chunk and its
    findings (the rules ``permgate.yaml`` turns off dropped, sorted as ``engine.finish`` sorts them) to ``job``."""
    loaded = [bulk.load_one(source, rel, config.max_file_bytes, tuning) for rel in rels]
    ws = _sub_workspace(frame, loaded)
    findings = engine.employee_findings(ws, config, today) if judge else []
    off = config.rules_off
    if off:
        findings = [f for f in findings if f.rule not in off]
    mine = set(rels)
    foreign = sorted({f.path for f in findings} - mine)
    return JobResult([(f.path, f.employee) for f in ws.files], foreign, job(ws, sort_findings(findings)))


def per_chunk(source: Source, frame: Workspace, config: Config, today: dt.date, paths: list[str],
              job: Callable[[Workspace, list[Finding]], Any], tuning: Tuning | None = None,
              chunk_files: int | None = None, arrive: Callable[[Any], Any] | None = None,
              judge: bool = True) -> list[Any] | None:
    """``job(chunk, its findings)`` for each chunk of the grants files ``paths``, in the workers, in path
    order (each passed through ``arrive`` here as it comes, in the order the chunks finish: to park a
    large value, say); or None when a chunk's findings may not be the whole run's findings in its files (the caller
    then takes its plain path over the whole workspace and ``engine.evaluate``):

    - a waiver register or a baseline: the job gets the findings before either marks them;
    - an employee whose files fall in two chunks (the chunks are not employee-closed: ``rules/base.SCOPES``);
    - a finding of one chunk located in a grants file of another;
    - ``paths`` not in ascending order (a job may rely on the chunks' values following each other by path).

    ``judge=False``: no rule runs (the job gets no findings; only the split employees and the order decline).

    On an employee-closed chunk every ``employee`` rule gives exactly the full run's findings in its files
    (``tests/rules/test_scope.py``); the rules of the other scopes find nothing in a grants file without
    ``--base`` or ``--actual`` (reviews, ``roles.yaml``, the waiver step: their own files).  So a job that
    reads only its chunk's grants and their findings computes what it would on the whole workspace
    (``review open``: ``tests/commands/test_review.py::test_review_open_in_chunks_equals_the_plain_way``).
    """
    if (judge and (frame.waivers or frame.baseline is not None)) or any(a >= b for a, b in pairwise(paths)):
        return None
    tuning = tuning or Tuning()
    total = len(paths)
    jobs = tuning.jobs
    if jobs is None:
        jobs = bulk.available_cores() if total >= bulk.PARALLEL_MIN_FILES else 1
    chunks = cut(paths, chunk_files or chunk_size(total, jobs), 1 if chunk_files else jobs)
    quiet = Tuning(fast=tuning.fast, jobs=1, cache=tuning.cache)
    work = [functools.partial(run_job_chunk, source, frame, config, today, rels, quiet, job, judge) for rels in chunks]
    results: list[JobResult | None] = [None] * len(chunks)
    chunk_of: dict[str, int] = {}
    declined = False
    for index, result in parallel.imap(work, min(jobs, len(chunks)), ordered=False, setup=gc.disable):
        results[index] = result if arrive is None else dataclasses.replace(result, value=arrive(result.value))
        for _, employee in result.owners:
            if chunk_of.setdefault(employee, index) != index:
                declined = True
    if declined:
        return None
    known = set(paths)
    finished = [r for r in results if r is not None]
    assert len(finished) == len(chunks)
    if any(path in known for r in finished for path in r.foreign):
        return None
    return [r.value for r in finished]
