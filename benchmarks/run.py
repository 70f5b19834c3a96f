#!/usr/bin/env python3
"""Run the naive baseline and permgate side by side on generated organisations.

    python benchmarks/run.py                       # 1k, 10k and 100k employees, 3 runs each
    python benchmarks/run.py --sizes 1000 --repeat 1   # quick

For each size it generates an organisation (``benchmarks/gen_org.py --policies``, kept in
``--workdir`` and reused), then measures, each as its own process:

- ``naive``: ``benchmarks/naive.py`` (PyYAML C loader + the one unbundling rule);
- ``check``: ``permgate check --no-cache`` (every rule, line numbers, schema validation,
  text output); run once more with ``--format json`` to compare its findings (that run's
  figures are in the ``--json`` file as ``check_json``);
- ``cold`` / ``warm``: ``permgate check`` with an empty cache, then again unchanged;
- ``base``: ``permgate check --base base`` on a commit that changes 10 grants files in a git
  repository of the organisation (only when this permgate has ``--base``): ``cold`` with an
  empty cache (the base's employee index and people directory are built and stored), then
  ``warm`` with that cache (the incremental path's steady state, docs/performance.md); their
  outputs must be equal.

It prints the median wall time of ``--repeat`` runs, CPU time (user + system, workers
included) and peak memory (the largest resident set of the process and its workers),
and the ratios that count: naive / check and cold / warm, measured in the same run.
It also checks that permgate's ``distribution-to-retail-sales`` findings are exactly the
violations the naive script reports, so the speed is never bought with a missed grant.

Beside this mostly compliant organisation it measures the **adoption-day** one (issue 17): the
reference generator's output as it is (``gen_org.py --reference``, reasons without tickets, no
delegates) with the shipped ``policies/unbundling.yaml``, checked with ``--adoption-today`` (default:
today), where most grants have findings (about 195,000 at 10k employees): ``check --no-cache`` in
text, JSON and SARIF, the naive script (up to 10k employees), and cold / warm in JSON.  Both tables
end with the targets, each marked met or not met.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
#: the project folder: every command runs here, so ``python -m permgate`` is this checkout's
PROJECT = os.path.dirname(HERE)
TODAY = "2023-01-01"  # before every generated expiry: expired-grant stays quiet
BASE_CHANGES = 10
#: the adoption-day organisation's naive script runs up to this size (at 100k it takes minutes)
ADOPTION_NAIVE_MAX = 10_000


def measure(cmd: list[str], out_path: str) -> dict[str, float]:
    """Run ``cmd`` in the project folder (stdout to ``out_path``); wall seconds, CPU seconds,
    peak RSS in MB."""
    with open(out_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, cwd=PROJECT)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    # ru_maxrss of a reaped child covers its own reaped children (the workers): kilobytes on Linux
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def generate(size: int, workdir: str) -> str:
    root = os.path.join(workdir, f"org-{size}")
    expected = os.path.join(root, "expected.json")
    if not os.path.exists(expected):
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_org.py"), "--employees", str(size),
                        "--out", root, "--policies"], check=True, capture_output=True)
    return root


def permgate_cmd(*args: str, today: str = TODAY) -> list[str]:
    return [sys.executable, "-m", "permgate", "check", "--today", today, *args]


def generate_adoption(size: int, workdir: str) -> str:
    """The reference generator's organisation as it is, with the shipped boundary policy only."""
    root = os.path.join(workdir, f"adoption-{size}")
    expected = os.path.join(root, "expected.json")
    if not os.path.exists(expected):
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_org.py"), "--employees", str(size),
                        "--out", root, "--reference"], check=True, capture_output=True)
        os.makedirs(os.path.join(root, "policies"), exist_ok=True)
        shutil.copy(os.path.join(PROJECT, "policies", "unbundling.yaml"), os.path.join(root, "policies"))
    return root


