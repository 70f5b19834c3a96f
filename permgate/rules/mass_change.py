"""mass-change: in ``--base`` mode, a change that gives more than ``max_new_holders`` people new access.

Off unless ``settings: mass-change: max_new_holders: N`` is set.  New access is effective access
(direct grants and roles expanded, in force on ``--today``: not expired) held at the head and not
at the base (``model.held``: ``permgate impact`` lists the same pairs).  A
grant expired at the base gives no access there, so renewing it (a later ``expires``) gives new
access.  Every such person's files are re-judged by an incremental run
(their grants file changed, or a role they hold did), so both paths count the same people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace, held, in_force
from permgate.rules.base import Context, Example, Rule, RuleDoc, settings_of


def involved(ws: Workspace, base: Workspace, today: dt.date) -> dict[str, frozenset[str]]:
    """Per permission the change gives new holders: those holders and the granters of the grants
    that give it.  A ``mass-change`` waiver approved by one of them approves nothing (``waivers.apply``),
    as a per-grant waiver approved by the grantee or a granter is ``waiver-invalid``."""
    day = today.isoformat()
    before = held(base, day)
    people: dict[str, set[str]] = {}
    for g in in_force(ws, day):
        if (g.employee, g.permission) not in before:
            people.setdefault(g.permission, set()).update((g.employee, g.granted_by))
    return {pid: frozenset(who) for pid, who in people.items()}


def _some(people: list[str]) -> str:
    return ", ".join(people[:5]) + (f" and {len(people) - 5} more" if len(people) > 5 else "")


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    limit = settings_of(ws, "mass-change").get("max_new_holders")
    if ctx.base is None or ctx.change is None or limit is None:
        return
    today = ctx.today.isoformat()
    gained = held(ws, today) - held(ctx.base, today)
    people = sorted({e for e, _ in gained})
    if len(people) <= int(limit):
        return
    loc = ws.settings_locs["mass-change"]
    by_permission: dict[str, list[str]] = {}
    for e, p in sorted(gained):
        by_permission.setdefault(p, []).append(e)
    # one finding per permission gained: a waiver approves one permission's new holders (no employee)
    for pid in sorted(by_permission):
        holders = by_permission[pid]
        perm = ws.catalog.get(pid)
        label = f"{pid} {perm.name}" if perm is not None else pid
        yield Violation(loc.path, loc.line, loc.column,
                        f"this change gives {len(holders)} people {label} ({_some(holders)}); in all "
                        f"{len(people)} people gain access, more than max_new_holders {limit}; "
                        f"`permgate impact --base {ctx.change.base_ref}` lists them",
                        None, pid)


_SETTINGS = "---\nsettings:\n  mass-change:\n    max_new_holders: 0\n"
_GRANT = """\
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
    reason: "HR cover, ticket ACC-00109"
"""

RULE = Rule(
    scope="change",
    id="mass-change",
    summary="A change gives more people new access than settings: mass-change: max_new_holders allows",
    default_severity="error",
    names_employee=False,
    check=check,
    settings={"max_new_holders": "in --base mode: most people one change may give new effective access "
                                 "(default: no limit)"},
    doc=RuleDoc(
        flags="In `--base` mode, with `settings: mass-change: max_new_holders: N`, a change after which more "
              "than N people hold a permission (directly or through a role, not expired) that they did not "
              "hold at the base (so renewing expired grants counts). One finding per permission gained, at the "
              "setting's line, naming how many people gain it and who, and how many gain access in all.",
        why="One line in a role can give access to thousands of people; a change of that reach deserves a "
            "decision of its own, not a routine review.",
        fix="Split the change, or raise the limit in a change of its own, or have it approved: a waiver "
            "with `rule: mass-change`, the `permission` and no `employee` approves that permission's new "
            "holders (each permission gained needs its own; a lasting waiver keeps approving that permission's "
            "gains until it expires, so give it a short `expires`). The approver must not be one of the "
            "change's granters or new holders of that permission: such a waiver approves nothing.",
        bad=Example(base={"policies/mass.yaml": _SETTINGS},
                    files={"policies/mass.yaml": _SETTINGS, "assignments/retail-sales/E000002.yaml": _GRANT},
                    expect=(("policies/mass.yaml", 3),)),
        good=Example(base={"policies/mass.yaml": _SETTINGS.replace(": 0", ": 1")},
                     files={"policies/mass.yaml": _SETTINGS.replace(": 0", ": 1"),
                            "assignments/retail-sales/E000002.yaml": _GRANT}),
    ),
)
