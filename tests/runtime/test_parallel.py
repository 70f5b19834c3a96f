"""The fork helper (permgate/runtime/parallel.py) and its one failure rule: a worker that dies or whose
job raises never hangs the caller and never loses a job; the jobs it did not deliver run again here.

The end-to-end tests kill a worker from inside its job (SIGKILL, as the OOM killer would) in every
command that loads through workers, and assert the command returns the output it gives without workers.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from permgate.change import base_index
from permgate.commands import check as check_command
from permgate.commands import report as report_command
from permgate.engine import chunked
from permgate.load import bulk
from permgate.runtime import parallel
from tests.anomaly_org import TODAY, Planted, build
from tests.conftest import run_cli
from tests.git_helpers import commit_all, commit_change, git

forks = pytest.mark.skipif(not parallel.can_fork(), reason="workers need fork and two cores")

#: A test that waits longer than this has hung.
DEADLINE = 120


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Fail, rather than hang the suite, if the helper waits for a worker that will never answer."""

    def hung(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"no answer within {DEADLINE} s: the helper hangs")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(DEADLINE)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _dies_in_a_worker(parent: int, marks: Path) -> None:
    """In a worker (not in ``parent``): leave a mark, then vanish as under ``kill -9``."""
    if os.getpid() != parent:
        (marks / str(os.getpid())).touch()
        os.kill(os.getpid(), signal.SIGKILL)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# --- the helper itself ---------------------------------------------------------------------------


@forks
@pytest.mark.parametrize("ordered", [True, False])
def test_every_job_comes_once_with_its_value_from_the_workers(ordered: bool) -> None:
    here = os.getpid()
    jobs = [lambda i=i: (i * i, os.getpid()) for i in range(60)]
    got = list(parallel.imap(jobs, 3, ordered=ordered))
    if ordered:
        assert [i for i, _ in got] == list(range(60))
    assert sorted((i, value) for i, (value, _) in got) == [(i, i * i) for i in range(60)]
    assert here not in {pid for _, (_, pid) in got}  # the workers did the work
    assert all(_gone(pid) for _, (_, pid) in got)  # and were reaped


@forks
@pytest.mark.parametrize("ordered", [True, False])
def test_a_job_that_raises_runs_again_here_and_shows_its_error(ordered: bool) -> None:
    here = os.getpid()
    ran_here: list[int] = []

    def boom() -> int:
        if os.getpid() == here:
            ran_here.append(1)
        raise ValueError("a bug in the job shows as itself")

    jobs: list[Callable[[], int]] = [lambda: 1, boom, lambda: 3, lambda: 4]
    with pytest.raises(ValueError, match="shows as itself"):
        list(parallel.imap(jobs, 2, ordered=ordered))
    assert ran_here == [1]


@forks
@pytest.mark.parametrize("ordered", [True, False])
def test_a_job_that_fails_only_in_a_worker_is_delivered_from_here(ordered: bool) -> None:
    here = os.getpid()

    def flaky(i: int) -> tuple[int, bool]:
        if i % 5 == 2 and os.getpid() != here:
            raise MemoryError("the worker ran out")
        return i, os.getpid() == here

    jobs = [lambda i=i: flaky(i) for i in range(20)]
    got = dict(parallel.imap(jobs, 2, ordered=ordered))
    assert sorted(got) == list(range(20))
    assert all(got[i] == (i, i % 5 == 2) for i in range(20))


@forks
@pytest.mark.parametrize("ordered", [True, False])
def test_a_worker_killed_mid_job_costs_that_job_a_rerun_here(ordered: bool, tmp_path: Path) -> None:
    here = os.getpid()

    def job(i: int) -> tuple[int, int]:
        if i in (3, 11):
            _dies_in_a_worker(here, tmp_path)
        time.sleep(0.002)  # let both workers take jobs
        return i, os.getpid()

    jobs = [lambda i=i: job(i) for i in range(30)]
    got = list(parallel.imap(jobs, 2, ordered=ordered))
    assert sorted(i for i, _ in got) == list(range(30))
    assert all(value[0] == i for i, value in got)
    assert dict(got)[3][1] == here and dict(got)[11][1] == here  # re-run here
    killed = [int(p.name) for p in tmp_path.iterdir()]
    assert killed and all(_gone(pid) for pid in killed)
    if ordered:
        assert [i for i, _ in got] == list(range(30))