def bench_adoption(size: int, workdir: str, repeat: int, today: str) -> dict[str, Any]:
    root = generate_adoption(size, workdir)
    with open(os.path.join(root, "expected.json"), encoding="utf-8") as fh:
        expected = json.load(fh)
    out = os.path.join(workdir, "adoption-out")
    row: dict[str, Any] = {"employees": size, "grants": expected["grants"], "today": today}
    for fmt in ("text", "json", "sarif"):
        row[fmt] = median_of([measure(permgate_cmd("--root", root, "--no-cache", "--format", fmt, today=today),
                                      f"{out}.{fmt}") for _ in range(repeat)])
    with open(out + ".json", encoding="utf-8") as fh:
        row["findings"] = len(json.load(fh)["findings"])
    if size <= ADOPTION_NAIVE_MAX:
        row["naive"] = median_of([measure([sys.executable, os.path.join(HERE, "naive.py"), root], out + ".naive")
                                  for _ in range(repeat)])
        if planted(out + ".naive", False) != planted(out + ".json", True):
            raise SystemExit(f"adoption {size}: permgate and the naive script disagree on the unbundling violations")
    row["cold"], row["warm"] = cold_and_warm(["--root", root, "--format", "json"], out + ".cold", out + ".warm",
                                             repeat, f"adoption {size}: the warm output differs from the cold one",
                                             today=today)
    return row


