"""Loading many grants files at once: over the cores, through the cache, with progress.

Each file is loaded exactly as ``load_grants_file`` loads it alone (the canonical fast
path, else the full strict path); this module only decides *where* that happens:

- in worker processes when the repository is large (``runtime.parallel``: forked workers
  inherit the file list and the source, so nothing but results crosses a pipe);
- a file the fast path accepted travels back as plain tuples, which pickle several
  times faster than ``Grant`` objects and become ``Grant`` again through one C call;
- a file that needed the full path may be answered from the cache (``permgate.runtime.cache``),
  keyed by its content, so a warm run re-parses only what changed.

The result is in the order of ``rels`` whatever the number of workers, so findings never
depend on how the work was split.
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from permgate.errors import LoadError
from permgate.load import canonical, files, quick
from permgate.load.grants import Loaded, load_grants_text
from permgate.load.source import FsSource, Source
from permgate.load.yamldoc import decode
from permgate.model import Grant, GrantsFile, LoadProblem, Loc
from permgate.runtime import parallel

#: Below this many files one process is faster than starting workers.
PARALLEL_MIN_FILES = 3000

Progress = Callable[[int, int], None]


class ParseCache(Protocol):
    """What the loader needs from a cache of full-path results (``permgate.runtime.cache.Cache``)."""

    def get(self, data: bytes, rel: str) -> Loaded | None: ...

    def put(self, data: bytes, rel: str, loaded: Loaded) -> None: ...


@dataclass(frozen=True)
class Tuning:
    """How to load: none of these change a finding, only how fast it is found.

    ``fast``: try the canonical-layout recogniser before the full path; ``jobs``: worker
    processes (None: as many as cores when the repository is large, 1: none);
    ``cache``: answers for files that need the full path.
    """

    fast: bool = True
    jobs: int | None = None
    cache: ParseCache | None = None
    progress: Progress | None = None


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _read(source: Source, rel: str, max_bytes: int) -> bytes:
    if isinstance(source, FsSource):
        return files.read_walked(source.root, rel, max_bytes)
    return source.read_bytes(rel, max_bytes)


# One packed result per file: ("F", rel, employee, employee_line, rows) for the fast path,
# where rows are Grant fields as plain tuples, or ("S", GrantsFile | None, problems).
Packed = tuple[Any, ...]


def _load_one(source: Source, rel: str, max_bytes: int, tuning: Tuning) -> Loaded:
    try:
        data = _read(source, rel, max_bytes)
    except LoadError as err:
        return None, [LoadProblem(rel, err.line, err.column, err.detail)]
    return _load_data(data, rel, tuning)


def read_one(source: Source, rel: str, max_bytes: int) -> bytes:
    """The bytes of ``rel`` as ``load_many`` reads them; ``LoadError`` when it cannot."""
    return _read(source, rel, max_bytes)


def load_data(data: bytes, rel: str, tuning: Tuning | None = None) -> Loaded:
    """A file whose bytes ``read_one`` gave, loaded as ``load_many`` loads it."""
    return _load_data(data, rel, tuning or Tuning())


def _load_data(data: bytes, rel: str, tuning: Tuning) -> Loaded:
    """``_load_one`` of a file whose bytes are read."""
    try:
        text = decode(data, rel)
    except LoadError as err:
        return None, [LoadProblem(rel, err.line, err.column, err.detail)]
    if tuning.fast:
        gf = canonical.grants_file(text, rel)
        if gf is not None:
            return gf, []
    cache = tuning.cache
    if cache is not None:
        hit = cache.get(data, rel)
        if hit is not None:
            return hit
    loaded = load_grants_text(text, rel)
    if cache is not None:
        cache.put(data, rel, loaded)
    return loaded


def _pack(loaded: Loaded) -> Packed:
    gf, problems = loaded
    if gf is not None and not problems and not gf.role_grants:
        return ("F", gf.path, gf.employee, gf.employee_loc.line, gf.employee_loc.column,
                [tuple(g) for g in gf.grants])
    return ("S", gf, problems)


_make_grant = functools.partial(tuple.__new__, Grant)


def _unpack(packed: Packed) -> Loaded:
    if packed[0] == "F":
        _, rel, employee, line, column, rows = packed
        return GrantsFile(rel, employee, Loc(rel, line, column), tuple(map(_make_grant, rows))), []
    return packed[1], packed[2]


def _load_span(source: Source, rels: list[str], max_bytes: int, tuning: Tuning, start: int,
               end: int) -> list[Packed]:
    """The files ``rels[start:end]``, packed: one job of ``_parallel``."""
    return [_pack(_load_one(source, rel, max_bytes, tuning)) for rel in rels[start:end]]


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cycle collector: a large run allocates millions of acyclic tuples and the
    collector would rescan them again and again."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def load_many(source: Source, rels: list[str], max_bytes: int, tuning: Tuning | None = None) -> list[Loaded]:
    """Load every file of ``rels``; the results are in the order of ``rels``."""
    tuning = tuning or Tuning()
    total = len(rels)
    jobs = tuning.jobs
    if jobs is None:
        jobs = available_cores() if total >= PARALLEL_MIN_FILES else 1
    progress = tuning.progress
    out: list[Loaded] = []
    with no_gc():
        if jobs <= 1 or total < 2 or not parallel.can_fork():
            for i, rel in enumerate(rels):
                out.append(_load_one(source, rel, max_bytes, tuning))
                if progress is not None and i % 1000 == 999:
                    progress(i + 1, total)
        else:
            _parallel(source, rels, max_bytes, tuning, jobs, out)
    if progress is not None:
        progress(total, total)
    return out


def _parallel(source: Source, rels: list[str], max_bytes: int, tuning: Tuning, jobs: int,
              out: list[Loaded]) -> None:
    total = len(rels)
    # chunks small enough to balance and report progress, large enough to amortise the pipe
    size = max(200, min(2000, total // (jobs * 8) or 1))
    # workers share the cache through its files (atomic writes), not through memory
    worker_tuning = Tuning(fast=tuning.fast, jobs=1, cache=tuning.cache)
    # forked workers inherit the source and the path list: only packed results cross a pipe
    work = [functools.partial(_load_span, source, rels, max_bytes, worker_tuning, i, min(i + size, total))
            for i in range(0, total, size)]
    # the worker only allocates; nothing it builds is cyclic
    for _, packed_chunk in parallel.imap(work, jobs, ordered=True, setup=gc.disable):
        out.extend(map(_unpack, packed_chunk))
        if tuning.progress is not None:
            tuning.progress(len(out), total)


# One result per file of ``grants_of_many``: the grants of the permission as plain tuples, the
# file's problems, and the whole file when it has role entries (expanded by the caller, who has
# the roles; its grants are not among the tuples).
Holdings = tuple[list[tuple[Any, ...]], list[LoadProblem], GrantsFile | None]


def _holdings_one(source: Source, rel: str, max_bytes: int, tuning: Tuning, permission: str,
                  entry: bytes) -> Holdings:
    """The grants of ``permission`` in ``rel`` and the file's problems, as ``_load_one`` finds them:
    from the bytes (``load.quick``) when they are a recognised file, else by loading it."""
    try:
        data = _read(source, rel, max_bytes)
    except LoadError as err:
        return [], [LoadProblem(rel, err.line, err.column, err.detail)], None
    if tuning.fast:
        hits = quick.grants_of(data, rel, entry)
        if hits is not None:
            return [tuple(g) for g in hits], [], None
    gf, problems = _load_data(data, rel, tuning)
    if gf is not None and gf.role_grants:
        return [], problems, gf
    return ([tuple(g) for g in gf.grants if g.permission == permission] if gf is not None else []), problems, None


def _holdings_span(source: Source, rels: list[str], max_bytes: int, tuning: Tuning, permission: str,
                   start: int, end: int) -> list[Holdings]:
    entry = quick.entry_line(permission)
    return [_holdings_one(source, rel, max_bytes, tuning, permission, entry) for rel in rels[start:end]]


def grants_of_many(source: Source, rels: list[str], max_bytes: int, permission: str,
                   tuning: Tuning | None = None) -> tuple[list[Grant], list[LoadProblem], list[GrantsFile]]:
    """The direct grants of ``permission`` in the files ``rels``, every file's problems, and the files
    with role entries whole (their grants are not in the first list: the caller expands them with
    the roles), in the order of ``rels``: what ``load_many`` gives, filtered, without building the
    other grants.  Only these cross the workers' pipes."""
    tuning = tuning or Tuning()
    total = len(rels)
    jobs = tuning.jobs
    if jobs is None:
        jobs = available_cores() if total >= PARALLEL_MIN_FILES else 1
    size = max(200, min(2000, total // (max(jobs, 1) * 8) or 1))
    worker_tuning = Tuning(fast=tuning.fast, jobs=1, cache=tuning.cache)
    work = [functools.partial(_holdings_span, source, rels, max_bytes, worker_tuning, permission, i,
                              min(i + size, total))
            for i in range(0, total, size)]
    grants: list[Grant] = []
    problems: list[LoadProblem] = []
    with_roles: list[GrantsFile] = []
    with no_gc():
        for _, chunk in parallel.imap(work, jobs if total >= 2 else 1, ordered=True, setup=gc.disable):
            for rows, file_problems, whole in chunk:
                grants.extend(map(_make_grant, rows))
                problems.extend(file_problems)
                if whole is not None:
                    with_roles.append(whole)
    return grants, problems, with_roles


def _mentions_span(source: Source, rels: list[str], needles: tuple[bytes, ...], max_bytes: int, start: int,
                   end: int) -> list[int]:
    """The positions in ``rels[start:end]`` of the files that may hold one of ``needles``."""
    if isinstance(source, FsSource) and _NOFOLLOW:
        return _mentions_span_fs(source.root, rels, needles, max_bytes, start, end)
    out = []
    for i in range(start, end):
        try:
            data = _read(source, rels[i], max_bytes)
        except LoadError:
            out.append(i)  # unreadable: loading it says why
            continue
        if any(n in data for n in needles):
            out.append(i)
    return out


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _mentions_span_fs(root: str, rels: list[str], needles: tuple[bytes, ...], max_bytes: int, start: int,
                      end: int) -> list[int]:
    """``_mentions_span`` in the working tree, with one ``open`` and one ``read`` a file.

    A file is left out only when the first ``max_bytes + 1`` bytes a plain ``read`` gives hold
    no needle; anything the read cannot answer (a symlink, which the loader may follow; an
    error) keeps the file, and the loader says what it is.  Leaving out a file that is not a
    regular one (a FIFO reads empty here) or is over the size cap changes nothing: the loader
    refuses it with a problem that names no employee, which the scoped read drops."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _NOFOLLOW
    prefix = os.path.join(root, "")
    want = max_bytes + 1
    out = []
    for i in range(start, end):
        try:
            fd = os.open(prefix + rels[i], flags)
        except OSError:
            out.append(i)
            continue
        try:
            data = os.read(fd, want)
        except OSError:
            out.append(i)
            continue
        finally:
            os.close(fd)
        for n in needles:
            if n in data:
                out.append(i)
                break
    return out


def mentioning(source: Source, rels: list[str], needles: tuple[bytes, ...], max_bytes: int,
               tuning: Tuning | None = None) -> list[str]:
    """The files of ``rels`` (in their order) that contain one of ``needles`` literally or cannot
    be read: the only ones that can hold an id among ``needles`` when a backslash (a double-quoted
    escape could spell an id without its letters) is one of them.  Read over the cores."""
    tuning = tuning or Tuning()
    total = len(rels)
    jobs = tuning.jobs
    if jobs is None:
        jobs = available_cores() if total >= PARALLEL_MIN_FILES else 1
    size = max(500, min(5000, total // (max(jobs, 1) * 4) or 1))
    work = [functools.partial(_mentions_span, source, rels, needles, max_bytes, i, min(i + size, total))
            for i in range(0, total, size)]
    return [rels[i] for _, chunk in parallel.imap(work, jobs, ordered=True) for i in chunk]


def load_one(source: Source, rel: str, max_bytes: int, tuning: Tuning | None = None) -> Loaded:
    """One file, exactly as ``load_many`` loads it (for callers that spread work their own way)."""
    return _load_one(source, rel, max_bytes, tuning or Tuning())
