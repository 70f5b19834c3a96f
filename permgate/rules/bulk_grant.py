"""bulk-grant: the grant-everything pattern ("tick every item the screen offers").

A person is flagged when they hold at least ``share`` (default 80%) of the permissions
grantable to their division: every catalog permission that is not retired and not
forbidden to that division by a ``forbidden-owner`` rule.  People holding fewer than
``min_grants`` (default 10) such permissions are never flagged, so a small team with
a short list is not noise.  In ``--base`` mode a change that adds more than
``max_added`` (default 25) grants to one person is flagged too.
"""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Related, Violation
from permgate.model import PERMISSION_OF, GrantsFile, Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, person_related, settings_of
from permgate.rules.forbidden_owner import forbidden_to

DEFAULT_SHARE = 0.8
DEFAULT_MIN_GRANTS = 10
DEFAULT_MAX_ADDED = 25


def grantable(ws: Workspace, division: str) -> frozenset[str]:
    """Permissions a person of ``division`` may hold at all."""
    forbidden_owners = forbidden_to(ws, division)
    return frozenset(pid for pid, p in ws.catalog.items()
                     if not p.retired and p.owner_division not in forbidden_owners)


def _first_files(ws: Workspace) -> dict[str, GrantsFile]:
    first: dict[str, GrantsFile] = {}
    for f in ws.files:
        first.setdefault(f.employee, f)
    return first


def _over(count: int, pool: frozenset[str], min_grants: int, share: float) -> bool:
    """``count`` permissions of ``pool`` reach the threshold (an empty pool never does)."""
    return bool(pool) and count >= min_grants and count >= share * len(pool)


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    settings = settings_of(ws, "bulk-grant")
    share = float(settings.get("share", DEFAULT_SHARE))
    min_grants = int(settings.get("min_grants", DEFAULT_MIN_GRANTS))
    max_added = int(settings.get("max_added", DEFAULT_MAX_ADDED))
    by_division: dict[str, frozenset[str]] = {}
    for employee, f in sorted(_first_files(ws).items()):
        person = ws.people.get(employee)
        if person is None:
            continue
        pool = by_division.get(person.division)
        if pool is None:
            pool = by_division[person.division] = grantable(ws, person.division)
        grants = ws.grants_of(employee)
        loc = f.employee_loc
        # the permissions held in the pool are at most the grants: most people are settled by that
        if _over(len(grants), pool, min_grants, share):
            in_pool = pool.intersection(map(PERMISSION_OF, grants))
            if _over(len(in_pool), pool, min_grants, share):
                held = set(map(PERMISSION_OF, grants))
                yield Violation(
                    loc.path, loc.line, loc.column,
                    f"{person.label} holds {len(in_pool)} of the {len(pool)} permissions grantable to "
                    f"{person.division} ({len(in_pool) * 100 // len(pool)}%, threshold {share:.0%}), "
                    f"{len(held)} in all: the grant-everything pattern; grant what the work needs",
                    employee, None, (person_related(person),))
        # the permissions added are at most the grants: most people are settled by that too
        if ctx.base is not None and len(grants) > max_added:
            before = {g.permission for g in ctx.base.grants_of(employee)}
            added = set(map(PERMISSION_OF, grants)) - before
            if len(added) > max_added:
                yield Violation(
                    loc.path, loc.line, loc.column,
                    f"this change adds {len(added)} grants to {person.label} (more than {max_added} at once)",
                    employee, None, (Related(loc.path, loc.line, loc.column, "grants file of the employee"),))


#: the settings both documented examples run under
_EXAMPLE_SETTINGS = """\
---
settings:
  bulk-grant:
    share: 0.5
    min_grants: 2
"""

RULE = Rule(
    id="bulk-grant",
    summary="A person holds (nearly) every permission grantable to their division",
    default_severity="error",
    check=check,
    settings={
        "share": f"share of the division's grantable permissions that is too many (default {DEFAULT_SHARE})",
        "min_grants": f"people holding fewer grantable permissions are never flagged (default {DEFAULT_MIN_GRANTS})",
        "max_added": f"`--base` mode: most grants one change may add to one person (default {DEFAULT_MAX_ADDED})",
    },
    doc=RuleDoc(
        flags="A person who holds at least `share` (default 80%) of the permissions grantable to their "
              "division, and at least `min_grants` (default 10) of them. Grantable means in the catalog, not "
              "retired, and not forbidden to the division by a `forbidden-owner` rule. The finding is at the "
              "`employee:` line of the person's grants file. In `--base` mode, also a change that adds more "
              "than `max_added` (default 25) grants to one person.",
        why="Ticking every item a registration screen offers is how a forbidden item slips through unread: "
            "in 2023 five sales employees were given every item the screen offered, including a "
            "distribution permission nobody had noticed was still there. Least privilege means granting what "
            "the work needs.",
        fix="Replace the blanket grant with the permissions the person's work needs, each with its own "
            "reason. If a role really needs almost everything, record that as a waiver with an expiry.",
        bad=Example(
            files={
                "policies/settings.yaml": _EXAMPLE_SETTINGS,
                "assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
  - permission: P003
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 2),),
        ),
        good=Example(files={
            "policies/settings.yaml": _EXAMPLE_SETTINGS,
            "assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
"""}),
    ),
)