def byte_compile() -> None:
    """Compile permgate's modules once, as ``pip install`` does: with an editable install and
    ``PYTHONDONTWRITEBYTECODE`` set (as on some CI images) every run would compile them again,
    about 0.09 s that no installed copy pays."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(PROJECT, "permgate")], check=True,
                   capture_output=True)


def has_base() -> bool:
    help_text = subprocess.run([sys.executable, "-m", "permgate", "check", "--help"], capture_output=True,
                               text=True, cwd=PROJECT).stdout
    return "--base" in help_text


def base_repo(root: str, workdir: str, size: int) -> str:
    """A git repository of the organisation (tagged ``base``) with a commit on top that changes 10
    grants files: ``check --base`` judges commits, never the working tree."""
    repo = os.path.join(workdir, f"git-{size}")
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.org",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.org")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, env=env, capture_output=True)

    if not os.path.isdir(os.path.join(repo, ".git")):
        shutil.rmtree(repo, ignore_errors=True)
        shutil.copytree(root, repo)
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "organisation"], ["tag", "base"]):
            git(*args)
    git("checkout", "-q", "-f", "-B", "change", "base")
    folder = os.path.join(repo, "assignments", "retail-sales")
    for name in sorted(os.listdir(folder))[:BASE_CHANGES]:
        with open(os.path.join(folder, name), "a", encoding="utf-8") as fh:
            fh.write('  - permission: P001\n    granted_by: E000001\n    granted_on: 2022-12-01\n'
                     '    reason: "benchmark change, ticket ACC-00001"\n')
    git("commit", "-q", "-am", "the change")
    time.sleep(0.01)
    return repo


def planted(path: str, json_output: bool) -> set[tuple[str, str, str]]:
    """(path, employee, permission) of every unbundling violation an output reports."""
    with open(path, encoding="utf-8") as fh:
        if json_output:
            doc = json.load(fh)
            return {(f["path"], f["employee"], f["permission"]) for f in doc["findings"]
                    if f["rule"] == "distribution-to-retail-sales"}
        out = set()
        for line in fh:
            if ": " in line and " holds " in line:
                where, what = line.rstrip("\n").split(": ", 1)
                employee, permission = what.split(" holds ")
                out.add((where.replace(os.sep, "/"), employee, permission))
        return out


def bench_size(size: int, workdir: str, repeat: int, base: bool) -> dict[str, Any]:
    root = generate(size, workdir)
    with open(os.path.join(root, "expected.json"), encoding="utf-8") as fh:
        expected = json.load(fh)
    out = os.path.join(workdir, "out")
    row: dict[str, Any] = {"employees": size, "files": size, "grants": expected["grants"]}

    naive_repeat = repeat if size <= 10_000 else 1
    row["naive"] = median_of([measure([sys.executable, os.path.join(HERE, "naive.py"), root], out + ".naive")
                              for _ in range(naive_repeat)])
    row["check"] = median_of([measure(permgate_cmd("--root", root, "--no-cache"), out + ".text")
                              for _ in range(repeat)])
    # the same check once more in JSON (not timed: the comparison below needs the fields)
    row["check_json"] = measure(permgate_cmd("--root", root, "--no-cache", "--format", "json"), out + ".json")
    naive_found = planted(out + ".naive", False)
    permgate_found = planted(out + ".json", True)
    if naive_found != permgate_found or len(naive_found) != expected["planted_violations"]:
        raise SystemExit(f"{size}: permgate and the naive script disagree on the unbundling violations")
    row["violations"] = len(naive_found)

    row["cold"], row["warm"] = cold_and_warm(["--root", root], out + ".cold", out + ".warm", repeat,
                                             f"{size}: the warm run's output differs from the cold run's")
    if base:
        repo = base_repo(root, workdir, size)
        row["base_cold"], row["base"] = cold_and_warm(
            ["--root", repo, "--base", "base"], out + ".base-cold", out + ".base", repeat,
            f"{size}: the warm --base run's output differs from the cold one's")
    return row


def cold_and_warm(args: list[str], cold_out: str, warm_out: str, repeat: int,
                  differs: str, today: str = TODAY) -> tuple[dict[str, float], dict[str, float]]:
    """Medians of ``permgate check ARGS`` with an empty cache, then again with that cache;
    stops with ``differs`` when the two outputs are not the same bytes."""
    colds, warms = [], []
    for _ in range(repeat):
        cache_dir = tempfile.mkdtemp(prefix="permgate-bench-cache-")
        try:
            cmd = permgate_cmd(*args, "--cache-dir", cache_dir, today=today)
            colds.append(measure(cmd, cold_out))
            warms.append(measure(cmd, warm_out))
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)
    with open(cold_out, "rb") as a, open(warm_out, "rb") as b:
        if a.read() != b.read():
            raise SystemExit(differs)
    return median_of(colds), median_of(warms)


def render(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| employees | grants | naive s (CPU s) | check s (CPU s) | naive/check wall (CPU) | check MB | naive MB "
        "| cold s | warm s | cold/warm | base cold s (CPU s) / MB | base warm s (CPU s) / MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        n, c = r["naive"], r["check"]
        def base_cell(m: dict[str, float] | None) -> str:
            return f"{m['wall']:.2f} ({m['cpu']:.2f}) / {m['rss_mb']:.0f}" if m else "n/a"
        base = f"{base_cell(r.get('base_cold'))} | {base_cell(r.get('base'))}"
        lines.append(
            f"| {r['employees']:,} | {r['grants']:,} | {n['wall']:.2f} ({n['cpu']:.2f}) "
            f"| {c['wall']:.2f} ({c['cpu']:.2f}) "
            f"| {n['wall'] / c['wall']:.1f}x ({n['cpu'] / c['cpu']:.1f}x) | {c['rss_mb']:.0f} | {n['rss_mb']:.0f} "
            f"| {r['cold']['wall']:.2f} | {r['warm']['wall']:.2f} | {r['cold']['wall'] / r['warm']['wall']:.1f}x "
            f"| {base} |")
    return "\n".join(lines)


def _met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def targets(rows: list[dict[str, Any]]) -> str:
    """The compliant organisation's targets (issue 5), each met or not."""
    lines = []
    for r in rows:
        c, n = r["check"], r["naive"]
        if r["employees"] == 10_000:
            lines.append(f"- compliant 10k: check at least 8x faster than the naive script: "
                         f"{_met(n['wall'] / c['wall'] >= 8)} ({n['wall'] / c['wall']:.1f}x)")
        if r["employees"] == 100_000:
            lines.append(f"- compliant 100k: check in at most 10 s and 1 GB: "
                         f"{_met(c['wall'] <= 10 and c['rss_mb'] <= 1024)} ({c['wall']:.2f} s, {c['rss_mb']:.0f} MB)")
        if r["employees"] >= 10_000:
            lines.append(f"- compliant {r['employees'] // 1000}k: warm at least 5x faster than cold: "
                         f"{_met(r['cold']['wall'] >= 5 * r['warm']['wall'])} "
                         f"({r['cold']['wall'] / r['warm']['wall']:.1f}x)")
            if r.get("base") and r["employees"] == 100_000:
                lines.append(f"- compliant 100k: --base with the index cached within 1 s: "
                             f"{_met(r['base']['wall'] <= 1)} ({r['base']['wall']:.2f} s)")
    return "\n".join(lines)


