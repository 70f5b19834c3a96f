#!/usr/bin/env python3
"""``permgate reconcile`` at scale: an export of about 2 million rows against 100,000 employees.

    python benchmarks/reconcile.py [--employees 100000] [--work DIR]

Generates the organisation (``benchmarks/gen_org.py --policies``), writes its grants as the system
of record's export (one CSV row per grant in force on the run's date, plus a few out-of-band rows
so the run has findings), then runs ``permgate reconcile --format json`` in a child process and
prints the wall time and the child's peak memory (max RSS).  Target: at most 10 s and 1 GB
(docs/performance.md#reconcile).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_ENTRY = re.compile(r"^  - permission: (\S+)\n    granted_by: (\S+)\n    granted_on: (\S+)\n"
                    r"(?:    reason: .*\n)?(?:    expires: (\S+)\n)?", re.M)
#: the date of the run: the export holds what the system holds that day
TODAY = "2026-06-01"


def write_export(root: Path, out: Path) -> int:
    rows = 0
    with out.open("w", encoding="utf-8") as fh:
        fh.write("employee,permission,granted_on,granted_by,last_used,source\n")
        for path in sorted((root / "assignments").rglob("*.yaml")):
            employee = path.stem
            for permission, by, on, expires in _ENTRY.findall(path.read_text(encoding="utf-8")):
                if expires and expires < TODAY:
                    continue  # a system that applies expiries no longer holds it (else 28% expired-but-active)
                fh.write(f"{employee},{permission},{on},{by},2026-05-01,screen\n")
                rows += 1
        for n in range(1, 6):  # registered on the screen, never granted in git
            fh.write(f"E{n:06d},P083,2026-03-01,,,screen\n")
            rows += 1
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--employees", type=int, default=100_000)
    ap.add_argument("--work", default="/tmp/permgate-reconcile-bench")
    args = ap.parse_args()
    work = Path(args.work)
    root = work / f"org{args.employees}"
    export = work / f"access{args.employees}.csv"
    if not (root / "people.yaml").exists():
        subprocess.run([sys.executable, str(HERE / "gen_org.py"), "--employees", str(args.employees),
                        "--out", str(root), "--policies"], check=True, stdout=subprocess.DEVNULL)
    if not export.exists():
        print(f"export: {write_export(root, export)} rows, {export.stat().st_size} bytes", flush=True)
    cmd = [sys.executable, "-m", "permgate", "reconcile", "--root", str(root), "--actual", str(export),
           "--format", "json", "--today", TODAY]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=dict(os.environ, PYTHONHASHSEED="0"))
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss_mb = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime  # of the run alone
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr.decode())
        return 2
    summary = json.loads(proc.stdout)["summary"]
    print(json.dumps({"employees": args.employees, "rows": summary["actual"]["rows"], "seconds": round(seconds, 2),
                      "cpu_seconds": round(cpu, 2),
                      "max_rss_mb": round(rss_mb), "errors": summary["errors"], "warnings": summary["warnings"],
                      "notes": summary["notes"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
