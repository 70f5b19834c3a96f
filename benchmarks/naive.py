#!/usr/bin/env python3
"""The naive baseline: what a team would write first instead of permgate.

PyYAML's C loader (``safe_load``) on every file and the one unbundling rule (a
distribution-owned permission granted to a retail-sales employee); no line numbers, no
schema validation, no other rule.  Prints one line per violation and a count, so the
benchmark can check that it finds what permgate finds.

    python benchmarks/naive.py ROOT
"""

from __future__ import annotations

import os
import sys

import yaml

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(path: str) -> object:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=Loader)


def main(argv: list[str]) -> int:
    root = argv[0] if argv else "."
    catalog = load(os.path.join(root, "catalog.yaml"))
    people = load(os.path.join(root, "people.yaml"))
    owner = {p["id"]: p["owner_division"] for p in catalog["permissions"]}
    division = {p["id"]: p["division"] for p in people["people"]}
    found = 0
    out = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, "assignments")):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith((".yaml", ".yml")):
                continue
            path = os.path.join(dirpath, name)
            doc = load(path)
            employee = doc["employee"]
            if division.get(employee) != "retail-sales":
                continue
            for g in doc["grants"]:
                if owner.get(g["permission"]) == "distribution":
                    found += 1
                    out.append(f"{os.path.relpath(path, root)}: {employee} holds {g['permission']}")
    out.append(f"violations={found}")
    sys.stdout.write("\n".join(out) + "\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