@forks
@pytest.mark.parametrize("ordered", [True, False])
def test_workers_that_all_die_before_any_job_leave_every_job_to_this_process(ordered: bool) -> None:
    here = os.getpid()
    jobs = [lambda i=i: (i, os.getpid()) for i in range(12)]
    got = list(parallel.imap(jobs, 2, ordered=ordered, setup=lambda: os.kill(os.getpid(), signal.SIGKILL)))
    assert sorted(got) == [(i, (i, here)) for i in range(12)]


@forks
def test_a_worker_killed_by_another_process_mid_job(tmp_path: Path) -> None:
    """SIGKILL from outside (the OOM killer) while the job sleeps: the job is run here instead."""
    here = os.getpid()
    started = tmp_path / "started"

    def slow(i: int) -> int:
        if i == 0 and os.getpid() != here:
            started.write_text(str(os.getpid()))
            time.sleep(DEADLINE)  # until killed
        return i * 10

    jobs = [lambda i=i: slow(i) for i in range(4)]
    results = parallel.imap(jobs, 2, ordered=True)
    killer = os.fork()
    if killer == 0:  # a stranger that kills the worker once it is inside the job
        try:
            while not started.exists() or not started.read_text():
                time.sleep(0.01)
            os.kill(int(started.read_text()), signal.SIGKILL)
        finally:
            os._exit(0)
    try:
        assert list(results) == [(i, i * 10) for i in range(4)]
    finally:
        os.waitpid(killer, 0)


@forks
def test_large_results_from_several_workers_do_not_deadlock() -> None:
    """Results far larger than a pipe, from three workers at once, in order."""
    jobs = [lambda i=i: bytes([i]) * (3 << 20) for i in range(9)]
    for i, value in parallel.imap(jobs, 3, ordered=True):
        assert value == bytes([i]) * (3 << 20)


