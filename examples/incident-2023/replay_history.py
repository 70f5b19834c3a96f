#!/usr/bin/env python3
"""Replay the incident-2023 grants repository as dated git history.

    python3 examples/incident-2023/replay_history.py OUT [--subdir DIR]

creates a new git repository in OUT (which must not exist) whose history leads,
commit by commit, to the snapshot beside this script (the state on 2023-03-16),
then removes item 83 on 2023-03-17:

- the first commit (2020-04-01) adds catalog.yaml, people.yaml and every file of policies/
  (the boundary rule, the delegates that let the three division heads, who have no manager,
  register each other, and the policy tests);
- each registration is one commit, dated the ``granted_on`` of its grants and
  authored by the granter (one commit per granting day and granter: 2021-07-01
  for E000010 and E000012, 2022-07-01 for E000007, E000009 and E000011, ...);
  after the last one every file is byte for byte the snapshot's;
- the removal commit, 2023-03-17, by the access administrator, deletes the five
  P083 grant entries and P083 from the catalog.

Dates are 10:00 Japan time (+09:00), author and committer alike.  ``--subdir``
puts the grants repository in a folder of the git repository instead of its top.
Then, for example:

    permgate audit --root OUT --until 2023-03-31
    permgate who-can P083 --root OUT --rev HEAD~1

Standard library only; deterministic (same commit ids on every run and machine).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REMOVAL_DAY = "2023-03-17"
REMOVED_ITEM = "P083"
REMOVED_BY = "E000019"  # the access administrator
TZ = "+09:00"


def read(rel: str) -> str:
    with open(os.path.join(HERE, rel), encoding="utf-8", newline="") as fh:
        return fh.read()


def split_entries(text: str) -> tuple[str, list[str]]:
    """A grants file as its header and its entries (each from `  - permission:` on)."""
    parts = re.split(r"(?m)^(?=  - permission:)", text)
    return parts[0], parts[1:]


def entry_field(entry: str, key: str) -> str:
    m = re.search(rf"(?m)^  [ -] {key}: (\S+)", entry)
    if m is None:
        raise SystemExit(f"replay_history: entry without {key}:\n{entry}")
    return m.group(1)


def policy_files() -> list[str]:
    """Every file under policies/ (rules, the granter-authority delegates of the division heads,
    the policy tests), sorted: the replay is judged by the snapshot's own policies."""
    out = []
    for folder, dirs, names in os.walk(os.path.join(HERE, "policies")):
        dirs.sort()
        out += [os.path.relpath(os.path.join(folder, n), HERE).replace(os.sep, "/") for n in sorted(names)]
    return sorted(out)


def people_names() -> dict[str, str]:
    names, current = {}, None
    for line in read("people.yaml").splitlines():
        m = re.match(r"^- id: (\S+)$", line)
        if m:
            current = m.group(1)
        m = re.match(r"^  name: (.+)$", line)
        if m and current:
            names[current] = m.group(1)
    return names


def without_catalog_item(text: str, pid: str) -> str:
    out = re.sub(rf"(?ms)^- id: {re.escape(pid)}\n.*?(?=^- id: |\Z)", "", text)
    if out == text:
        raise SystemExit(f"replay_history: {pid} not found in catalog.yaml")
    return out


class Git:
    def __init__(self, top: str) -> None:
        self.top = top

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> str:
        full = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")
        full.update(env or {})
        proc = subprocess.run(["git", *args], cwd=self.top, env=full, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"replay_history: git {args[0]} failed: {proc.stderr.strip()}")
        return proc.stdout

    def commit(self, message: str, author: str, email: str, when: str) -> str:
        self("add", "-A")
        self("commit", "-q", "--no-verify", "-m", message, env={
            "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": when,
        })
        return self("rev-parse", "HEAD").strip()


def write(root: str, rel: str, text: str) -> None:
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def replay(out: str, subdir: str = "") -> list[tuple[str, str, str]]:
    """Build the repository; returns (commit, date, subject) oldest first."""
    if os.path.exists(out):
        raise SystemExit(f"replay_history: {out} already exists")
    os.makedirs(out)
    git = Git(out)
    git("init", "-q", "-b", "main")
    root = os.path.join(out, subdir) if subdir else out
    names = people_names()

    def ident(eid: str) -> tuple[str, str]:
        return names[eid], f"{eid.lower()}@example.invalid"

    files: dict[str, tuple[str, list[str]]] = {}
    groups: dict[tuple[str, str], list[str]] = {}  # (granted_on, granted_by) -> files it touches
    for division in sorted(os.listdir(os.path.join(HERE, "assignments"))):
        for name in sorted(os.listdir(os.path.join(HERE, "assignments", division))):
            rel = f"assignments/{division}/{name}"
            header, entries = split_entries(read(rel))
            files[rel] = (header, entries)
            for e in entries:
                key = (entry_field(e, "granted_on"), entry_field(e, "granted_by"))
                if rel not in groups.setdefault(key, []):
                    groups[key].append(rel)

    log: list[tuple[str, str, str]] = []
    applied: set[tuple[str, str]] = set()
    first = True
    per_day: dict[str, int] = {}
    for key in sorted(groups):
        day, granter = key
        applied.add(key)
        if first:
            for rel in ("catalog.yaml", "people.yaml", *policy_files()):
                write(root, rel, read(rel))
        for rel in groups[key]:
            header, entries = files[rel]
            kept = [e for e in entries if (entry_field(e, "granted_on"), entry_field(e, "granted_by")) in applied]
            write(root, rel, header + "".join(kept))
        employees = ", ".join(os.path.basename(r)[:-5] for r in groups[key])
        subject = f"Register permissions for {employees} (granted by {granter})"
        if first:
            subject = "Set up the grants repository at legal unbundling; " + subject
            first = False
        n = per_day.get(day, 0)
        per_day[day] = n + 1
        when = f"{day}T10:{5 * n:02d}:00{TZ}"
        log.append((git.commit(subject, *ident(granter), when), day, subject))

    # 2023-03-17: item 83 and every grant of it are deleted
    removed = []
    for rel, (header, entries) in files.items():
        kept = [e for e in entries if entry_field(e, "permission") != REMOVED_ITEM]
        if len(kept) != len(entries):
            removed.append(os.path.basename(rel)[:-5])
            write(root, rel, header + "".join(kept))
    write(root, "catalog.yaml", without_catalog_item(read("catalog.yaml"), REMOVED_ITEM))
    subject = "Delete {} small-business-liaison.read and its grants ({})".format(REMOVED_ITEM, ", ".join(removed))
    log.append((git.commit(subject, *ident(REMOVED_BY), f"{REMOVAL_DAY}T10:00:00{TZ}"), REMOVAL_DAY, subject))
    return log


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="folder to create the git repository in (must not exist)")
    ap.add_argument("--subdir", default="", help="put the grants repository in this folder of the git repository")
    args = ap.parse_args(argv)
    for commit, day, subject in replay(args.out, args.subdir):
        print(f"{commit[:12]} {day} {subject}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
