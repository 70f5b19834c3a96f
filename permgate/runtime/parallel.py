"""Run independent jobs in forked worker processes: permgate's one way to use several cores.

Users: ``load.bulk.load_many`` (chunks of grants files, in input order, with progress),
``engine.chunked`` (chunks judged by the ``employee`` rules, taken as they finish),
``change.base_index`` (the employees each base file declares), ``engine.evaluation``
(rules on two cores: ``run_jobs``) and ``commands.check`` (the grants folder listed while
``people.yaml`` is parsed: ``Ahead``).

How: a job is any closure.  The workers are forked copies of this process, so they inherit
the jobs and everything the jobs reach (the workspace, the path list, the source) without
pickling any of it.  They take job numbers from one shared pipe as they finish one, so a
slow job does not leave a core idle.  Only results travel back: pickled, framed (job
number, kind, length) on each worker's own pipe, and read here through ``selectors`` as
they arrive, so no worker is left blocked on a full pipe while this process waits on
another.  ``imap`` yields ``(job number, value)`` in job order or as they finish;
``run_jobs`` and ``Ahead`` are built on the same core (``_Crew``).

The failure rule: a worker that dies (a signal, the OOM killer, ``os._exit``) or whose job
raises never hangs the caller and never yields a silent partial result.  Every job a
worker did not deliver is run again in this process, the plain path, where a real error
raises as it would without workers.  Each worker announces a job before starting it, so
the job of a dead worker is re-run as soon as its pipe closes; any job still undelivered
when every worker has ended (one taken by a worker killed before it could say so) is run
here then.  A caller that stops early (its own error) kills the workers it started.

What this buys over ``concurrent.futures.ProcessPoolExecutor`` (and ``multiprocessing.Pool``,
which the loader and the base index used before), measured on the 100,000-employee
generated organisation (``benchmarks/gen_org.py``, the shared 2-core machine):

- inheritance instead of pickling, and no module-global job state: the stdlib pools take a
  picklable function, so with the ``fork`` start method the callers parked their inputs in
  module globals, and with ``spawn``/``forkserver`` each worker would be sent the list of
  100,000 paths (3.9 MB pickled: 0.13 s to pickle, 0.04 s to load) and, for the split
  check, the frame of 100,000 people (5.7 MB: 2.6-3.3 s to pickle, 1.7-2.5 s to load);
- a dead worker costs one job: ``Pool.imap`` never returns when a worker dies (a full
  ``check --base``, ``report``, ``who-can`` that hangs the CI job until its timeout);
  ``ProcessPoolExecutor`` marks the pool broken and fails every pending job, which the
  caller then had to run one after the other here;
- results framed on one pipe per worker and read by the consumer itself: the pools send
  every result through one shared queue with helper threads on both sides.  The same
  work costs the same CPU time as with the pools (docs/performance.md, item 9).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import selectors
import signal
import struct
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_QUEUE = struct.Struct("<I")  # 4 bytes a job number: a pipe read never splits one
_FRAME = struct.Struct("<IBQ")  # job number, kind, length of the pickled value that follows
_TOOK, _DONE, _FAILED = 0, 1, 2
_PIPE_BYTES = 1 << 20  # a result pipe this large lets a worker write a whole chunk unblocked
_PIPE_BUF = 4096  # writes of at most this size to a pipe are all or nothing


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Fork is safe here (not macOS, where system libraries may not survive it) and useful."""
    return hasattr(os, "fork") and sys.platform != "darwin" and _cores() >= 2


def _grow(fd: int, size: int) -> None:
    with contextlib.suppress(OSError):  # over the system's limit: the default size works, only slower
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), size)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _serve(jobs: Sequence[Callable[[], Any]], queue: int, out: int,
           setup: Callable[[], object] | None) -> None:
    """The worker's life: take job numbers from ``queue`` until it is empty, send each result on ``out``."""
    if setup is not None:
        setup()
    while raw := os.read(queue, _QUEUE.size):
        (index,) = _QUEUE.unpack(raw)
        os.write(out, _FRAME.pack(index, _TOOK, 0))
        try:
            data = pickle.dumps(jobs[index](), protocol=pickle.HIGHEST_PROTOCOL)
            kind = _DONE
        except BaseException as err:  # this process runs it again and shows the error
            data, kind = b"", _FAILED
            stop = not isinstance(err, Exception)  # KeyboardInterrupt, SystemExit: stop taking jobs
        else:
            stop = False
        os.write(out, _FRAME.pack(index, kind, len(data)))
        _write_all(out, data)
        if stop:
            break


