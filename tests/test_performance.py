"""Every speed-up leaves the findings alone: same rules, paths, lines and messages with and
without the fast path, the worker processes and the cache (docs/performance.md)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from permgate.cli.progress import ProgressLine
from permgate.config import load_config
from permgate.engine import evaluation as engine
from permgate.engine.evaluation import evaluate
from permgate.load.bulk import Tuning
from permgate.load.workspace import load_workspace
from permgate.runtime import cache as caching
from permgate.runtime import parallel
from tests.conftest import PROJECT, run_cli

BENCH = PROJECT / "benchmarks"
TODAY = "2023-01-01"

#: files the fast path declines, valid or not, so both paths meet in one organisation
ODD_FILES = {
    # valid, but not canonical: single quotes, a plain reason, a comment between entries
    "assignments/corporate/E000003.yaml": (
        "employee: E000003\ngrants:\n  - permission: P001\n    granted_by: E000001\n"
        "    granted_on: 2023-02-01\n    reason: 'set up, ticket ACC-00001'\n"
        "  # the next one is planted\n  - permission: P002\n    granted_by: E000001\n"
        "    granted_on: 2023-02-02\n    reason: plain reason, ticket ACC-00002\n"),
    # broken: a date that is not one, an id YAML reads as a boolean, a duplicate key
    "assignments/retail-sales/zz-bad-date.yaml": (
        "employee: E000001\ngrants:\n  - permission: P003\n    granted_by: E000003\n"
        "    granted_on: 2022-02-30\n    reason: \"ticket ACC-00003\"\n"),
    "assignments/retail-sales/zz-bool.yaml": (
        "employee: E000001\ngrants:\n  - permission: no\n    granted_by: E000003\n"
        "    granted_on: 2023-01-01\n    reason: \"ticket ACC-00004\"\n"),
    "assignments/retail-sales/zz-dup.yaml": "employee: E000001\nemployee: E000002\ngrants: []\n",
    "assignments/retail-sales/zz-syntax.yaml": "employee: [E000001\n",
    "assignments/retail-sales/zz-empty.yaml": "",
}


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("perf") / "org"
    subprocess.run([sys.executable, str(BENCH / "gen_org.py"), "--employees", "120", "--out", str(root),
                    "--policies", "--seed", "5"], check=True, capture_output=True)
    for rel, text in ODD_FILES.items():
        (root / rel).write_text(text, encoding="utf-8")
    return root


def findings(root: Path, tuning: Tuning) -> list[tuple[object, ...]]:
    config = load_config(str(root))
    ws = load_workspace(str(root), config, tuning=tuning)
    return [(f.rule, f.severity, f.path, f.line, f.column, f.message, f.employee, f.permission, f.related,
             f.waived) for f in evaluate(ws, config, dt.date.fromisoformat(TODAY), jobs=tuning.jobs)]


def test_fast_path_and_workers_change_no_finding(org: Path) -> None:
    reference = findings(org, Tuning(fast=False, jobs=1))
    rules = {f[0] for f in reference}
    assert {"invalid-file", "distribution-to-retail-sales"} <= rules
    assert ("invalid-file", "assignments/retail-sales/zz-bad-date.yaml", 5) in {(f[0], f[2], f[3]) for f in reference}
    assert findings(org, Tuning(fast=True, jobs=1)) == reference
    assert findings(org, Tuning(fast=True, jobs=2)) == reference
    assert findings(org, Tuning(fast=False, jobs=2)) == reference


def test_rules_on_two_cores_change_no_finding(org: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = findings(org, Tuning(jobs=1))
    monkeypatch.setattr(engine, "PARALLEL_MIN_GRANTS", 0)
    assert findings(org, Tuning(jobs=None)) == reference


def test_run_jobs_keeps_order_and_reraises_here() -> None:
    jobs = [lambda i=i: [i] * (i % 3) for i in range(40)]
    assert parallel.run_jobs(jobs, True) == [job() for job in jobs]

    def boom() -> list[int]:
        raise ValueError("a bug in a rule shows as itself")

    with pytest.raises(ValueError, match="shows as itself"):
        parallel.run_jobs([lambda: [1], boom, lambda: [2]], True)


def test_ahead_runs_the_job_in_a_child_and_reraises_here() -> None:
    here = os.getpid()
    if parallel.can_fork():
        assert parallel.Ahead(os.getpid).result() != here  # the value came from the child
    assert parallel.Ahead(os.getpid, fork=False).result() == here

    def boom() -> int:
        raise ValueError("a bug shows as itself")

    with pytest.raises(ValueError, match="shows as itself"):
        parallel.Ahead(boom).result()
    parallel.Ahead(boom).discard()  # waits for the child, raises nothing


def test_cache_changes_no_output_and_survives_corruption(org: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caching, "RACY_SECONDS", 0.0)  # the tree was written a moment ago
    cache_dir = tmp_path / "cache"
    args = ["check", "--root", str(org), "--today", TODAY, "--format", "json"]
    plain = run_cli(*args, "--no-cache")
    cold = run_cli(*args, "--cache-dir", str(cache_dir))
    warm = run_cli(*args, "--cache-dir", str(cache_dir))
    assert plain.exit_code == cold.exit_code == warm.exit_code == 1
    assert plain.stdout == cold.stdout == warm.stdout
    entries = [p for p in cache_dir.rglob("*.json")]
    assert any("runs" in p.parts for p in entries) and any("files" in p.parts for p in entries)
    # a parse entry only (the run entry gone) still gives the same findings
    for p in entries:
        if "runs" in p.parts:
            p.unlink()
    assert run_cli(*args, "--cache-dir", str(cache_dir)).stdout == plain.stdout
    # corrupted entries are ignored, never trusted
    for p in cache_dir.rglob("*.json"):
        raw = p.read_bytes()
        p.write_bytes(raw[:-7] + b"garbage")
    assert run_cli(*args, "--cache-dir", str(cache_dir)).stdout == plain.stdout
    # a well-formed entry of the wrong shape is ignored too
    for p in cache_dir.rglob("*.json"):
        body = json.dumps({"key": "x", "stdout": 1}).encode()
        p.write_bytes(caching._digest(body).encode() + b"\n" + body)
    assert run_cli(*args, "--cache-dir", str(cache_dir)).stdout == plain.stdout


def test_a_changed_file_is_not_answered_from_the_cache(org: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caching, "RACY_SECONDS", 0.0)
    root = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(org), str(root)], check=True)
    cache_dir = tmp_path / "cache"
    args = ["check", "--root", str(root), "--today", TODAY, "--format", "json", "--cache-dir", str(cache_dir)]
    before = json.loads(run_cli(*args).stdout)
    target = root / "assignments/retail-sales/zz-syntax.yaml"
    target.write_text("employee: E000001\ngrants: [\n", encoding="utf-8")
    after = json.loads(run_cli(*args).stdout)
    lines = {(f["path"], f["line"]) for f in after["findings"] if f["path"].endswith("zz-syntax.yaml")}
    assert lines != {(f["path"], f["line"]) for f in before["findings"] if f["path"].endswith("zz-syntax.yaml")}
    assert after == json.loads(run_cli(*args[:-2], "--no-cache").stdout)


def test_a_fresh_tree_is_not_stored(org: Path, tmp_path: Path) -> None:
    # files changed within RACY_SECONDS could change again unseen: no whole-run entry
    root = tmp_path / "fresh"
    subprocess.run(["cp", "-r", str(org), str(root)], check=True)
    assert caching.tree_key(str(root), "s", caching.now()) is None
    assert caching.tree_key(str(root), "s", caching.now() + 10) is not None


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_only_on_a_terminal_and_only_after_the_delay() -> None:
    tty = _Tty()
    line = ProgressLine(tty, delay=0.0)
    line(50, 100)
    assert "50/100 files" in tty.getvalue()
    line.close()
    assert tty.getvalue().endswith("\r\033[K")
    quiet = _Tty()
    slow = ProgressLine(quiet, delay=60.0)
    slow(50, 100)
    assert quiet.getvalue() == ""
    pipe = io.StringIO()
    ProgressLine(pipe, delay=0.0)(50, 100)
    assert pipe.getvalue() == ""


def test_benchmark_script_runs_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run([sys.executable, str(BENCH / "run.py"), "--sizes", "100", "--repeat", "1",
                             "--workdir", str(tmp_path / "work"), "--json", str(out)],
                            capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert result.returncode == 0, result.stderr
    assert "| employees | grants | naive s (CPU s) | check s (CPU s) | naive/check wall (CPU) |" in result.stdout
    saved = json.loads(out.read_text())
    row = saved["compliant"][0]
    assert row["employees"] == 100 and row["violations"] == 2
    assert {"naive", "check", "cold", "warm", "base_cold", "base"} <= set(row)
    # the adoption-day organisation beside it (issue 17): most grants have findings
    adoption = saved["adoption"][0]
    assert adoption["employees"] == 100 and adoption["findings"] > adoption["grants"] // 2
    assert {"text", "json", "sarif", "naive", "cold", "warm"} <= set(adoption)
    assert "The adoption-day organisation (the reference generator's output" in result.stdout
    assert "- adoption 100: warm no slower than cold: " in result.stdout


def test_only_the_newest_runs_are_kept(tmp_path: Path) -> None:
    cache = caching.Cache(str(tmp_path))
    for i in range(caching.MAX_RUNS + 3):
        cache.put_run(f"k{i:02d}", f"out {i}", "", 0)
        newest = tmp_path / os.path.basename(cache.base) / "runs" / f"k{i:02d}.json"
        os.utime(newest, ns=(i * 10**9, i * 10**9))  # written in this order, whatever the clock
    kept = sorted(p.stem for p in (tmp_path / os.path.basename(cache.base) / "runs").glob("*.json"))
    assert len(kept) == caching.MAX_RUNS
    hit = cache.get_run(f"k{caching.MAX_RUNS + 2:02d}")
    assert hit is not None and (b"".join(hit.body), hit.stderr, hit.exit_code) == \
        (f"out {caching.MAX_RUNS + 2}".encode(), "", 0)
    assert cache.get_run("k00") is None
    assert not (tmp_path / os.path.basename(cache.base) / "runs" / "k00.out").exists()
