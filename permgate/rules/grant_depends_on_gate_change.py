"""grant-depends-on-gate-change: a grant the change adds passes only because the same change edits
the catalog or the people directory (``--base`` mode only).

The catalog and the people directory decide verdicts as much as the policies do: who owns a
permission, whether it is retired, ``sensitive`` or ``grants_access``, which ids exist; where a
person sits, their ``function``, their manager chain, their id.  So, like a policy change, the
rules of both sides apply: the grants the change adds (entries of changed files that the base
does not hold word for word) are judged once more by the ``employee`` rules under the base's
catalog and people (with the policies of both sides).  A finding there that the change's own
catalog and people do not give is this rule's error, at the grant, naming the catalog and
people lines it rests on.  Renaming a permission id, re-keying a person (same name, new id),
dropping a mark or moving a person are all caught the same way, by what they do to a verdict.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from permgate.change.compare import added_grants
from permgate.findings import Finding, Related, Violation
from permgate.model import Grant, Loc, Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc
from permgate.rules.policy_change import catalog_changes, renamed_permissions


def _fmt(value: str | None) -> str:
    return value if value else "(none)"


def rekeyed_people(ws: Workspace, base: Workspace) -> dict[str, str]:
    """New id -> old id: an id the change adds with the name of an id it removes."""
    gone = {base.people[p].name: p for p in sorted(set(base.people) - set(ws.people), reverse=True)}
    return {pid: gone[ws.people[pid].name] for pid in sorted(set(ws.people) - set(base.people))
            if ws.people[pid].name in gone}


def people_changes(ws: Workspace, base: Workspace, ref: str) -> dict[str, tuple[Loc, str]]:
    """Person id -> (where, words) for every people entry whose verdict-deciding fields differ."""
    out: dict[str, tuple[Loc, str]] = {}
    if ws.people is base.people:
        return out
    rekeyed = rekeyed_people(ws, base)
    for pid in sorted(set(ws.people) | set(base.people)):
        after, before = ws.people.get(pid), base.people.get(pid)
        if after is None and before is not None:
            out[pid] = (Loc(ws.people_path, 1, 1),
                        f"{before.label} is removed from the people directory (was {before.loc} at {ref})")
        elif after is not None and before is None:
            old = rekeyed.get(pid)
            words = (f"{after.label} re-keys {old} (same name, new id), in {after.division}"
                     if old is not None else f"{after.label} is added to the people directory, in {after.division}")
            out[pid] = (after.loc, words)
        elif after is not None and before is not None:
            diffs = [f"{name} {_fmt(getattr(before, name))} -> {_fmt(getattr(after, name))}"
                     for name in ("name", "division", "division_since", "function", "manager")
                     if getattr(before, name) != getattr(after, name)]
            if diffs:
                out[pid] = (after.loc, f"{after.label} changes " + "; ".join(diffs))
    return out


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    base, change, rejudge = ctx.base, ctx.change, ctx.rejudge
    if base is None or change is None or rejudge is None or change.base_empty:
        return  # without a base catalog and people every finding is new anyway
    ref = change.base_ref
    perms = {pid: (at, words) for pid, at, words in catalog_changes(ws, base, ref)}
    people = people_changes(ws, base, ref)
    if not perms and not people:
        return
    added = added_grants(ws, base, change.paths())
    if not added:
        return
    at_grant = {(g.path, g.line, g.column): g for g in added}
    employees = {g.employee for g in added}
    # every file of each employee with an added grant: the employee rules judge them exactly
    mine = dataclasses.replace(ws, files=tuple(f for f in ws.files if f.employee in employees), problems=())
    # a re-keyed person is, at the base, the person of that name; a renamed permission, the old id
    base_people = dict(base.people)
    for new, old in rekeyed_people(ws, base).items():
        base_people[new] = base.people[old]._replace(id=new)
    base_catalog = dict(base.catalog)
    for new, old in renamed_permissions(ws, base).items():
        base_catalog[new] = dataclasses.replace(base.catalog[old], id=new)
    crossed = dataclasses.replace(mine, catalog=base_catalog, people=base_people)
    now = {(f.rule, f.path, f.line, f.column) for f in rejudge(mine)}
    seen: set[tuple[str, int, int, str]] = set()
    for f in sorted(rejudge(crossed), key=Finding.sort_key):
        g = at_grant.get((f.path, f.line, f.column))
        if g is None or (f.rule, f.path, f.line, f.column) in now or (f.path, f.line, f.column, f.rule) in seen:
            continue
        seen.add((f.path, f.line, f.column, f.rule))
        lines = _reasons(g, ws, crossed, perms, people)
        where = ", ".join(str(at) if at.line > 1 else at.path for at, _ in lines)
        related = tuple(Related(at.path, at.line, at.column, words) for at, words in lines)
        yield Violation(
            g.path, g.line, g.column,
            f"{g.permission} granted to {g.employee} would break `{f.rule}` under the catalog and people "
            f"directory at {ref}; it is allowed only because this change edits {where}",
            g.employee, g.permission, related,
        )


def _reasons(g: Grant, ws: Workspace, base: Workspace, perms: dict[str, tuple[Loc, str]],
             people: dict[str, tuple[Loc, str]]) -> list[tuple[Loc, str]]:
    """The changed catalog and people entries this grant's verdict reads: its permission, its
    holder and granter and their managers at either side; all of them when none of these."""
    out: list[tuple[Loc, str]] = []
    if g.permission in perms:
        out.append(perms[g.permission])
    ids: list[str] = []
    for side in (ws, base):
        for who in (g.employee, g.granted_by):
            ids += [who, *side.management_chain(who)]
    for pid in dict.fromkeys(ids):
        if pid in people:
            out.append(people[pid])
    if not out:
        out = [*perms.values(), *people.values()]
    return list(dict.fromkeys(out))


_CATALOG_UNSENSITIVE = """\
---
# permission catalog
permissions:
- id: P001
  name: billing.read
  owner_division: retail-sales
  description: Read access to billing systems