@forks
def test_more_jobs_than_the_queue_pipe_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The queue is fed as the workers drain it (65,536 bytes hold 16,384 job numbers)."""
    monkeypatch.setattr(parallel, "_grow", lambda fd, size: None)
    jobs = [lambda i=i: i for i in range(40_000)]
    got = list(parallel.imap(jobs, 2, ordered=False))
    assert sorted(i for i, _ in got) == list(range(40_000))
    assert all(i == value for i, value in got)


@forks
def test_a_caller_that_stops_early_leaves_no_worker_behind() -> None:
    jobs = [lambda i=i: (time.sleep(0.01), os.getpid())[1] for i in range(50)]
    results = parallel.imap(jobs, 2, ordered=False)
    pids = {next(results)[1], next(results)[1]}
    results.close()  # as when the caller's own code raises
    assert all(_gone(pid) for pid in pids)


def test_one_worker_or_one_job_runs_here_in_order() -> None:
    here = os.getpid()
    jobs = [lambda i=i: (i, os.getpid()) for i in range(5)]
    assert list(parallel.imap(jobs, 1)) == [(i, (i, here)) for i in range(5)]
    assert list(parallel.imap(jobs[:1], 4)) == [(0, (0, here))]


@forks
def test_setup_runs_in_each_worker_not_here(tmp_path: Path) -> None:
    here = os.getpid()

    def setup() -> None:
        (tmp_path / str(os.getpid())).touch()

    jobs = [lambda: time.sleep(0.05) or os.getpid() for _ in range(6)]
    workers = {pid for _, pid in parallel.imap(jobs, 2, ordered=False, setup=setup)}
    assert {int(p.name) for p in tmp_path.iterdir()} >= workers - {here}
    assert str(here) not in {p.name for p in tmp_path.iterdir()}


@forks
def test_run_jobs_survives_its_child_being_killed(tmp_path: Path) -> None:
    here = os.getpid()

    def job(i: int) -> list[int]:
        if i == 7:
            _dies_in_a_worker(here, tmp_path)
        time.sleep(0.005)
        return [i] * (i % 3)

    jobs = [lambda i=i: job(i) for i in range(20)]
    assert parallel.run_jobs(jobs, True) == [[i] * (i % 3) for i in range(20)]


@forks
def test_ahead_whose_child_is_killed_runs_the_job_here(tmp_path: Path) -> None:
    here = os.getpid()

    def job() -> int:
        _dies_in_a_worker(here, tmp_path)
        return os.getpid()

    assert parallel.Ahead(job).result() == here
    assert list(tmp_path.iterdir())  # the child did die


# --- every command that loads through workers, with a worker killed --------------------------------


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Planted]:
    """450 employees: enough grants files for several loader chunks of 200 files."""
    root = tmp_path_factory.mktemp("parallel") / "org"
    planted = build(root, employees=450)
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "base")
    return root, planted


def _killing(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, marks: Path,
             fatal: Callable[[tuple[Any, ...]], bool]) -> None:
    """``module.name`` (a per-chunk job function) kills its worker on the chunk its arguments make ``fatal``."""
    here = os.getpid()
    real = getattr(module, name)

    def dies(*args: Any) -> Any:
        if fatal(args):
            _dies_in_a_worker(here, marks)
        return real(*args)

    monkeypatch.setattr(module, name, dies)


def _first_span(args: tuple[Any, ...]) -> bool:
    """``bulk._load_span`` and ``base_index._declared_span`` take (source, rels, max_bytes, tuning, start, end)."""
    return bool(args[4] == 0)


def _many_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "PARALLEL_MIN_FILES", 0)
    monkeypatch.setattr(base_index, "PARALLEL_MIN_FILES", 0)


def _killed(marks: Path) -> list[int]:
    return [int(p.name) for p in marks.iterdir()]


@forks
def test_check_with_a_killed_worker(org: tuple[Path, Planted], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = str(org[0])
    args = ("check", "--root", root, "--no-cache", "--today", TODAY.isoformat(), "--format", "json")
    reference = run_cli(*args, "--jobs", "1")
    assert f'"path": "{org[1].a_main}"' in reference.stdout
    monkeypatch.setattr(check_command, "CHUNK_FILES", 40)
    # run_chunk(source, frame, config, today, rels, tuning): the chunk of the planted employee
    _killing(monkeypatch, chunked, "run_chunk", tmp_path, lambda args: org[1].a_main in args[4])
    got = run_cli(*args, "--jobs", "2")
    assert _killed(tmp_path)
    assert (got.stdout, got.exit_code) == (reference.stdout, reference.exit_code)


@pytest.fixture
def changed(org: tuple[Path, Planted], tmp_path: Path) -> Iterator[Path]:
    """The organisation with a permission's owner changed (which ``check --base`` judges in full) and a
    new grant, in a copy of the repository."""
    import shutil

    root = tmp_path / "changed"
    shutil.copytree(org[0], root)
    catalog = (root / "catalog.yaml").read_text("utf-8")
    owner = "  name: switching-desk.write\n  owner_division: retail-sales\n"
    assert owner in catalog
    (root / "catalog.yaml").write_text(catalog.replace(owner, owner.replace("retail-sales", "corporate")), "utf-8")
    grants = root / org[1].a_main
    text = grants.read_text("utf-8")
    assert "grants:\n" in text
    grants.write_text(text.replace("grants:\n", "grants:\n  - permission: P004\n    granted_by: E000001\n"
                                   "    granted_on: 2025-01-01\n", 1), "utf-8")
    commit_change(root)  # --base judges the commit, on a branch: the base is ``main``
    yield root


@forks
def test_check_base_full_path_with_a_killed_worker(changed: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    args = ("check", "--root", str(changed), "--base", "main", "--no-cache", "--today", TODAY.isoformat(),
            "--format", "json")
    reference = run_cli(*args)
    assert '"incremental"' not in reference.stdout  # the full path: both trees loaded whole
    assert "assignments/" in reference.stdout
    _many_workers(monkeypatch)
    _killing(monkeypatch, bulk, "_load_span", marks, _first_span)
    got = run_cli(*args)
    assert _killed(marks)
    assert (got.stdout, got.exit_code) == (reference.stdout, reference.exit_code)


@forks
def test_base_index_build_with_a_killed_worker(org: tuple[Path, Planted], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The incremental ``check --base`` first indexes the base's files over the workers."""
    from permgate.config import load_config
    from permgate.git.repo import Repo

    root = str(org[0])
    config = load_config(root)
    repo = Repo(root)
    head = git(org[0], "rev-parse", "HEAD").strip()
    reference = base_index.employee_index(repo, head, config, None, bulk.Tuning(jobs=1))
    assert reference is not None and reference.files_of(org[1].a) == sorted([org[1].a_main, org[1].a_extra])
    _many_workers(monkeypatch)
    _killing(monkeypatch, base_index, "_declared_span", tmp_path, _first_span)
    got = base_index.employee_index(repo, head, config, None, bulk.Tuning(jobs=2))
    assert _killed(tmp_path)
    assert got is not None and (got.lines, got.odd) == (reference.lines, reference.odd)