class _Worker:
    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.buf = bytearray()
        self.holding: int | None = None  # the job it announced and has not delivered


class _Crew:
    """Workers forked now on ``jobs``; ``results`` hands out every job's value exactly once,
    running here each job a worker did not deliver."""

    def __init__(self, jobs: Sequence[Callable[[], Any]], workers: int,
                 setup: Callable[[], object] | None = None) -> None:
        self.jobs = jobs
        self.settled = [False] * len(jobs)  # delivered by a worker, or taken to run here
        self.ready: deque[tuple[int, Any]] = deque()
        self.redo: deque[int] = deque()  # failed or lost in a worker: to run here
        self.live: dict[int, _Worker] = {}
        self.selector = selectors.DefaultSelector()
        self.queue_r, queue_w = os.pipe()
        todo = b"".join(_QUEUE.pack(i) for i in range(len(jobs)))
        _grow(queue_w, len(todo))
        os.set_blocking(queue_w, False)
        self.unsent = memoryview(todo)
        self._pump(queue_w)
        self.queue_w: int | None = queue_w
        if self.unsent:  # more jobs than the pipe holds: the rest is written as workers take some
            self.selector.register(queue_w, selectors.EVENT_WRITE)
        else:
            self._close_queue()
        sys.stdout.flush()
        sys.stderr.flush()
        for _ in range(workers):
            read, write = os.pipe()
            _grow(write, _PIPE_BYTES)
            try:
                pid = os.fork()
            except OSError:  # no process to spare: fewer workers, or none and every job here
                os.close(read)
                os.close(write)
                break
            if pid == 0:  # the worker
                code = 0
                try:
                    os.close(read)
                    for fd in (self.queue_w, *self.live):
                        if fd is not None:
                            os.close(fd)
                    _serve(jobs, self.queue_r, write, setup)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            os.close(write)
            os.set_blocking(read, False)
            self.live[read] = _Worker(pid, read)
            self.selector.register(read, selectors.EVENT_READ)

    def _pump(self, queue_w: int) -> None:
        while self.unsent:
            try:
                sent = os.write(queue_w, self.unsent[:_PIPE_BUF])
            except BlockingIOError:
                return
            self.unsent = self.unsent[sent:]

    def _close_queue(self) -> None:
        if self.queue_w is not None:
            os.close(self.queue_w)
            self.queue_w = None

    def take(self) -> int | None:
        """A job from the queue for this process, once the queue is whole (None: none left)."""
        if self.queue_w is not None:
            return None
        raw = os.read(self.queue_r, _QUEUE.size)
        if not raw:
            return None
        index: int = _QUEUE.unpack(raw)[0]
        self.settled[index] = True
        return index

    def wait(self, block: bool) -> None:
        """Read what the workers have sent; with ``block``, wait until something arrives."""
        if not self.live:
            return  # nothing left that could arrive (``results`` then runs what is missing here)
        for key, _ in self.selector.select(None if block else 0):
            fd = key.fd
            if fd == self.queue_w:
                self._pump(fd)
                if not self.unsent:
                    self.selector.unregister(fd)
                    self._close_queue()
                continue
            worker = self.live[fd]
            try:
                data = os.read(fd, _PIPE_BYTES)
            except BlockingIOError:
                continue
            if data:
                worker.buf += data
                self._frames(worker)
            else:
                self._ended(worker)

    def _frames(self, worker: _Worker) -> None:
        buf = worker.buf
        start = 0
        while len(buf) - start >= _FRAME.size:
            index, kind, length = _FRAME.unpack_from(buf, start)
            end = start + _FRAME.size + length
            if len(buf) < end:
                break
            if kind == _TOOK:
                worker.holding = index
            else:
                worker.holding = None
                self.settled[index] = True
                if kind == _DONE:
                    with memoryview(buf) as whole, whole[start + _FRAME.size:end] as value:
                        self.ready.append((index, pickle.loads(value)))
                else:
                    self.redo.append(index)
            start = end
        del buf[:start]

    def _ended(self, worker: _Worker) -> None:
        self.selector.unregister(worker.fd)
        os.close(worker.fd)
        del self.live[worker.fd]
        os.waitpid(worker.pid, 0)
        if worker.holding is not None:  # it died in the middle of this job
            self.settled[worker.holding] = True
            self.redo.append(worker.holding)

    def results(self, ordered: bool, helps: bool) -> Iterator[tuple[int, Any]]:
        """Every job's ``(number, value)``, in job order if ``ordered``; with ``helps`` this
        process also takes jobs from the queue while nothing has arrived."""
        jobs = self.jobs
        held: dict[int, Any] = {}
        next_index = 0
        while True:
            if ordered:
                while self.ready:
                    index, value = self.ready.popleft()
                    held[index] = value
                if next_index == len(jobs):
                    return
                if next_index in held:
                    yield next_index, held.pop(next_index)
                    next_index += 1
                    continue
                if not self.live or next_index in self.redo:  # nothing more can bring it
                    self.settled[next_index] = True
                    yield next_index, jobs[next_index]()
                    next_index += 1
                    continue
            else:
                if self.ready:
                    yield self.ready.popleft()
                    continue
                if self.redo:
                    index = self.redo.popleft()
                    yield index, jobs[index]()
                    continue
                if not self.live:
                    for index in range(len(jobs)):
                        if not self.settled[index]:  # taken by a worker that died before saying so
                            self.settled[index] = True
                            yield index, jobs[index]()
                    return
            if helps:
                self.wait(block=False)
                if self.ready or self.redo or not self.live:  # the last worker may just have ended
                    continue
                mine = self.take()
                if mine is not None:
                    yield mine, jobs[mine]()
                    continue
            self.wait(block=True)

    def close(self, kill: bool) -> None:
        """Reap the workers (killing them first when their work is no longer wanted), close the pipes."""
        for worker in list(self.live.values()):
            if kill:  # not reaped yet, so the pid is still this worker's even if it has ended
                os.kill(worker.pid, signal.SIGKILL)
            os.close(worker.fd)
            os.waitpid(worker.pid, 0)
        self.live.clear()
        self.selector.close()
        self._close_queue()
        os.close(self.queue_r)


