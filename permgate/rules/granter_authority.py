"""granter-authority: the granter had no authority over the grantee or the permission.

Two checks per grant.  The granter must be in the grantee's management chain (any
level up) or a delegate named in a policy's ``settings: granter-authority: delegates``.
And when the permission's owning division is protected by a ``forbidden-owner`` rule,
the granter must belong to that division: a sales manager cannot grant a distribution
permission, even to his own staff.  Self-grants skip the chain check (``self-grant``
reports them) but not the owner check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from permgate.findings import Related, Violation
from permgate.model import GRANTER_OF, PERMISSION_OF, Person, Workspace
from permgate.rules.base import (
    Context,
    Example,
    Rule,
    RuleDoc,
    grant_violation,
    permission_related,
    person_related,
    policy_related,
    settings_of,
)
from permgate.rules.forbidden_owner import protected_owners


def delegations(ws: Workspace) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """granter -> (employees, divisions) they may grant to as a delegate."""
    out: dict[str, tuple[set[str], set[str]]] = {}
    for d in settings_of(ws, "granter-authority").get("delegates", ()):
        employees, divisions = out.setdefault(d["granter"], (set(), set()))
        employees.update(d.get("employees", ()))
        divisions.update(d.get("divisions", ()))
    return {k: (frozenset(e), frozenset(v)) for k, (e, v) in out.items()}


def validate_settings(ws: Workspace, section: Mapping[str, Any]) -> str | None:
    for d in section.get("delegates", ()):
        for who_id in (d["granter"], *d.get("employees", ())):
            if who_id not in ws.people:
                return f"granter-authority: delegate entry names `{who_id}`, who is not in {ws.people_path}"
    return None


#: (granter, chain problem): the granter (None: unknown) and why they may not grant to the
#: grantee (None: they may, or one of the two is unknown)
Verdict = tuple[Person | None, tuple[str, tuple[Related]] | None]


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    people = ws.people
    protected = protected_owners(ws)
    delegates = delegations(ws)
    no_delegation: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    # the permissions whose owning division a forbidden-owner rule protects, computed once
    guarded = {pid: (perm, protected[perm.owner_division])
               for pid, perm in ws.catalog.items() if perm.owner_division in protected}
    guarded_ids = frozenset(guarded)
    chains: dict[str, list[str]] = {}
    # by (permission, granter): the owner check's text and related locations, once each
    owner_problems: dict[tuple[str, str], tuple[str, tuple[Related, ...]]] = {}
    permission_halves: dict[str, tuple[str, Related, Related]] = {}
    granter_halves: dict[str, tuple[str, Related]] = {}

    def verdict_of(grantee: Person, by: str) -> Verdict:
        granter = people.get(by)
        if granter is None or by == grantee.id:
            return granter, None  # unknown-granter / self-grant say so
        if by == grantee.manager:
            return granter, None  # the first of the chain (the usual granter)
        chain = chains.get(grantee.id)
        if chain is None:
            chain = chains[grantee.id] = ws.management_chain(grantee.id)
        if by in chain:
            return granter, None
        allowed_people, allowed_divisions = delegates.get(by, no_delegation)
        if grantee.id in allowed_people or grantee.division in allowed_divisions:
            return granter, None
        above = ", ".join(chain) if chain else "nobody (no manager)"
        return granter, (
            f"{granter.label} is not in the management chain of {grantee.label} ({above}) nor a delegate for them",
            (person_related(grantee, f"{grantee.label} reports to {grantee.manager}"
                            if grantee.manager else f"{grantee.label} has no manager"),))

    def judge(judged: dict[str, Verdict], grantee: Person, by: str) -> Verdict:
        """``verdict_of``, kept in ``judged`` (the current grantee's verdicts, by granter)."""
        verdict = judged[by] = verdict_of(grantee, by)
        return verdict

    grantee_id: str | None = None
    grantee: Person | None = None
    judged: dict[str, Verdict] = {}  # for the current grantee, by granter
    for f in ws.files:
        grants = f.grants
        if f.employee != grantee_id:  # a file's grants are all its employee's
            grantee_id, grantee, judged = f.employee, people.get(f.employee), {}
        if grantee is None or not grants:
            continue  # unknown-employee says so
        # Most files are clear as a whole: every granter may grant to this grantee, and the
        # protected permissions among the grants (if any) all belong to the one division
        # every known granter is in.  Such a file is settled by a few set operations.
        clear = True
        divisions: set[str] = set()
        for by in set(map(GRANTER_OF, grants)):
            verdict = judged.get(by) or judge(judged, grantee, by)
            if verdict[1] is not None:
                clear = False
                break
            if verdict[0] is not None:
                divisions.add(verdict[0].division)
        if clear:
            held = guarded_ids.intersection(map(PERMISSION_OF, grants))
            if not held or not divisions or (
                    len(divisions) == 1 and all(guarded[pid][0].owner_division in divisions for pid in held)):
                continue
        for g in grants:
            by = g.granted_by
            verdict = judged.get(by) or judge(judged, grantee, by)
            granter, chain_problem = verdict
            if granter is None:
                continue  # unknown-granter says so
            guard = guarded.get(g.permission)
            if guard is not None and granter.division == guard[0].owner_division:
                guard = None
            if chain_problem is None and guard is None:
                continue
            owner_problem: tuple[str, tuple[Related, ...]] | None = None
            if guard is not None:
                # the same permission from the same granter: one text, one set of locations
                owner_problem = owner_problems.get((g.permission, by))
                if owner_problem is None:
                    # its permission's half worded once per permission, its granter's once per granter
                    half = permission_halves.get(g.permission)
                    if half is None:
                        perm, rule = guard
                        half = permission_halves[g.permission] = (
                            f"{perm.label} is owned by {perm.owner_division} ({perm.loc}), protected by "
                            f"`{rule.id}`, but ", permission_related(ws, perm), policy_related(rule))
                    other = granter_halves.get(by)
                    if other is None:
                        other = granter_halves[by] = (f"{granter.label} is in {granter.division} ({granter.loc})",
                                                      person_related(granter))
                    owner_problem = owner_problems[(g.permission, by)] = (
                        half[0] + other[0], (half[1], other[1], half[2]))
            if chain_problem is None:
                assert owner_problem is not None
                message, related = owner_problem
            elif owner_problem is None:
                message, related = chain_problem
            else:
                message, related = f"{chain_problem[0]}; {owner_problem[0]}", chain_problem[1] + owner_problem[1]
            yield grant_violation(g, f"{message}; granted on {g.granted_on}", related)


RULE = Rule(
    id="granter-authority",
    summary="The granter is outside the grantee's management chain, or outside a protected owning division",
    default_severity="error",
    check=check,
    validate_settings=validate_settings,
    settings={
        "delegates": "list of `{granter, employees: [...], divisions: [...]}`: people who may grant to those "
                     "employees or to anyone in those divisions without being their manager",
    },
    doc=RuleDoc(
        flags="A grant whose `granted_by` is neither one of the grantee's managers (the people-directory "
              "`manager` links, any level up) nor a delegate named under `settings: granter-authority: "
              "delegates` in a policy file. Also a grant of a permission whose owning division is protected "
              "by a `forbidden-owner` rule, given by someone outside that division, whoever the grantee is. "
              "Self-grants are left to `self-grant` for the chain check, but not for the owner check.",
        why="Access is approved by the people accountable for the grantee's work, and a protected "
            "division's data is released only by that division. In 2023 two sales section chiefs and a "
            "special manager registered a distribution permission: they were entitled to register items for "
            "their staff, but not that item.",
        fix="Have the grantee's manager (or a delegate named in policy) grant it, and for a protected "
            "division's permission someone of that division. If the grant should not exist, remove it. A "
            "standing arrangement (say, corporate services granting the division heads) belongs in "
            "`settings: granter-authority: delegates`.",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000004
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 4),),
        ),
        good=Example(files={"assignments/retail-sales/E000002.yaml": """\
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