def render_adoption(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| employees | grants | findings | text s (CPU s) / MB | json s (CPU s) / MB | sarif s (CPU s) / MB "
        "| naive s | naive/json | cold json s | warm json s | cold/warm |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    checks = []
    for r in rows:
        def cell(m: dict[str, float]) -> str:
            return f"{m['wall']:.2f} ({m['cpu']:.2f}) / {m['rss_mb']:.0f}"
        naive = r.get("naive")
        ratio = naive["wall"] / r["json"]["wall"] if naive else None
        naive_cell = f"{naive['wall']:.2f}" if naive else "n/a"
        ratio_cell = f"{ratio:.1f}x" if ratio else "n/a"
        lines.append(
            f"| {r['employees']:,} | {r['grants']:,} | {r['findings']:,} | {cell(r['text'])} | {cell(r['json'])} "
            f"| {cell(r['sarif'])} | {naive_cell} "
            f"| {ratio_cell} | {r['cold']['wall']:.2f} | {r['warm']['wall']:.2f} "
            f"| {r['cold']['wall'] / r['warm']['wall']:.1f}x |")
        size = f"{r['employees'] // 1000}k" if r["employees"] >= 1000 else str(r["employees"])
        if r["employees"] == 100_000:
            for fmt in ("text", "json", "sarif"):
                m = r[fmt]
                checks.append(f"- adoption 100k, {fmt}: at most 10 s and 1 GB: "
                              f"{_met(m['wall'] <= 10 and m['rss_mb'] <= 1024)} "
                              f"({m['wall']:.2f} s, {m['rss_mb']:.0f} MB)")
        if r["employees"] == 10_000 and ratio is not None:
            checks.append(f"- adoption 10k: JSON at least 8x faster than the naive script: {_met(ratio >= 8)} "
                          f"({ratio:.1f}x)")
        cold, warm = r["cold"]["wall"], r["warm"]["wall"]
        checks.append(f"- adoption {size}: warm no slower than cold: {_met(warm <= cold)}"
                      + (f"; at least 5x faster: {_met(cold >= 5 * warm)} ({cold / warm:.1f}x)"
                         if r["employees"] >= 10_000 else ""))
    return "\n".join(lines) + "\n\nTargets (issue 17):\n" + "\n".join(checks)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="employees per organisation, comma-separated")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (the median is shown)")
    ap.add_argument("--workdir", default=None, help="where organisations are generated and kept (default: temp)")
    ap.add_argument("--json", dest="json_out", default=None, help="also write the measurements to this file")
    ap.add_argument("--no-base", action="store_true", help="skip the --base measurement")
    ap.add_argument("--from-json", default=None, help="only print the table of a --json file written earlier")
    ap.add_argument("--no-adoption", action="store_true", help="skip the adoption-day organisation")
    ap.add_argument("--no-compliant", action="store_true", help="skip the compliant organisation")
    ap.add_argument("--adoption-today", default=None, metavar="YYYY-MM-DD",
                    help="the date the adoption-day organisation is checked on (default: today)")
    args = ap.parse_args(argv)
    if args.from_json:
        with open(args.from_json, encoding="utf-8") as fh:
            saved = json.load(fh)
        rows, adoption = (saved, []) if isinstance(saved, list) else (saved["compliant"], saved["adoption"])
        if rows:
            print(render(rows))
            print(targets(rows))
        if adoption:
            print(render_adoption(adoption))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s]
    workdir = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix="permgate-bench-"))
    os.makedirs(workdir, exist_ok=True)
    byte_compile()
    base = not args.no_base and has_base()
    rows = []
    for size in [] if args.no_compliant else sizes:
        row = bench_size(size, workdir, args.repeat, base)
        rows.append(row)
        print(f"measured {size:,} employees", file=sys.stderr, flush=True)
    adoption = []
    today = args.adoption_today or dt.date.today().isoformat()
    if not args.no_adoption:
        for size in sizes:
            adoption.append(bench_adoption(size, workdir, args.repeat, today))
            print(f"measured the adoption-day organisation of {size:,} employees", file=sys.stderr, flush=True)
    print(f"permgate benchmark: {os.cpu_count()} cores, median of {args.repeat} runs")
    if rows:
        print(f"\nThe compliant organisation (benchmarks/gen_org.py --policies, --today {TODAY}"
              f"{'' if base else ', --base not measured'}):\n")
        print(render(rows))
        print("\nTargets (issue 5):\n" + targets(rows))
    if adoption:
        print(f"\nThe adoption-day organisation (the reference generator's output, --today {today}):\n")
        print(render_adoption(adoption))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as fh:
            json.dump({"compliant": rows, "adoption": adoption}, fh, indent=2)
            fh.write("\n")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
