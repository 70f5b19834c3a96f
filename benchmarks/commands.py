#!/usr/bin/env python3
"""The other commands at scale (issue 17): ``report --html``, ``who-can``, ``grantable`` and a cold
``check --base``, against their targets, with a baseline permgate in the same run.

    python benchmarks/commands.py --baseline /path/to/old/checkout            # 100k, 3 runs each
    python benchmarks/commands.py --employees 10000 --repeat 1 --baseline OLD  # a quick look

It generates the reference organisation (``../shared/bench/gen_org.py``, or ``--gen-org``; or takes
``--org DIR``), adds the shipped policy, and makes a git repository of it (tagged ``base``) with a
commit on top that changes 10 grants files, as ``benchmarks/run.py`` does.  Then, alternating the
baseline's permgate and this one (each run its own process, ``python -m permgate`` in each
checkout), it measures:

- ``report``: ``permgate report --html OUT --today 2026-11-27`` (page size too);
- ``who-can``: ``permgate who-can P083`` (the permission the 2023 incident was about);
- ``grantable``: ``permgate grantable E000009 --today 2026-11-27``;
- ``base``: ``permgate check --base base --today 2026-11-27`` with an empty cache (a CI runner's).

It prints the median wall time, CPU (user + system, children included) and peak memory of each,
the baseline/this ratios, whether each target is met, and whether the outputs are equal
(``report``: its summary line; the page is compared only where it is meant to be the same).
"""

from __future__ import annotations

import argparse
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
PROJECT = os.path.dirname(HERE)
TODAY = "2026-11-27"
BASE_CHANGES = 10

#: command -> (wall seconds at most, page MB at most or None)
TARGETS: dict[str, tuple[float, float | None]] = {
    "report": (10.0, 20.0),
    "who-can": (2.0, None),
    "grantable": (1.0, None),
    "base": (3.0, None),
}


def measure(python: str, cwd: str, args: list[str], out_path: str) -> dict[str, float]:
    """Run ``python -m permgate ARGS`` in ``cwd``; wall s, CPU s (children included), peak RSS MB."""
    with open(out_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([python, "-m", "permgate", *args], stdout=out, stderr=subprocess.PIPE, cwd=cwd)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{args} failed ({code}): {err.decode(errors='replace')[-2000:]}")
    with open(out_path + ".err", "wb") as fh:
        fh.write(err)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def prepare(workdir: str, employees: int, gen_org: str, org: str | None) -> str:
    """The organisation as a git repository: ``base`` tag, and the branch ``change`` 10 files on."""
    repo = os.path.join(workdir, f"ref-{employees}")
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.org",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.org")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, env=env, capture_output=True)

    if not os.path.isdir(os.path.join(repo, ".git")):
        shutil.rmtree(repo, ignore_errors=True)
        if org:
            shutil.copytree(org, repo)
        else:
            subprocess.run([sys.executable, gen_org, "--employees", str(employees), "--out", repo], check=True,
                           capture_output=True)
            os.makedirs(os.path.join(repo, "policies"), exist_ok=True)
            shutil.copy(os.path.join(PROJECT, "policies", "unbundling.yaml"), os.path.join(repo, "policies"))
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "organisation"], ["tag", "base"]):
            git(*args)
        git("checkout", "-q", "-b", "change")
        folder = os.path.join(repo, "assignments", "retail-sales")
        for name in sorted(os.listdir(folder))[:BASE_CHANGES]:
            with open(os.path.join(folder, name), "a", encoding="utf-8") as fh:
                fh.write('  - permission: P001\n    granted_by: E000001\n    granted_on: 2022-12-01\n'
                         '    reason: "benchmark change, ticket ACC-00001"\n')
        git("commit", "-q", "-am", "the change")
        time.sleep(2.1)  # past the cache's racy window for the files just written
    return repo


def commands(repo: str, out_dir: str, side: str) -> dict[str, list[str]]:
    return {
        "report": ["report", "--root", repo, "--html", os.path.join(out_dir, f"{side}.html"), "--today", TODAY],
        "who-can": ["who-can", "P083", "--root", repo],
        "grantable": ["grantable", "E000009", "--root", repo, "--today", TODAY],
        "base": ["check", "--root", repo, "--base", "base", "--today", TODAY, "--cache-dir",
                 os.path.join(out_dir, f"cache-{side}")],
    }


