#!/usr/bin/env python3
"""Roles at scale (issue 14): ``check`` on an organisation granting mostly through roles, against the
direct-grant organisation of the same size and seed; and ``check --base`` for a one-line change to the
role with the most holders.

    python benchmarks/roles.py --employees 100000 --work /tmp/roles-bench [--repeat 3] [--teams 1]
        [--base-only] [--against OTHER_PYTHON]

``--base-only`` skips the two ``check`` runs; ``--against`` also times ``check --base`` with another
interpreter (a checkout of main with its own venv: ``/path/to/main/.venv/bin/python``) in the same
script, each with its own empty cache, and says whether both wrote the same bytes (an A/B).

Each figure is the median of ``--repeat`` runs: wall seconds and the CPU seconds (user+sys) of the
permgate process and its children.  ``--teams 1`` gives each division one team role (including the
division's base role): at 100,000 employees the largest is held by about 20,000 people.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GEN = HERE / "gen_org.py"
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def timed(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc.stdout


def median(runs: list[tuple[float, float, str]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=dict(os.environ, **GIT_ENV))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--employees", type=int, default=100_000)
    ap.add_argument("--work", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--teams", type=int, default=1)
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--base-only", action="store_true", help="only the check --base part")
    ap.add_argument("--against", help="another interpreter to time check --base with (A/B)")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    permgate = [sys.executable, "-m", "permgate"]
    orgs = {"direct": work / f"direct{args.employees}", "roles": work / f"roles{args.employees}"}
    for kind, out in orgs.items():
        if not out.exists() and not (args.base_only and kind == "direct"):
            extra = ["--roles", str(args.teams)] if kind == "roles" else []
            subprocess.run([sys.executable, str(GEN), "--employees", str(args.employees), "--out", str(out),
                            "--seed", str(args.seed), "--policies", *extra], check=True)
    result: dict[str, object] = {"employees": args.employees, "teams": args.teams}
    for kind, out in orgs.items():
        if args.base_only:
            break
        runs = [timed([*permgate, "check", "--root", str(out), "--no-cache", "--format", "json"])
                for _ in range(args.repeat)]
        summary = json.loads(runs[0][2])["summary"]
        result[kind] = {"wall": median(runs)[0], "cpu": median(runs)[1], "grants": summary["grants"],
                        "errors": summary["errors"]}
        print(kind, result[kind], flush=True)

    # --base: one line added to the team role with the most holders, committed on a branch
    repo = work / f"repo{args.employees}"
    if repo.exists():
        shutil.rmtree(repo)
    shutil.copytree(orgs["roles"], repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    holders: dict[str, int] = {}
    for path in (repo / "assignments").rglob("*.yaml"):
        for role in re.findall(r"^  - role: (\S+)$", path.read_text("utf-8"), re.M):
            holders[role] = holders.get(role, 0) + 1
    role, count = max(holders.items(), key=lambda kv: kv[1])
    roles_text = (repo / "roles.yaml").read_text("utf-8")
    catalog = (repo / "catalog.yaml").read_text("utf-8")
    division = role.rsplit("-team-", 1)[0]
    # a permission another division owns (for retail-sales: a distribution one, which the gate refuses)
    other = "distribution" if division == "retail-sales" else "retail-sales"
    perm = re.search(rf"- id: (P\d+)\n  name: .*\n  owner_division: {other}\n", catalog)[1]
    block = re.search(rf"- id: {re.escape(role)}\n(?:  .*\n)*?  permissions:\n", roles_text)
    (repo / "roles.yaml").write_text(roles_text[:block.end()] + f"  - {perm}\n" + roles_text[block.end():], "utf-8")
    git(repo, "checkout", "-q", "-b", "change")
    git(repo, "commit", "-q", "-am", f"{role} gains {perm}")
    outputs: dict[str, str] = {}
    sides = {"base": sys.executable, **({"against": args.against} if args.against else {})}
    for name, python in sides.items():
        cache = work / f"cache-{name}"
        shutil.rmtree(cache, ignore_errors=True)
        env = dict(os.environ, XDG_CACHE_HOME=str(cache))
        base_cmd = [python, "-m", "permgate", "check", "--base", "main", "--format", "json"]
        load = os.getloadavg()[0]
        cold = timed(base_cmd, repo, env)
        warm = [timed(base_cmd, repo, env) for _ in range(args.repeat)]
        outputs[name] = warm[0][2]
        doc = json.loads(warm[0][2])
        new = doc["findings"]
        result[name] = {"python": python, "role": role, "holders": count, "permission": perm,
                        "cold_wall": cold[0], "cold_cpu": cold[1], "warm_wall": median(warm)[0],
                        "warm_cpu": median(warm)[1], "new_findings": len(new),
                        "holders_with_findings": len({f["employee"] for f in new if f["employee"]}),
                        "incremental": doc["summary"].get("incremental"),
                        "load_average": [round(load, 1), round(os.getloadavg()[0], 1)]}
        print(name, result[name], flush=True)
    if args.against:
        result["same_output"] = outputs["base"] == outputs["against"]
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