@forks
def test_report_html_with_a_killed_worker(org: tuple[Path, Planted], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()

    def report(out: Path) -> tuple[str, int]:
        result = run_cli("report", "--root", str(org[0]), "--html", str(out), "--today", TODAY.isoformat(),
                         "--no-history")
        return out.read_text("utf-8"), result.exit_code

    monkeypatch.setattr(report_command, "SPLIT", True)  # the plain path: the whole workspace through the loader
    reference = report(tmp_path / "reference.html")
    assert org[1].a_main in reference[0]
    _many_workers(monkeypatch)
    _killing(monkeypatch, bulk, "_load_span", marks, _first_span)
    got = report(tmp_path / "got.html")
    assert _killed(marks)
    assert got == reference


@forks
def test_split_report_html_with_a_killed_worker(org: tuple[Path, Planted], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The report judged over chunks (``commands/report._split_report``): a chunk whose worker dies is
    judged again here, and the page is the one of the plain path."""

    root = tmp_path / "org"
    shutil.copytree(org[0], root)
    (root / "policies" / "waivers.yaml").unlink()
    marks = tmp_path / "marks"
    marks.mkdir()

    def report(out: Path) -> tuple[str, int]:
        result = run_cli("report", "--root", str(root), "--html", str(out), "--today", TODAY.isoformat(),
                         "--no-history")
        return out.read_text("utf-8"), result.exit_code

    monkeypatch.setattr(report_command, "SPLIT", True)
    reference = report(tmp_path / "page.html")
    monkeypatch.setattr(report_command, "SPLIT", False)
    _many_workers(monkeypatch)
    monkeypatch.setattr(report_command, "CHUNK_FILES", 50)
    _killing(monkeypatch, chunked, "run_chunk", marks, lambda args: org[1].a_main in args[4])
    got = report(tmp_path / "page.html")
    assert _killed(marks)
    assert got == reference


@forks
def test_report_html_whose_history_child_is_killed(org: tuple[Path, Planted], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """On a large repository the report walks the history in a child (``parallel.Ahead``): a child that
    dies leaves the walk to this process, and the page is the one of a run without the child."""
    marks = tmp_path / "marks"
    marks.mkdir()

    def report(out: Path) -> tuple[str, int]:
        result = run_cli("report", "--root", str(org[0]), "--html", str(out), "--today", TODAY.isoformat())
        return out.read_text("utf-8"), result.exit_code

    monkeypatch.setattr(report_command, "HISTORY_AHEAD", False)
    reference = report(tmp_path / "page.html")
    assert "exposures in" in reference[0]
    monkeypatch.setattr(report_command, "HISTORY_AHEAD", True)
    here = os.getpid()
    real = report_command._history

    def dies(*args: Any) -> Any:
        _dies_in_a_worker(here, marks)
        return real(*args)

    monkeypatch.setattr(report_command, "_history", dies)
    got = report(tmp_path / "page.html")
    assert _killed(marks)
    assert got == reference


@forks
def test_who_can_with_a_killed_worker(org: tuple[Path, Planted], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    args = ("who-can", "--root", str(org[0]), "--format", "json", org[1].dup_permission)
    reference = run_cli(*args)
    assert org[1].a_main in reference.stdout
    _many_workers(monkeypatch)
    # _holdings_span(source, rels, max_bytes, tuning, permission, start, end): the fast path's chunks
    _killing(monkeypatch, bulk, "_holdings_span", tmp_path, lambda args: bool(args[5] == 0))
    got = run_cli(*args)
    assert _killed(tmp_path)
    assert (got.stdout, got.exit_code) == (reference.stdout, reference.exit_code)
