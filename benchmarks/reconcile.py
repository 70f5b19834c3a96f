#!/usr/bin/env python3
"""``permgate reconcile`` and ``permgate import`` at scale: an export of 1.4 to 2 million rows against
100,000 employees, measured against a baseline checkout in the same run.

    python benchmarks/reconcile.py [--employees 100000] [--work DIR] [--baseline CHECKOUT] [--repeat N]
                                   [--all-rows] [--import]

Generates the organisation (``benchmarks/gen_org.py --policies``), writes its grants as the system
of record's export (one CSV row per grant in force on the run's date, plus a few out-of-band rows
so the run has findings; ``--all-rows``: every grant, expired ones too, 2 million rows), then runs
``permgate reconcile --format json`` in a child process, ``--repeat`` times.  With ``--baseline DIR``
(a checkout of another permgate revision, e.g. ``git worktree add /tmp/base main``) the same command
runs with that code too, alternating, and the script prints the ratios baseline / this and whether
the two outputs are byte-identical.  ``--import`` also times ``permgate import`` of the export into
a fresh folder (people and catalog copied in) for each code, and compares the written trees.

Figures per run: wall seconds, CPU seconds (user + system, workers included) and peak memory (the
largest resident set of the process and its workers).  Targets (issue 15): reconcile in at most
10 s and 1 GB (docs/performance.md#reconcile).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
_ENTRY = re.compile(r"^  - permission: (\S+)\n    granted_by: (\S+)\n    granted_on: (\S+)\n"
                    r"(?:    reason: .*\n)?(?:    expires: (\S+)\n)?", re.M)
#: the date of the run: the export holds what the system holds that day
TODAY = "2026-06-01"
TARGET_SECONDS = 10.0
TARGET_MB = 1024


def write_export(root: Path, out: Path, all_rows: bool) -> int:
    rows = 0
    with out.open("w", encoding="utf-8") as fh:
        fh.write("employee,permission,granted_on,granted_by,last_used,source\n")
        for path in sorted((root / "assignments").rglob("*.yaml")):
            employee = path.stem
            for permission, by, on, expires in _ENTRY.findall(path.read_text(encoding="utf-8")):
                if expires and expires < TODAY and not all_rows:
                    continue  # a system that applies expiries no longer holds it (else 28% expired-but-active)
                fh.write(f"{employee},{permission},{on},{by},2026-05-01,screen\n")
                rows += 1
        for n in range(1, 6):  # registered on the screen, never granted in git
            fh.write(f"E{n:06d},P083,2026-03-01,,,screen\n")
            rows += 1
    return rows


def which(code: Path, cwd: Path) -> Path:
    """The ``permgate`` package a child started as ``measure`` starts it imports."""
    env = dict(os.environ, PYTHONPATH=str(code))
    out = subprocess.run([sys.executable, "-c", "import permgate; print(permgate.__file__)"], env=env, cwd=cwd,
                         check=True, capture_output=True, text=True).stdout.strip()
    return Path(out).resolve().parent


def measure(cmd: list[str], code: Path, out_path: Path) -> dict[str, float]:
    """Run ``cmd`` with ``code`` first on the import path, in the folder of ``out_path`` (not the project:
    ``python -m`` puts the current folder first); wall, CPU (the process and its workers), peak RSS."""
    env = dict(os.environ, PYTHONPATH=str(code), PYTHONHASHSEED="0")
    if which(code, out_path.parent) != (code / "permgate").resolve():
        raise SystemExit(f"a child would not import permgate from {code}")
    with out_path.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env, cwd=out_path.parent)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    code_ = os.waitstatus_to_exitcode(status)
    if code_ not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({code_}): {err.decode(errors='replace')[-2000:]}")
    return {"seconds": round(wall, 2), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "max_rss_mb": round(usage.ru_maxrss / 1024)}


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def median(runs: list[dict[str, float]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 2)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--employees", type=int, default=100_000)
    ap.add_argument("--work", default="/tmp/permgate-reconcile-bench")
    ap.add_argument("--baseline", type=Path, help="a checkout of the permgate revision to compare with")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--all-rows", action="store_true", help="export every grant, expired ones too")
    ap.add_argument("--import", dest="import_", action="store_true", help="also time permgate import")
    args = ap.parse_args()
    work = Path(args.work).resolve()
    root = work / f"org{args.employees}"
    export = work / f"access{args.employees}{'-all' if args.all_rows else ''}.csv"
    if not (root / "people.yaml").exists():
        subprocess.run([sys.executable, str(HERE / "gen_org.py"), "--employees", str(args.employees),
                        "--out", str(root), "--policies"], check=True, stdout=subprocess.DEVNULL)
    if not export.exists():
        print(f"export: {write_export(root, export, args.all_rows)} rows, {export.stat().st_size} bytes", flush=True)
    codes = {"this": PROJECT} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    cmd = [sys.executable, "-m", "permgate", "reconcile", "--root", str(root), "--actual", str(export),
           "--format", "json", "--today", TODAY]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in codes}
    for i in range(args.repeat):
        for name, code in sorted(codes.items(), key=lambda kv: (kv[0] == "this") == (i % 2 == 0)):
            runs[name].append(measure(cmd, code, work / f"reconcile-{name}.json"))
            print(json.dumps({"command": "reconcile", "code": name, "run": i + 1, **runs[name][-1]}), flush=True)
    summary = json.loads((work / "reconcile-this.json").read_text())["summary"]
    result: dict[str, object] = {"command": "reconcile", "employees": args.employees,
                                 "rows": summary["actual"]["rows"], "errors": summary["errors"],
                                 "warnings": summary["warnings"], "notes": summary["notes"]}
    for name in codes:
        result[name] = {k: median(runs[name], k) for k in ("seconds", "cpu_seconds", "max_rss_mb")}
    if args.baseline:
        result["identical_output"] = (work / "reconcile-this.json").read_bytes() == \
            (work / "reconcile-baseline.json").read_bytes()
        result["ratio_baseline_over_this"] = {k: round(median(runs["baseline"], k) / median(runs["this"], k), 2)
                                              for k in ("seconds", "cpu_seconds", "max_rss_mb")}
    this = runs["this"]
    result["target"] = (f"{TARGET_SECONDS:g} s and {TARGET_MB} MB: "
                        f"{'met' if median(this, 'seconds') <= TARGET_SECONDS else 'not met'} (wall), "
                        f"{'met' if median(this, 'max_rss_mb') <= TARGET_MB else 'not met'} (memory)")
    print(json.dumps(result), flush=True)
    if args.import_:
        imported: dict[str, object] = {"command": "import", "rows": summary["actual"]["rows"]}
        digests = {}
        for name, code in codes.items():
            out = work / f"import-{name}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            for rel in ("people.yaml", "catalog.yaml"):
                shutil.copy(root / rel, out / rel)
            imported[name] = measure([sys.executable, "-m", "permgate", "import", "--access", str(export),
                                      "--out", str(out), "--as-of", TODAY], code, work / f"import-{name}.txt")
            print(json.dumps({"command": "import", "code": name, **imported[name]}), flush=True)  # type: ignore[dict-item]
            digests[name] = tree_digest(out)
            shutil.rmtree(out)
        if args.baseline:
            imported["identical_output"] = digests["this"] == digests["baseline"]
            a, b = imported["baseline"], imported["this"]
            imported["ratio_baseline_over_this"] = {k: round(a[k] / b[k], 2)  # type: ignore[index]
                                                    for k in ("seconds", "cpu_seconds", "max_rss_mb")}
        print(json.dumps(imported), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
