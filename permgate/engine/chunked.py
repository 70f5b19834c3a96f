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
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any

from permgate.config import Config
from permgate.engine import evaluation as engine
from permgate.findings import Finding, Related
from permgate.load import bulk
from permgate.load.bulk import Tuning
from permgate.load.source import Source
from permgate.model import GrantsFile, LoadProblem, Workspace
from permgate.runtime import parallel

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
#: how each field of a ``Finding`` is set, in field order (the slots' own setters)
_SETTERS = [Finding.__dict__[f.name].__set__ for f in dataclasses.fields(Finding)]
_RELATED_KEY = itemgetter(8)


def _unpack(packed: list[PackedFinding], shared: Shared) -> list[Finding]:
    """The findings ``packed`` (``_pack``): equal to ``Finding(*p[:8], related)``, built field by
    field by C code rather than through the frozen dataclass's ``__init__`` (one
    ``object.__setattr__`` per field), which took this process longer than the workers' pickling."""
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
    findings = list(map(object.__new__, repeat(Finding, count)))
    for setter, column in zip(_SETTERS, columns, strict=True):
        deque(map(setter, findings, column), maxlen=0)
    return findings


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


def run_chunk(source: Source, frame: Workspace, config: Config, today: dt.date, rels: list[str],
              tuning: Tuning) -> ChunkResult:
    """Load ``rels`` and judge them by every ``employee`` rule (their findings, before waivers)."""
    loaded = [bulk.load_one(source, rel, config.max_file_bytes, tuning) for rel in rels]
    ws = _sub_workspace(frame, loaded)
    named = {w.employee for w in frame.waivers}
    shared: Shared = {}
    seen: dict[int, Any] = {}
    findings = engine.employee_findings(ws, config, today)  # alive while packed (``seen``)
    return ChunkResult(
        packed=[_pack(f, shared, seen) for f in findings],
        owners=[(f.path, f.employee) for f in ws.files],
        files=sum(1 for gf, problems in loaded if gf is not None or problems),
        grants=sum(len(f.grants) for f in ws.files),
        waiver_files=[f for f in ws.files if f.employee in named],
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
            tuning: Tuning, jobs: int) -> Iterator[tuple[int, ChunkResult]]:
    """Every chunk's result (in the order they finish) with its index.

    The workers are forked (``runtime.parallel``): they inherit the frame and the path list,
    and only results cross a pipe.  A chunk whose worker failed or died is judged again here,
    where an error shows as itself: never a hang, never a lost chunk.
    """
    quiet = Tuning(fast=tuning.fast, jobs=1, cache=tuning.cache)
    work = [functools.partial(run_chunk, source, frame, config, today, rels, quiet) for rels in chunks]
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
