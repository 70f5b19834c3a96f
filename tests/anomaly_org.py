"""A generated organisation rich in anomalies, for the tests of rule scopes and of the split check.

``benchmarks/gen_org.py`` writes a small, mostly compliant organisation; ``build`` then
plants one case of every employee-scope rule, several of them spread over two files of one
employee (the cases that break a split that is not employee-closed), and a waiver register
with waivers in force, expired, unused and invalid.  ``SPLIT`` names the files planted.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import PROJECT

TODAY = dt.date(2025, 6, 1)


@dataclass(frozen=True)
class Planted:
    """Who and where: ``a`` has a second file in another folder (duplicate, separation of
    duties and bulk grant only across both), ``b`` a misplaced file, ``c`` a second ``.yml``
    file beside the first, ``d`` a partly invalid second file."""

    a: str
    a_main: str
    a_extra: str
    dup_permission: str
    b: str
    b_moved: str
    c: str
    c_second: str
    d: str
    d_bad: str
    unknown: str
    syntax: str


def _grant(perm: str, by: str, on: str, reason: str, expires: str | None = None) -> str:
    out = f"  - permission: {perm}\n    granted_by: {by}\n    granted_on: {on}\n    reason: \"{reason}\"\n"
    return out + (f"    expires: {expires}\n" if expires else "")


def _role_grant(role: str, by: str, on: str, reason: str) -> str:
    return f"  - role: {role}\n    granted_by: {by}\n    granted_on: {on}\n    reason: \"{reason}\"\n"


def _file(employee: str, *entries: str) -> str:
    return f"---\nemployee: {employee}\ngrants:\n" + "".join(entries)


def _held(path: Path) -> list[str]:
    return [line.split(": ", 1)[1] for line in path.read_text("utf-8").splitlines()
            if line.startswith("  - permission: ")]


def build(root: Path, employees: int = 48, seed: int = 11) -> Planted:
    subprocess.run([sys.executable, str(PROJECT / "benchmarks" / "gen_org.py"), "--employees", str(employees),
                    "--out", str(root), "--policies", "--seed", str(seed), "--violations", "3"],
                   check=True, capture_output=True)
    catalog: dict[str, Any] = yaml.safe_load((root / "catalog.yaml").read_text("utf-8"))
    perms = {p["id"]: p for p in catalog["permissions"]}
    people: dict[str, Any] = yaml.safe_load((root / "people.yaml").read_text("utf-8"))
    by_id = {p["id"]: p for p in people["people"]}
    retail = [p["id"] for p in people["people"] if p["division"] == "retail-sales" and p["manager"]]
    a, b, c, d = retail[-1], retail[-2], retail[-3], retail[-4]
    asg = root / "assignments"
    a_main = asg / "retail-sales" / f"{a}.yaml"
    held = _held(a_main)
    pool = [pid for pid, p in perms.items() if p["owner_division"] != "distribution" and pid not in held]
    distribution = [pid for pid, p in perms.items() if p["owner_division"] == "distribution"]
    # catalog flags: a retired, a sensitive and a grants_access permission, all held by a
    perms[held[1]]["retired"] = True
    perms[pool[1]]["sensitive"] = True  # granted without expiry in a's second file
    perms[held[3]]["grants_access"] = True
    (root / "catalog.yaml").write_text("---\n" + yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
    by_id[a]["division_since"] = "2024-06-01"  # grants before it are stale
    by_id[retail[-5]]["function"] = "access-administration"
    (root / "people.yaml").write_text("---\n" + yaml.safe_dump(people, sort_keys=False), encoding="utf-8")
    manager = by_id[a]["manager"]
    # a's second file, in another folder: a duplicate of a's first grant, enough new grants
    # for bulk-grant only with both files, the second duty of separation-of-duties, a
    # self-grant, unknown ids, a granter outside the chain, a reason without a ticket
    extra = [_grant(held[0], manager, "2025-02-01", "again, ticket ACC-00001")]
    extra += [_grant(pid, manager, "2025-02-02", f"more, ticket ACC-{i:05d}") for i, pid in enumerate(pool[:14])]
    extra += [_grant(pool[14], a, "2025-02-03", "self, ticket ACC-00100"),
              _grant("P999", manager, "2025-02-03", "unknown permission, ticket ACC-00101"),
              _grant(pool[15], "E999998", "2025-02-03", "unknown granter, ticket ACC-00102"),
              _grant(pool[16], "E000002", "2025-02-03", "outside the chain, ticket ACC-00103"),
              _grant(pool[17], manager, "2025-02-03", "no ticket here", "2025-03-01")]
    a_extra = asg / "corporate" / f"{a}-extra.yaml"
    a_extra.parent.mkdir(parents=True, exist_ok=True)
    a_extra.write_text(_file(a, *extra), encoding="utf-8")
    (root / "policies" / "duties.yaml").write_text(
        "---\nrules:\n  - id: no-first-with-last\n    kind: separation-of-duties\n    severity: error\n"
        "    summary: the first and the last duty of the test\n    duties:\n"
        f"      - name: first\n        any_of: [{held[0]}]\n      - name: last\n        any_of: [{pool[13]}]\n",
        encoding="utf-8")
    (root / "policies" / "settings.yaml").write_text(
        "---\nsettings:\n  bulk-grant:\n    share: 0.3\n    min_grants: 10\n"
        "  not-recertified:\n    max_days: 365\n", encoding="utf-8")
    # a closed campaign (no reviewer file left): not-recertified is in force only once one is closed
    (root / "reviews" / "2025-Q1").mkdir(parents=True)
    (root / "reviews" / "2025-Q1" / "campaign.yaml").write_text(
        '---\ncampaign: "2025-Q1"\nclosed_on: 2025-04-01\nkept: 0\nrevoked: 0\npending: 0\n', encoding="utf-8")
    # b's file in the wrong folder; c's second file beside the first; d's second file partly invalid
    b_from, b_to = asg / "retail-sales" / f"{b}.yaml", asg / "distribution" / f"{b}.yaml"
    b_to.write_text(b_from.read_text("utf-8"), encoding="utf-8")
    b_from.unlink()
    c_second = asg / "retail-sales" / f"{c}.yml"
    c_second.write_text(_file(c, _grant(_held(asg / "retail-sales" / f"{c}.yaml")[0], "E000001", "2025-01-05",
                                        "second file, ticket ACC-00200"),
                              _role_grant("anomaly-bundle", by_id[c]["manager"], "2025-01-06",
                                          "role, ticket ACC-00201")),
                        encoding="utf-8")
    # a role for retail-sales that reaches a distribution permission through an include (c holds it)
    (root / "roles.yaml").write_text(
        "---\nroles:\n  - id: anomaly-bundle\n    name: Anomaly bundle\n    owner_division: retail-sales\n"
        f"    permissions: [{pool[18]}, {pool[19]}]\n    includes: [anomaly-grid]\n"
        "  - id: anomaly-grid\n    name: Anomaly grid\n    owner_division: distribution\n"
        f"    permissions: [{distribution[1]}]\n", encoding="utf-8")
    d_bad = asg / "retail-sales" / f"{d}-bad.yaml"
    d_bad.write_text(_file(d, _grant(pool[0], "E000001", "2025-02-30", "bad date, ticket ACC-00300"),
                           _grant(distribution[0], by_id[d]["manager"], "2025-01-05", "forbidden, ticket ACC-00301"),
                           _role_grant("no-such-role", by_id[d]["manager"], "2025-01-05", "typo, ticket ACC-00302")),
                     encoding="utf-8")
    unknown = asg / "retail-sales" / "E999999.yaml"
    unknown.write_text(_file("E999999", _grant(pool[0], "E000001", "2025-01-05", "leaver, ticket ACC-00400")),
                       encoding="utf-8")
    syntax = asg / "distribution" / "zz-broken.yaml"
    syntax.write_text("employee: [E000001\n", encoding="utf-8")
    (asg / "retail-sales" / "notes.txt").write_text("not a grants file\n", encoding="utf-8")  # refused by the walk
    # a's self-grant's granter is a, so a waiver approved by a's manager for missing-justification
    # of pool[17] is invalid only because the manager granted it (read through grants_of)
    waivers = [
        ("duplicate-grant", a, held[0], "E000003", "2025-05-01", "2025-09-01"),   # in force
        ("bulk-grant", a, None, "E000003", "2025-05-01", "2025-09-01"),           # in force, no permission
        ("misplaced-file", b, None, "E000003", "2024-01-01", "2024-03-01"),       # expired
        ("self-grant", c, None, "E000003", "2025-05-01", "2025-09-01"),           # unused
        ("missing-justification", a, pool[17], a, "2025-05-01", "2025-09-01"),    # invalid: the grantee
        ("missing-justification", a, pool[17], manager, "2025-05-01", "2025-09-01"),  # invalid: the granter
        ("distribution-to-retail-sales", d, distribution[0], "E000003", "2025-05-01", "2025-09-01"),  # not waivable
    ]
    lines = ["---", "waivers:"]
    for rule, employee, perm, approver, on, until in waivers:
        lines += [f"  - rule: {rule}", f"    employee: {employee}"]
        lines += [f"    permission: {perm}"] if perm else []
        lines += ["    reason: test waiver", "    ticket: ACC-09999", f"    approved_by: {approver}",
                  f"    approved_on: {on}", f"    expires: {until}"]
    (root / "policies" / "waivers.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rel = lambda p: p.relative_to(root).as_posix()  # noqa: E731
    return Planted(a=a, a_main=rel(a_main), a_extra=rel(a_extra), dup_permission=held[0], b=b, b_moved=rel(b_to),
                   c=c, c_second=rel(c_second), d=d, d_bad=rel(d_bad), unknown=rel(unknown), syntax=rel(syntax))