def _run(jobs: Sequence[Callable[[], T]], workers: int, ordered: bool, helps: bool,
         setup: Callable[[], object] | None) -> Iterator[tuple[int, T]]:
    crew = _Crew(jobs, workers, setup)
    finished = False
    try:
        yield from crew.results(ordered, helps)
        finished = True
    finally:
        crew.close(kill=not finished)


def imap(jobs: Sequence[Callable[[], T]], workers: int, ordered: bool = True,
         setup: Callable[[], object] | None = None) -> Iterator[tuple[int, T]]:
    """``(i, jobs[i]())`` for every job, computed by ``workers`` forked processes: in job order
    when ``ordered``, else as they finish.  ``setup`` runs once in each worker when it starts.

    With fewer than 2 workers or jobs, or where fork is not available, the jobs run here, one
    after the other.  The failure rule is the module's: no hang, no missing job.
    """
    if workers < 2 or len(jobs) < 2 or not can_fork():
        return ((i, job()) for i, job in enumerate(jobs))
    return _run(jobs, min(workers, len(jobs)), ordered, False, setup)


def run_jobs(jobs: Sequence[Callable[[], T]], parallel: bool) -> list[T]:
    """``[job() for job in jobs]``, on two processes when ``parallel`` and possible: this one
    and a forked copy, both taking jobs from the shared queue."""
    if not parallel or len(jobs) < 2 or not can_fork():
        return [job() for job in jobs]
    results = dict(_run(jobs, 1, False, True, None))
    return [results[i] for i in range(len(jobs))]


class Ahead(Generic[T]):
    """``job()`` started now in a forked child, while this process does something else.

    ``result()`` waits for the child and gives the job's value (pickled back); if the child
    failed or died, the job runs here, where an error shows as it would without the child.
    ``discard()`` stops the child and drops its value (this process is failing anyway).
    With ``fork=False`` (or where fork is not available) the job simply runs in ``result()``.
    """

    def __init__(self, job: Callable[[], T], fork: bool = True) -> None:
        self._job = job
        self._crew = _Crew([job], 1) if fork and can_fork() else None

    def result(self) -> T:
        crew, self._crew = self._crew, None
        if crew is None:
            return self._job()
        try:
            value: T = next(crew.results(ordered=True, helps=False))[1]
        except BaseException:
            crew.close(kill=True)
            raise
        crew.close(kill=False)
        return value

    def discard(self) -> None:
        crew, self._crew = self._crew, None
        if crew is not None:
            crew.close(kill=True)