def python_of(checkout: str) -> str:
    for candidate in (os.path.join(checkout, ".venv", "bin", "python"), sys.executable):
        if os.path.exists(candidate):
            return candidate
    return sys.executable


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", required=True, help="a checkout of the permgate to compare with (its .venv)")
    ap.add_argument("--employees", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default=",".join(TARGETS), help="commands to run, comma-separated")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "permgate-commands-bench"))
    ap.add_argument("--gen-org", default=os.path.join(PROJECT, "..", "shared", "bench", "gen_org.py"))
    ap.add_argument("--org", help="an organisation folder to copy instead of generating one")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    repo = prepare(args.workdir, args.employees, args.gen_org, args.org)
    out_dir = os.path.join(args.workdir, "out")
    os.makedirs(out_dir, exist_ok=True)
    sides = {"baseline": os.path.abspath(args.baseline), "this": PROJECT}
    for checkout in sides.values():  # as pip install does (PYTHONDONTWRITEBYTECODE may be set)
        subprocess.run([python_of(checkout), "-m", "compileall", "-q", os.path.join(checkout, "permgate")],
                       check=True, capture_output=True)
    wanted = args.only.split(",")
    runs: dict[str, dict[str, list[dict[str, float]]]] = {c: {s: [] for s in sides} for c in wanted}
    equal: dict[str, bool] = {}
    page_mb: dict[str, float] = {}
    for command in wanted:
        for _ in range(args.repeat):
            for side, checkout in sides.items():
                cmd = commands(repo, out_dir, side)[command]
                if command == "base":
                    shutil.rmtree(cmd[-1], ignore_errors=True)  # an empty cache, every run
                out = os.path.join(out_dir, f"{command}.{side}.out")
                runs[command][side].append(measure(python_of(checkout), checkout, cmd, out))
        outs = {side: open(os.path.join(out_dir, f"{command}.{side}.out"), "rb").read() for side in sides}
        errs = {side: open(os.path.join(out_dir, f"{command}.{side}.out.err"), "rb").read() for side in sides}
        if command == "report":
            page_mb = {side: os.path.getsize(os.path.join(out_dir, f"{side}.html")) / 1e6 for side in sides}
            outs = {side: o.replace(f"{side}.html".encode(), b"OUT") for side, o in outs.items()}
        equal[command] = outs["baseline"] == outs["this"] and errs["baseline"] == errs["this"]
    load = os.getloadavg()
    print(f"# {args.employees} employees, median of {args.repeat}, load average {load[0]:.1f} {load[1]:.1f} "
          f"{load[2]:.1f} at the end, {os.cpu_count()} cores")
    print("| command | baseline s (CPU s) / MB | this s (CPU s) / MB | wall ratio | CPU ratio | target | met | "
          "output equal |")
    print("|---|---:|---:|---:|---:|---|---|---|")
    figures: dict[str, Any] = {"employees": args.employees, "repeat": args.repeat, "load": load, "rows": {}}
    for command in wanted:
        med = {side: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for side, rs in runs[command].items()}
        base, this = med["baseline"], med["this"]
        limit, page_limit = TARGETS[command]
        met = this["wall"] <= limit
        target = f"<= {limit:g} s"
        if page_limit is not None:
            met = met and page_mb["this"] <= page_limit
            target += f", page <= {page_limit:g} MB (this {page_mb['this']:.1f} MB, baseline {page_mb['baseline']:.1f})"
        print(f"| {command} | {base['wall']:.2f} ({base['cpu']:.2f}) / {base['rss_mb']:.0f} | "
              f"{this['wall']:.2f} ({this['cpu']:.2f}) / {this['rss_mb']:.0f} | {base['wall'] / this['wall']:.1f}x | "
              f"{base['cpu'] / this['cpu']:.1f}x | {target} | {'met' if met else 'NOT met'} | "
              f"{'yes' if equal[command] else 'NO'} |")
        figures["rows"][command] = {"baseline": base, "this": this, "runs": runs[command], "met": met,
                                    "equal": equal[command], "page_mb": page_mb if command == "report" else None}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
