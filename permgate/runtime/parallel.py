"""Run independent jobs on two cores: this process and one forked copy of it.

Rules are pure functions of the workspace, so a forked child sees exactly the workspace
the parent has (no pickling of millions of grants) and only the results travel back.
Both processes take the next job from a shared pipe as they finish one, so a heavy rule
does not leave the other core idle.  Results are put back in job order, so the outcome is
the same as running the jobs one after another; a job the child could not finish (it
failed, or died) is run again here, where any error shows as it would without the child.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_JOB = struct.Struct("<I")  # 4 bytes: far below PIPE_BUF, so each read takes one whole job


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Fork is safe here (not macOS, where system libraries may not survive it) and useful."""
    return hasattr(os, "fork") and sys.platform != "darwin" and _cores() >= 2


class _Failed:
    """A job that raised in the child, or a child that sent nothing."""


def _fork(work: Callable[[], Any]) -> tuple[int, int]:
    """A forked child that runs ``work`` and sends its value back (pickled), then leaves;
    (its pid, the descriptor to read the value from with ``_receive``).  A child that fails
    sends nothing whole, which ``_receive`` reports as ``_Failed``."""
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            os.close(read)
            value = work()
            with os.fdopen(write, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def _receive(pid: int, read: int) -> Any:
    """What the child ``_fork`` started sent (``_Failed()`` if it died first), once it has ended."""
    try:
        with os.fdopen(read, "rb") as inp:
            try:
                return pickle.load(inp)
            except Exception:  # the child died
                return _Failed()
    finally:
        os.waitpid(pid, 0)


def _take(queue_r: int) -> int | None:
    """The next job index from the shared queue, or None when it is empty."""
    raw = os.read(queue_r, _JOB.size)
    return _JOB.unpack(raw)[0] if raw else None


def run_jobs(jobs: Sequence[Callable[[], T]], parallel: bool) -> list[T]:
    """``[job() for job in jobs]``, on two processes when ``parallel`` and possible."""
    if not parallel or len(jobs) < 2 or not can_fork():
        return [job() for job in jobs]
    queue_r, queue_w = os.pipe()
    os.write(queue_w, b"".join(_JOB.pack(i) for i in range(len(jobs))))
    os.close(queue_w)  # an empty queue then reads as end of file

    def theirs() -> dict[int, Any]:  # the child: take jobs until none are left
        done: dict[int, Any] = {}
        while (index := _take(queue_r)) is not None:
            try:
                done[index] = jobs[index]()
            except BaseException:  # the parent runs it again and shows the error
                done[index] = _Failed()
        return done

    pid, result_r = _fork(theirs)
    results: dict[int, Any] = {}
    try:
        while (index := _take(queue_r)) is not None:
            results[index] = jobs[index]()
    finally:
        os.close(queue_r)
        sent = _receive(pid, result_r)
    if isinstance(sent, dict):  # else the child died: its jobs are done again below
        results.update((index, value) for index, value in sent.items() if not isinstance(value, _Failed))
    return [results[i] if i in results else jobs[i]() for i in range(len(jobs))]


class Ahead(Generic[T]):
    """``job()`` started now in a forked child, while this process does something else.

    ``result()`` waits for the child and gives the job's value (pickled back); if the child
    failed or died, the job runs here, where an error shows as it would without the child.
    ``discard()`` waits for the child and drops its value (this process is failing anyway).
    With ``fork=False`` (or where fork is not available) the job simply runs in ``result()``.
    """

    def __init__(self, job: Callable[[], T], fork: bool = True) -> None:
        self._job = job
        self._pid = 0
        self._read = -1
        if fork and can_fork():
            self._pid, self._read = _fork(self._value_or_failed)

    def _value_or_failed(self) -> Any:  # in the child
        try:
            return self._job()
        except BaseException:  # the parent runs it again and shows the error
            return _Failed()

    def _collect(self) -> Any:
        if not self._pid:
            return _Failed()
        pid, self._pid = self._pid, 0
        return _receive(pid, self._read)

    def result(self) -> T:
        value = self._collect()
        return self._job() if isinstance(value, _Failed) else value

    def discard(self) -> None:
        self._collect()
