"""When a grant left git: the commit that removed ``- permission: ID`` from an employee's grants file.

``permgate reconcile`` asks this for the access the system of record holds and git does not grant,
so that ``undeclared-access`` can say "git revoked it on DATE in COMMIT: a revocation never
applied".  One ``git log -p`` per batch of employees, newest commit first; a removal is a
``- permission:`` line (canonical layout, ``permgate fmt``) deleted by a commit that does not add
it back to the same file.  What is not found here is simply not named: the finding stands anyway.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from permgate.git.repo import Repo
from permgate.model import Revocation

_PERMISSION_LINE = re.compile(r"""^([-+])\s*-?\s*permission:\s*["']?([A-Za-z0-9][A-Za-z0-9._:-]*)["']?\s*(?:#.*)?$""")
#: employees per ``git log`` call (keeps the command line short)
BATCH = 200


def revocations(repo: Repo, rev: str, assignments: str,
                wanted: Collection[tuple[str, str]]) -> dict[tuple[str, str], Revocation]:
    """For each ``(employee, permission)`` in ``wanted``: the newest commit reachable from ``rev`` that
    removed it from a grants file of that employee under ``assignments`` (paths relative to the root)."""
    wanted = set(wanted)
    employees = sorted({e for e, _ in wanted})
    out: dict[tuple[str, str], Revocation] = {}
    base = f"{repo.prefix}{assignments}/" if assignments not in ("", ".") else repo.prefix
    for start in range(0, len(employees), BATCH):
        specs = [f":(glob){base}**/{e}.yaml" for e in employees[start:start + BATCH]]
        log = repo.git("log", "-p", "-U0", "--no-color", "--no-renames", "--no-ext-diff",
                       "--format=%x00%H %cs", repo.resolve(rev), "--", *specs)
        _scan(log, repo.prefix, wanted, out)
    return out


def _scan(log: str, prefix: str, wanted: set[tuple[str, str]], out: dict[tuple[str, str], Revocation]) -> None:
    commit = date = path = ""
    removed: dict[str, set[str]] = {}
    added: dict[str, set[str]] = {}

    def close() -> None:
        for rel, perms in removed.items():
            employee = rel.rsplit("/", 1)[-1].removesuffix(".yaml")
            for permission in perms - added.get(rel, set()):
                key = (employee, permission)
                if key in wanted and key not in out:
                    out[key] = Revocation(commit, date, rel)
        removed.clear()
        added.clear()

    for line in log.split("\n"):
        if line.startswith("\x00"):
            close()
            commit, _, date = line[1:].partition(" ")
        elif line.startswith("--- a/") or line.startswith("+++ b/"):
            path = line[6:].removeprefix(prefix)
        elif line.startswith(("--- ", "+++ ")):
            continue
        else:
            m = _PERMISSION_LINE.match(line)
            if m and path:
                (removed if m.group(1) == "-" else added).setdefault(path, set()).add(m.group(2))
    close()
