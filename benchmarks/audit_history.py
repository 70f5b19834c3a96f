#!/usr/bin/env python3
"""Benchmark ``permgate audit`` on a large history, and check its answer at that scale.

    python benchmarks/audit_history.py [--employees 10000] [--commits 1000] [--seed 7] [--out DIR]

Builds (once per parameters, under benchmarks/out/ by default) a git repository whose
first commit is an organisation written by the reference generator (``benchmarks/gen_org.py --reference``) plus the
shipped policies, followed by ``--commits - 1`` commits, one per day, each editing one
to three grants files: grants added and removed, distribution permissions granted to
retail-sales people (violations planted) and later removed.  About one commit in twenty
(``--transfers``) is an HR commit instead: one or two people move between retail-sales and
distribution (division and manager changed in people.yaml), half of them with their grants
file moved to the new division's folder in the same commit; they keep their grants, so a
transfer into retail-sales opens an exposure and one out of it closes one.  The history is
written with ``git fast-import`` (seconds, not the minutes of 1000 ``git commit`` calls).

The script keeps its own ground truth (which (employee, permission) violation entered
and left at which commit, judged by where the employee sat at that commit, computed from
the generated data with plain PyYAML), runs
``permgate.analysis.audit.audit`` and compares: every window must match exactly.  Then it prints
the timings; pass ``--cli`` to also time the command line end to end.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parent.parent
GEN_ORG = PROJECT / "benchmarks" / "gen_org.py"  # with --reference: the reference generator's bytes
POLICY = PROJECT / "policies" / "unbundling.yaml"
START = dt.datetime(2021, 1, 4, 9, 0, tzinfo=dt.timezone.utc)

sys.path.insert(0, str(PROJECT))


def split_entries(text: str) -> tuple[str, list[str]]:
    parts = re.split(r"(?m)^(?=  - permission:)", text)
    return parts[0], parts[1:]


def entry(permission: str, granted_by: str, day: str, reason: str) -> str:
    return (f"  - permission: {permission}\n    granted_by: {granted_by}\n    granted_on: {day}\n"
            f"    reason: \"{reason}\"\n")


def held(entries: list[str]) -> list[str]:
    return [re.match(r"  - permission: (\S+)", e).group(1) for e in entries]  # type: ignore[union-attr]


def build(out: Path, employees: int, commits: int, seed: int, transfers: float = 0.05,
          gen_org: Path = GEN_ORG) -> dict[str, object]:
    """Write the repository; return the ground truth (windows by mark) and the build time."""
    org = out / "org"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(gen_org), "--employees", str(employees), "--out", str(org),
                    "--seed", str(seed), *(["--reference"] if gen_org == GEN_ORG else [])],
                   check=True, capture_output=True)
    t_gen = time.perf_counter() - t0
    people = yaml.load((org / "people.yaml").read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    catalog = yaml.load((org / "catalog.yaml").read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    division = {p["id"]: p["division"] for p in people["people"]}
    people_text = (org / "people.yaml").read_text()
    owner = {p["id"]: p["owner_division"] for p in catalog["permissions"]}
    ids = sorted(division)
    by_owner: dict[str, list[str]] = {}
    for pid, div in sorted(owner.items()):
        by_owner.setdefault(div, []).append(pid)

    files: dict[str, tuple[str, list[str]]] = {}
    path_of: dict[str, str] = {}
    for path in sorted((org / "assignments").rglob("*.yaml")):
        rel = path.relative_to(org).as_posix()
        header, entries = split_entries(path.read_text())
        files[rel] = (header, entries)
        path_of[re.search(r"(?m)^employee: (\S+)", header).group(1)] = rel  # type: ignore[union-attr]

    def violations(employee: str) -> set[str]:
        if division[employee] != "retail-sales":
            return set()
        return {p for p in held(files[path_of[employee]][1]) if owner[p] == "distribution"}

    rng = random.Random(seed)
    stream = bytearray()

    def data(payload: bytes) -> None:
        stream.extend(b"data %d\n" % len(payload))
        stream.extend(payload)
        stream.extend(b"\n")

    def commit(mark: int, when: dt.datetime, who: str, message: str, changed: list[str], first: bool,
               deleted: tuple[str, ...] = ()) -> None:
        stamp = f"{int(when.timestamp())} +0000"
        stream.extend(f"commit refs/heads/main\nmark :{mark}\n".encode())
        stream.extend(f"author {who} <{who.lower()}@example.invalid> {stamp}\n".encode())
        stream.extend(f"committer {who} <{who.lower()}@example.invalid> {stamp}\n".encode())
        data(message.encode())
        if not first:
            stream.extend(f"from :{mark - 1}\n".encode())
        for rel in deleted:
            stream.extend(f"D {rel}\n".encode())
        for rel in changed:
            content = (org / rel).read_bytes() if rel == "catalog.yaml" else None
            if rel == "people.yaml":
                content = people_text.encode()
            if rel == "policies/unbundling.yaml":
                content = POLICY.read_bytes()
            if content is None:
                header, entries = files[rel]
                content = (header + "".join(entries)).encode()
            stream.extend(f"M 100644 inline {rel}\n".encode())
            data(content)
        stream.extend(b"\n")

    truth_open: dict[tuple[str, str], int] = {}
    truth: list[tuple[str, str, int, int | None]] = []
    for e in ids:
        for p in violations(e):
            truth_open[(e, p)] = 1
    commit(1, START, "Setup", "the organisation as generated", ["catalog.yaml", "people.yaml",
                                                                 "policies/unbundling.yaml", *sorted(files)], True)
    retail = [e for e in ids if division[e] == "retail-sales"]
    managers = {"retail-sales": sorted({p["manager"] for p in people["people"]
                                        if p["manager"] and division[p["manager"]] == "retail-sales"}),
                "distribution": sorted({p["manager"] for p in people["people"]
                                        if p["manager"] and division[p["manager"]] == "distribution"})}
    movable = [e for e in ids if division[e] in managers and e not in managers[division[e]]]

    def settle(mark: int, employees: list[str]) -> None:
        """Open and close the ground truth's windows of ``employees`` at commit ``mark``."""
        for e in employees:
            now = violations(e)
            for key in [k for k in truth_open if k[0] == e and k[1] not in now]:
                truth.append((key[0], key[1], truth_open.pop(key), mark))
            for p in now:
                truth_open.setdefault((e, p), mark)

    for mark in range(2, commits + 1):
        when = START + dt.timedelta(days=mark - 1)
        day = when.date().isoformat()
        author = rng.choice(ids)
        if transfers and rng.random() < transfers:  # an HR commit: one or two transfers, half with the file moved
            moved, gone, changed_files = [], [], []
            for _ in range(rng.randint(1, 2)):
                e = rng.choice(movable)
                to = "distribution" if division[e] == "retail-sales" else "retail-sales"
                manager = rng.choice(managers[to])
                people_text, n = re.subn(rf"(?m)^(- id: {e}\n  name: [^\n]*\n)  division: [^\n]*\n  manager: [^\n]*\n",
                                         rf"\g<1>  division: {to}\n  manager: {manager}\n", people_text)
                assert n == 1, e
                if to == "retail-sales":
                    retail.insert(bisect.bisect(retail, e), e)
                else:
                    retail.remove(e)
                division[e] = to
                moved.append(e)
                if rng.random() < 0.5:
                    old = path_of[e]
                    new = f"assignments/{to}/{e}.yaml"
                    if old != new and new not in files:
                        files[new] = files.pop(old)
                        path_of[e] = new
                        gone.append(old)
                        changed_files.append(new)
            settle(mark, moved)
            commit(mark, when, "HR", f"transfers {mark}", ["people.yaml", *changed_files], False, tuple(gone))
            continue
        touched: list[str] = []
        for _ in range(rng.randint(1, 3)):
            roll = rng.random()
            open_now = sorted(truth_open)
            if roll < 0.10 and open_now:  # remove a violation
                e, p = rng.choice(open_now)
                header, entries = files[path_of[e]]
                entries[:] = [x for x in entries if held([x])[0] != p]
            elif roll < 0.20:  # plant a violation
                e = rng.choice(retail)
                header, entries = files[path_of[e]]
                choices = [p for p in by_owner["distribution"] if p not in held(entries)]
                entries.append(entry(rng.choice(choices), author, day, f"benchmark change {mark}"))
            elif roll < 0.40:  # remove an ordinary grant
                e = rng.choice(ids)
                header, entries = files[path_of[e]]
                ordinary = [i for i, x in enumerate(entries) if owner[held([x])[0]] != "distribution"]
                if ordinary:
                    del entries[rng.choice(ordinary)]
            else:  # add an ordinary grant of the grantee's own division
                e = rng.choice(ids)
                header, entries = files[path_of[e]]
                choices = [p for p in by_owner[division[e]] if p not in held(entries)]
                if choices:
                    entries.append(entry(rng.choice(choices), author, day, f"benchmark change {mark}"))
            if path_of[e] not in touched:
                touched.append(path_of[e])
        settle(mark, [re.search(r"(?m)^employee: (\S+)", files[rel][0]).group(1)  # type: ignore[union-attr]
                      for rel in touched])
        commit(mark, when, author, f"change {mark}", touched, False)
    truth.extend((e, p, m, None) for (e, p), m in truth_open.items())

    repo = out / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    t1 = time.perf_counter()
    marks = out / "marks"
    subprocess.run(["git", "fast-import", "--quiet", f"--export-marks={marks}"], cwd=repo, input=bytes(stream),
                   check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo, check=True)
    t_import = time.perf_counter() - t1
    commit_of = dict(line.split() for line in marks.read_text().splitlines())
    windows = sorted([e, p, commit_of[f":{a}"], commit_of[f":{b}"] if b else None] for e, p, a, b in truth)
    (out / "truth.json").write_text(json.dumps({"windows": windows, "gen_seconds": t_gen,
                                                "import_seconds": t_import}))
    return {"windows": windows, "gen_seconds": t_gen, "import_seconds": t_import}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--employees", type=int, default=10000)
    ap.add_argument("--commits", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--transfers", type=float, default=0.05, help="share of commits that are HR transfers")
    ap.add_argument("--gen-org", type=Path, default=GEN_ORG, help="the reference generator (default: %(default)s)")
    ap.add_argument("--people-at-rev", action="store_true",
                    help="time the old judge (people of HEAD for every commit); its windows need --transfers 0")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--cli", action="store_true", help="also time `permgate audit --format json` end to end")
    args = ap.parse_args(argv)
    if not args.gen_org.exists():
        print(f"needs {args.gen_org}", file=sys.stderr)
        return 2
    out = args.out or PROJECT / "benchmarks" / "out" / (f"audit-{args.employees}-{args.commits}-{args.seed}"
                                                         f"-t{args.transfers:g}")
    if (out / "truth.json").exists():
        truth = json.loads((out / "truth.json").read_text())
        print(f"reusing {out}")
    else:
        out.mkdir(parents=True, exist_ok=True)
        truth = build(out, args.employees, args.commits, args.seed, args.transfers, args.gen_org)
        print(f"built {out}: gen_org {truth['gen_seconds']:.1f} s, fast-import {truth['import_seconds']:.1f} s")

    from permgate.analysis.audit import audit
    from permgate.git.repo import Repo

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    result = audit(Repo(str(out / "repo")), until=dt.date(2030, 1, 1), people_at_rev=args.people_at_rev)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    got = sorted([e.employee, e.permission, e.introduced.commit, e.removed.commit if e.removed else None]
                 for e in result.exposures if e.rule == "distribution-to-retail-sales")
    ok = got == truth["windows"]
    print(f"audit: {result.commits} commits, {len(result.exposures)} exposures "
          f"({sum(1 for e in result.exposures if e.removed is None)} still present) in {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU; matches the ground truth: {ok}")
    if args.cli:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "permgate", "audit", "--root", str(out / "repo"), "--format", "json"],
                       check=True, capture_output=True)
        print(f"permgate audit --format json: {time.perf_counter() - t0:.1f} s wall")
    if not ok:
        missing = [w for w in truth["windows"] if w not in got][:5]
        extra = [w for w in got if w not in truth["windows"]][:5]
        print(f"MISMATCH: missing {missing} extra {extra}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
