#!/usr/bin/env python3
"""Write the role-based twin of the incident-2023 replay (issue 14).

The registration screen the managers ticked wholesale was a bundle in all but name.  Here it is
one: ``roles.yaml`` defines ``transfer-in-standard`` (maintained by retail-sales) with every item
the five holders were given together, item 83 (P083, distribution-owned) among them, and each of
the five holds the role instead of the 89 entries.  Everything else is the replay's, copied from
``../incident-2023/``.  ``permgate check`` refuses the role where it is defined (the
``role-crosses-boundary`` finding at the roles.yaml line that lists P083, with no holder needed)
and flags each of the five at their ``- role:`` line.

Pure standard library and deterministic: running it twice gives byte-identical files.
"""

import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "incident-2023")
HOLDERS = ("E000007", "E000009", "E000010", "E000011", "E000012")
ROLE = "transfer-in-standard"
ENTRY = re.compile(r"  - permission: (\S+)\n    granted_by: (\S+)\n    granted_on: (\S+)\n    reason: (\".*\")\n"
                   r"(?:    expires: \S+\n)?")


def main() -> int:
    for name in ("catalog.yaml", "people.yaml", "policies", "assignments"):
        src, dst = os.path.join(SOURCE, name), os.path.join(HERE, name)
        if os.path.isdir(dst):
            shutil.rmtree(dst)
        (shutil.copytree if os.path.isdir(src) else shutil.copyfile)(src, dst)
    tests = os.path.join(HERE, "policies", "tests")
    if os.path.isdir(tests):  # the replay's policy tests name its own grants files
        shutil.rmtree(tests)
    texts = {e: open(os.path.join(HERE, "assignments", "retail-sales", e + ".yaml"), encoding="utf-8").read()
             for e in HOLDERS}
    held = {e: {m[1]: m for m in ENTRY.finditer(t)} for e, t in texts.items()}
    bundle = sorted(set.intersection(*(set(h) for h in held.values())))
    lines = ["---", "# roles: named bundles of permissions (docs/roles.md)", "roles:",
             f"  - id: {ROLE}", "    name: Transfer-in standard",
             "    owner_division: retail-sales",
             "    description: Every item the retail-sales registration screen offered to a transfer-in",
             "    permissions:"]
    lines += [f"      - {p}" for p in bundle]
    with open(os.path.join(HERE, "roles.yaml"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    for e, text in texts.items():
        first = held[e]["P083"]
        kept = "".join(m[0] for p, m in sorted(held[e].items()) if p not in bundle)
        head = text[:text.index("grants:\n") + len("grants:\n")]
        role = (f"  - role: {ROLE}\n    granted_by: {first[2]}\n    granted_on: {first[3]}\n"
                f"    reason: {first[4]}\n")
        with open(os.path.join(HERE, "assignments", "retail-sales", e + ".yaml"), "w", encoding="utf-8") as f:
            f.write(head + kept + role)
    print(f"{ROLE}: {len(bundle)} permissions, held by {len(HOLDERS)} people")
    return 0


if __name__ == "__main__":
    sys.exit(main())
