#!/usr/bin/env python3
"""Access reviews at scale (issue 16): ``review open`` on 100,000 employees (2 million grants), and what
an open campaign of 2 million items adds to ``check``.

    python benchmarks/reviews.py [--employees 100000] [--work DIR] [--baseline CHECKOUT] [--repeat N]

Generates the organisation (``benchmarks/gen_org.py --policies``) once, then, ``--repeat`` times:

- ``review open``: a fresh copy of the organisation, ``permgate review open --campaign Q2 --scope all``
  (every grant), with this checkout and, with ``--baseline DIR``, with that one too (alternating);
  prints wall, CPU (user + system, workers included) and peak memory, the ratios baseline / this,
  the number of items and reviewer files and the largest file (items);
- ``check`` with the campaign this checkout opened, and without it (the ``reviews`` folder moved
  aside), both ``permgate check --no-cache --format json`` with this checkout, alternating; prints
  the ratio with / without (target: at most 1.30).  An open campaign does not put ``not-recertified``
  in force (only a closed one does: docs/reviews.md), so both runs report the same findings and the
  ratio is the cost of the campaign's files alone.  ``--check-only`` reuses the campaign of a
  previous run; ``--open-only`` times ``review open`` alone.

Targets (issue 16): ``review open`` in at most 10 s; an open campaign adds at most 30% to ``check``.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from argparse import ArgumentParser, RawDescriptionHelpFormatter
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
TODAY = "2026-06-01"
DUE = "2026-06-30"
TARGET_OPEN_SECONDS = 10.0
TARGET_CHECK_RATIO = 1.30


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


def median(runs: list[dict[str, float]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 2)


def lists(folder: Path) -> dict[str, int]:
    """Items per reviewer file."""
    return {p.stem: p.read_text("utf-8").count("\n  - employee: ") for p in sorted(folder.glob("*.yaml"))}


def main() -> int:
    ap = ArgumentParser(description=__doc__, formatter_class=RawDescriptionHelpFormatter)
    ap.add_argument("--employees", type=int, default=100_000)
    ap.add_argument("--work", default="/tmp/permgate-reviews-bench")
    ap.add_argument("--baseline", type=Path, help="a checkout of the permgate revision to compare with")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--check-only", action="store_true", help="reuse the campaign a previous run opened")
    ap.add_argument("--open-only", action="store_true", help="time review open only (no check runs)")
    args = ap.parse_args()
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    org = work / f"org{args.employees}"
    if not (org / "people.yaml").exists():
        subprocess.run([sys.executable, str(HERE / "gen_org.py"), "--employees", str(args.employees),
                        "--out", str(org), "--policies"], check=True, stdout=subprocess.DEVNULL)
    codes = {"this": PROJECT} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    opened: dict[str, list[dict[str, float]]] = {name: [] for name in codes}
    shape: dict[str, dict[str, object]] = {}
    root = work / "campaign"
    for i in range(0 if args.check_only else args.repeat):
        for name, code in sorted(codes.items(), key=lambda kv: (kv[0] == "this") == (i % 2 == 0)):
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(org, root)
            cmd = [sys.executable, "-m", "permgate", "review", "open", "--root", str(root), "--campaign", "Q2",
                   "--due", DUE, "--today", TODAY]
            opened[name].append(measure(cmd, code, work / f"open-{name}.txt"))
            items = lists(root / "reviews" / "Q2")
            biggest = max(items, key=lambda k: (items[k], k))
            shape[name] = {"items": sum(items.values()), "files": len(items), "largest_file": biggest,
                           "largest_items": items[biggest]}
            print(json.dumps({"command": "review open", "code": name, "run": i + 1, **opened[name][-1],
                              **shape[name]}), flush=True)
            if name == "this" and i == args.repeat - 1:
                shutil.rmtree(work / "campaign-this", ignore_errors=True)
                shutil.move(str(root), str(work / "campaign-this"))
    if not args.check_only:
        result: dict[str, object] = {"command": "review open", "employees": args.employees}
        for name in codes:
            result[name] = {k: median(opened[name], k) for k in ("seconds", "cpu_seconds", "max_rss_mb")} | shape[name]
        if args.baseline:
            result["ratio_baseline_over_this"] = {
                k: round(median(opened["baseline"], k) / median(opened["this"], k), 2)
                for k in ("seconds", "cpu_seconds", "max_rss_mb")}
        result["target"] = f"{TARGET_OPEN_SECONDS:g} s: " + (
            "met" if median(opened["this"], "seconds") <= TARGET_OPEN_SECONDS else "not met")
        print(json.dumps(result), flush=True)
    if args.open_only:
        return 0

    campaign = work / "campaign-this"
    aside = work / "reviews-aside"
    shutil.rmtree(aside, ignore_errors=True)
    kinds: tuple[str, ...] = ("with", "without")
    if args.baseline:
        kinds += ("with-baseline-code",)  # the same campaign read by the baseline (no fast path for its files)
    checks: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    cmd = [sys.executable, "-m", "permgate", "check", "--root", str(campaign), "--no-cache", "--format", "json",
           "--today", TODAY]
    for i in range(args.repeat):
        for kind in (kinds if i % 2 == 0 else kinds[::-1]):
            if kind.startswith("without"):
                shutil.move(str(campaign / "reviews"), str(aside))
            try:
                code = codes["baseline"] if kind == "with-baseline-code" else PROJECT
                checks[kind].append(measure(cmd, code, work / f"check-{kind}.json"))
            finally:
                if kind.startswith("without"):
                    shutil.move(str(aside), str(campaign / "reviews"))
            summary = json.loads((work / f"check-{kind}.json").read_text())["summary"]
            print(json.dumps({"command": "check", "campaign": kind, "run": i + 1, **checks[kind][-1],
                              "errors": summary["errors"], "warnings": summary["warnings"]}), flush=True)
    keys = ("seconds", "cpu_seconds", "max_rss_mb")
    out: dict[str, object] = {"command": "check"}
    for kind in kinds:
        out[kind] = {k: median(checks[kind], k) for k in keys}
    for kind in kinds[1:]:
        if kind == "with-baseline-code":
            out["ratio_baseline_code_over_this"] = {
                k: round(median(checks[kind], k) / median(checks["with"], k), 2) for k in keys}
            out["identical_output"] = (work / f"check-{kind}.json").read_bytes() == \
                (work / "check-with.json").read_bytes()
            continue
        ratio = {k: round(median(checks["with"], k) / median(checks[kind], k), 2) for k in keys}
        out[f"ratio_with_over_{kind}"] = ratio
        out[f"target_over_{kind}"] = f"{TARGET_CHECK_RATIO:.2f}: " + (
            "met" if ratio["seconds"] <= TARGET_CHECK_RATIO and ratio["cpu_seconds"] <= TARGET_CHECK_RATIO
            else "not met")
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