- id: P002
  name: supply-points.read
  owner_division: distribution
  description: Read access to supply-point data, including new entrants' customers
- id: P003
  name: hr.read
  owner_division: corporate
  description: Read access to HR systems
- id: P004
  name: legacy-liaison.read
  owner_division: corporate
  description: Left over from a retired process
  retired: true
- id: P005
  name: access-admin.register
  owner_division: corporate
  description: Register permissions for other employees
  grants_access: true
- id: P006
  name: payroll.read
  owner_division: corporate
  description: Read salaries and bank details (personal data)
"""

_GRANT = """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
  - permission: P006
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "payroll cover, ticket ACC-00113"
"""

RULE = Rule(
    scope="change",
    id="grant-depends-on-gate-change",
    summary="A grant the change adds passes only because the same change edits the catalog or people directory",
    default_severity="error",
    waivable=False,  # a waiver would live in policies/, inside the very change it excuses
    check=check,
    doc=RuleDoc(
        flags="In `--base` mode, a grant the change adds that a rule would flag under the catalog and the "
              "people directory of the base, and that passes only because the same change edits them: a "
              "permission added, removed, renamed (same name, new id) or given a second entry of the same "
              "name, its `owner_division`, `retired`, `sensitive` or `grants_access` changed; a person "
              "added, removed, re-keyed (same name, new id), or their division, `division_since`, function "
              "or manager changed. Reported at the grant, naming the catalog and people lines it rests on.",
        why="The catalog and the people directory decide verdicts as much as the policies do. Dropping "
            "`sensitive` lifts the expiry requirement, giving the grantee a function lets them hold "
            "`grants_access` permissions, re-keying a person or a permission makes the rules see another "
            "one. Done in the same pull request as the grant, the edit talks the gate past it.",
        fix="Land the catalog or people change on its own, reviewed by its owners (CODEOWNERS), then the "
            "grant in a pull request checked against the new base.",
        bad=Example(files={"catalog.yaml": _CATALOG_UNSENSITIVE, "assignments/retail-sales/E000002.yaml": _GRANT},
                    base={}, expect=(("assignments/retail-sales/E000002.yaml", 8),)),
        good=Example(files={"catalog.yaml": _CATALOG_UNSENSITIVE}, base={}),
    ),
)
