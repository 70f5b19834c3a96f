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


def run_jobs(jobs: Sequence[Callable[[], T]], parallel: bool) -> list[T]:
    """``[job() for job in jobs]``, on two processes when ``parallel`` and possible."""
    if not parallel or len(jobs) < 2 or not can_fork():
        return [job() for job in jobs]
    queue_r, queue_w = os.pipe()
    result_r, result_w = os.pipe()
    os.write(queue_w, b"".join(_JOB.pack(i) for i in range(len(jobs))))
    os.close(queue_w)  # an empty queue then reads as end of file
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: take jobs until none are left, send the results, leave
        code = 0
        try:
            os.close(result_r)
            done: dict[int, Any] = {}
            while True:
                raw = os.read(queue_r, _JOB.size)
                if not raw:
                    break
                index = _JOB.unpack(raw)[0]
                try:
                    done[index] = jobs[index]()
                except BaseException:  # the parent runs it again and shows the error
                    done[index] = _Failed()
            with os.fdopen(result_w, "wb") as out:
                pickle.dump(done, out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(result_w)
    results: dict[int, Any] = {}
    try:
        while True:
            raw = os.read(queue_r, _JOB.size)
            if not raw:
                break
            index = _JOB.unpack(raw)[0]
            results[index] = jobs[index]()
    finally:
        os.close(queue_r)
        with os.fdopen(result_r, "rb") as child_out:
            try:
                theirs = pickle.load(child_out)
            except Exception:  # the child died: its jobs are done again below
                theirs = {}
        os.waitpid(pid, 0)
    for index, value in theirs.items():
        if not isinstance(value, _Failed):
            results[index] = value
    return [results[i] if i in results else jobs[i]() for i in range(len(jobs))]


class _Failed:
    """A job that raised in the child."""


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
        if not fork or not can_fork():
            return
        read, write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: run the job, send its value (or that it failed), leave
            code = 0
            try:
                os.close(read)
                try:
                    value: Any = job()
                except BaseException:  # the parent runs it again and shows the error
                    value = _Failed()
                with os.fdopen(write, "wb") as out:
                    pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(write)
        self._pid, self._read = pid, read

    def _collect(self) -> Any:
        if not self._pid:
            return _Failed()
        try:
            with os.fdopen(self._read, "rb") as inp:
                try:
                    return pickle.load(inp)
                except Exception:  # the child died
                    return _Failed()
        finally:
            os.waitpid(self._pid, 0)
            self._pid = 0

    def result(self) -> T:
        value = self._collect()
        return self._job() if isinstance(value, _Failed) else value

    def discard(self) -> None:
        self._collect()
