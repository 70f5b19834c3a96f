"""The workspace the rules read: plain immutable records, each with its source location.

No I/O here; ``permgate.load`` builds these from files.  ``Grant`` is a NamedTuple
rather than a dataclass because a large organisation holds millions of them and
tuple construction is several times cheaper than a frozen dataclass's ``__init__``.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, pairwise
from operator import itemgetter
from typing import Any, NamedTuple


class Loc(NamedTuple):
    """A place in a file: path relative to the root, ``/``-separated; 1-based line and column."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Permission:
    id: str
    name: str
    owner_division: str
    description: str
    loc: Loc
    retired: bool = False
    sensitive: bool = False
    grants_access: bool = False

    @property
    def label(self) -> str:
        return f"{self.id} {self.name}"


class Person(NamedTuple):
    """A people-directory entry.  A NamedTuple, like ``Grant``: a directory of 100,000 people is
    built by one C-level ``map`` rather than a frozen dataclass's ``__init__`` per person."""

    id: str
    name: str
    division: str
    manager: str | None
    loc: Loc
    division_since: str | None = None
    function: str | None = None

    @property
    def label(self) -> str:
        return f"{self.id} {self.name}"


class Grant(NamedTuple):
    """One entry of a grants file; ``line``/``column`` are those of its ``- permission:`` item.

    ``role`` is set on the effective grants a ``- role:`` entry expands to (one per permission the
    role reaches through ``includes``, each at the role entry's line), and on the role entry itself
    as loaded (``GrantsFile.role_grants``, whose ``permission`` is ``""``: never a catalog id).
    """

    employee: str
    permission: str
    granted_by: str
    granted_on: str
    reason: str
    expires: str | None
    path: str
    line: int
    column: int
    role: str | None = None

    @property
    def loc(self) -> Loc:
        return Loc(self.path, self.line, self.column)


# Field getters of ``Grant`` that run in C: rules pass millions of grants through ``map``,
# ``set`` and ``itertools.compress`` with them instead of a Python step per grant.
EMPLOYEE_OF = itemgetter(Grant._fields.index("employee"))
PERMISSION_OF = itemgetter(Grant._fields.index("permission"))
GRANTER_OF = itemgetter(Grant._fields.index("granted_by"))
REASON_OF = itemgetter(Grant._fields.index("reason"))
ROLE_OF = itemgetter(Grant._fields.index("role"))


@dataclass(frozen=True, slots=True)
class Role:
    """An entry of ``roles.yaml``: a named bundle of permissions, granted with ``- role: ID``.

    ``permission_locs``/``include_locs`` are the positions of each member in the file (same order).
    """

    id: str
    name: str
    owner_division: str
    description: str
    permissions: tuple[str, ...]
    includes: tuple[str, ...]
    loc: Loc
    permission_locs: tuple[Loc, ...] = ()
    include_locs: tuple[Loc, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.id} {self.name}"


class Reach(NamedTuple):
    """How a role reaches a permission: the chain of roles from the granted one to the one that
    lists it, and the line of that listing."""

    permission: str
    chain: tuple[str, ...]
    loc: Loc


def role_reach(roles: Mapping[str, Role]) -> dict[str, tuple[Reach, ...]]:
    """Every role's effective permissions, each once (the first path, depth first in file order).

    ``includes`` naming an unknown role, and the edge closing a cycle, are skipped here (the
    role rules report them at their lines); what remains is still expanded, so a broken include
    never hides the permissions a role lists itself.
    """
    out: dict[str, tuple[Reach, ...]] = {}
    for role_id in roles:
        found: dict[str, Reach] = {}
        stack: list[tuple[str, tuple[str, ...]]] = [(role_id, (role_id,))]
        while stack:
            current, chain = stack.pop()
            role = roles[current]
            for perm, loc in zip(role.permissions, role.permission_locs or [role.loc] * len(role.permissions),
                                 strict=True):
                if perm not in found:
                    found[perm] = Reach(perm, chain, loc)
            for inc in reversed(role.includes):
                if inc in roles and inc not in chain:
                    stack.append((inc, (*chain, inc)))
        out[role_id] = tuple(found.values())
    return out


def changed_roles(head: Mapping[str, Role], base: Mapping[str, Role], perms: Iterable[str] = ()) -> set[str]:
    """Roles whose holders may be judged differently between ``base`` and ``head``: a role added or
    removed, a role whose effective permissions differ, or one that gives a permission in ``perms``
    (a catalog entry that changed: a role's holders never spell that permission's id)."""
    head_reach, base_reach = role_reach(head), role_reach(base)
    changed = set(perms)
    out: set[str] = set()
    for rid in set(head_reach) | set(base_reach):
        after = {r.permission for r in head_reach.get(rid, ())}
        before = {r.permission for r in base_reach.get(rid, ())}
        if rid not in head_reach or rid not in base_reach or after != before or (after | before) & changed:
            out.add(rid)
    return out


def expand_file(gf: GrantsFile, reach: Mapping[str, tuple[Reach, ...]]) -> GrantsFile:
    """``gf`` with its role entries expanded to effective grants, merged in line order with the
    direct grants (any earlier expansion dropped first, so expanding again is the same)."""
    if not gf.role_grants:
        return gf
    effective = [g for g in gf.grants if g.role is None]
    for rg in gf.role_grants:
        reached = reach.get(rg.role or "", ())
        if reached:
            # ``rg._replace(permission=...)`` for each, built by C (a run expands 500,000 of them)
            employee, tail, kind = rg[0], rg[2:], rg.__class__
            effective.extend([_NEW(kind, (employee, r.permission, *tail)) for r in reached])
    effective.sort(key=_LINE_OF)
    return GrantsFile(gf.path, gf.employee, gf.employee_loc, tuple(effective), gf.role_grants)


_LINE_OF = itemgetter(Grant._fields.index("line"))
_NEW = tuple.__new__
assert Grant._fields[:2] == ("employee", "permission")  # expand_file puts the permission second


@dataclass(frozen=True, slots=True)
class GrantsFile:
    """A grants file that parsed; ``grants`` holds the entries that passed validation.

    Every grant's ``employee`` is the file's ``employee`` (rules may rely on it).
    """

    path: str
    employee: str
    employee_loc: Loc
    #: the effective grants: direct entries, and each ``- role:`` entry expanded (``expand_file``)
    grants: tuple[Grant, ...]
    #: the ``- role:`` entries as written (``permission`` is ``""``); the workspace expands them
    role_grants: tuple[Grant, ...] = ()


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """A rule declared in ``policies/*.yaml``; ``params`` are the kind's own parameters."""

    id: str
    kind: str
    severity: str
    summary: str
    waivable: bool
    params: Mapping[str, Any]
    loc: Loc
    description: str = ""


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """A grants file (or part of one) that could not be used, reported as ``invalid-file``."""

    path: str
    line: int
    column: int
    message: str
    employee: str | None = None


@dataclass(frozen=True, slots=True)
class Waiver:
    """One entry of the waiver register (``policies/waivers.yaml``); ``permission`` None waives
    findings that name no permission (``bulk-grant``, ``misplaced-file``...); ``employee`` None
    only a rule whose findings name no employee (``Rule.names_employee``: ``mass-change``)."""

    rule: str
    employee: str | None
    permission: str | None
    reason: str
    ticket: str
    approved_by: str
    approved_on: str
    expires: str
    loc: Loc


#: One entry of the baseline: how many findings of its key it accepts, and its line and column.
#: (Plain tuples: a baseline holds hundreds of thousands of entries, read on every run.)
BaselineEntry = tuple[int, int, int]


@dataclass(frozen=True)
class Baseline:
    """The findings accepted when permgate was adopted, until ``expires`` (docs/baseline.md)."""

    path: str
    created: str
    expires: str
    #: where ``expires:`` is written (a finding about the whole baseline points there)
    expires_loc: Loc
    #: ``permgate.change.compare.finding_key`` (rule + employee + permission, or rule + path) ->
    #: (count, line, column), in file order
    entries: Mapping[tuple[str, ...], BaselineEntry]


class ReviewItem(NamedTuple):
    """One grant listed in a reviewer's file of an access review (``permgate review open``);
    ``line``/``column`` are those of its ``- employee:`` item, ``decision_line`` of its ``decision``."""

    employee: str
    permission: str
    granted_by: str
    granted_on: str
    file: str
    decision: str  # pending | keep | revoke
    reason: str
    line: int
    column: int
    decision_line: int
    decision_column: int


@dataclass(frozen=True, slots=True)
class ReviewFile:
    """One reviewer's file of a campaign, ``reviews/<campaign>/<reviewer>.yaml`` (docs/reviews.md)."""

    path: str
    campaign: str
    due: str
    opened_on: str
    scope: str
    reviewer: str
    reviewer_loc: Loc
    items: tuple[ReviewItem, ...]


@dataclass(frozen=True, slots=True)
class ClosedCampaign:
    """``reviews/<campaign>/campaign.yaml``, written by ``permgate review close``."""

    path: str
    campaign: str
    closed_on: str
    kept: int
    revoked: int
    pending: int
    loc: Loc


@dataclass(frozen=True)
class Workspace:
    """Everything one run reads. ``grants`` is every usable grant, in file order."""

    root: str
    catalog_path: str
    people_path: str
    catalog: Mapping[str, Permission]
    people: Mapping[str, Person]
    files: tuple[GrantsFile, ...]
    policies: tuple[PolicyRule, ...]
    problems: tuple[LoadProblem, ...] = ()
    assignments_path: str = "assignments"
    #: ``settings:`` sections of the policy files, by rule id (``bulk-grant``...), and where each is
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    settings_locs: Mapping[str, Loc] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    waivers_path: str | None = None
    #: the accepted findings (``permgate baseline``); None: no baseline, or not applied
    baseline: Baseline | None = None
    #: access reviews (``permgate review``): every reviewer's file, the closed campaigns, and the
    #: review files that could not be used (``invalid-review``); read with the frame
    reviews: tuple[ReviewFile, ...] = ()
    campaigns: tuple[ClosedCampaign, ...] = ()
    review_problems: tuple[LoadProblem, ...] = ()
    reviews_path: str = "reviews"
    #: ``roles.yaml`` (relocatable: ``paths: roles``); empty without the file
    roles: Mapping[str, Role] = field(default_factory=dict)
    roles_path: str = "roles.yaml"
    # caches built on first use; init=False, so every construction and dataclasses.replace starts them empty
    _by_employee: dict[str, list[Grant]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _all: list[Grant] = field(default_factory=list, init=False, repr=False, compare=False)
    _reach: dict[str, tuple[Reach, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Role entries are always judged by *this* workspace's roles: a file carried from another
        # workspace (the base of a change, a chunk) is expanded again here, so no caller can
        # forget it and no rule ever sees a role entry unexpanded.
        if any(f.role_grants for f in self.files):
            reach = self.role_reach()
            object.__setattr__(self, "files", tuple(expand_file(f, reach) for f in self.files))

    def role_reach(self) -> dict[str, tuple[Reach, ...]]:
        """``role_reach(self.roles)``, computed once."""
        if not self._reach and self.roles:
            self._reach.update(role_reach(self.roles))
        return self._reach

    def iter_grants(self) -> Iterator[Grant]:
        """Every grant, in file order.  One flat list, built on first use, so that each of
        the many rules walking millions of grants pays no generator per grant."""
        if not self._all:
            self._all.extend(chain.from_iterable(f.grants for f in self.files))
        return iter(self._all)

    def grants_of(self, employee: str) -> list[Grant]:
        """Every grant held by ``employee`` across all files (an index built on first use)."""
        index = self._by_employee
        if not index:
            # a file's grants are all its employee's: one look-up per file, not per grant
            for f in self.files:
                if f.grants:
                    held = index.get(f.employee)
                    if held is None:
                        index[f.employee] = list(f.grants)
                    else:
                        held.extend(f.grants)
        return index.get(employee, [])

    def management_chain(self, employee: str) -> list[str]:
        """The managers above ``employee``, nearest first; stops at a cycle or unknown id."""
        chain: list[str] = []
        seen = {employee}
        person = self.people.get(employee)
        while person is not None and person.manager and person.manager not in seen:
            chain.append(person.manager)
            seen.add(person.manager)
            person = self.people.get(person.manager)
        return chain


@dataclass(frozen=True)
class Change:
    """One path changed between two trees; ``old``/``new`` are None for added/deleted."""

    status: str  # A, M, D, R (rename), T (type change)
    old: str | None
    new: str | None


class ByLine(Mapping[int, str]):
    """Values by row line for rows given in increasing line order (the export's ``last_used``): two
    flat columns searched by bisection instead of a dict, 12 bytes a row instead of about 80 (1.4
    million rows at 100,000 employees).  A ``Mapping``: equal to a dict with the same items."""

    def __init__(self, lines: Sequence[int] = (), values: Sequence[str] = ()) -> None:
        self._lines = lines if isinstance(lines, array) else array("l", lines)
        self._values = values
        if len(self._lines) != len(values) or any(a >= b for a, b in pairwise(self._lines)):
            raise ValueError("one value per line, the lines in increasing order")

    def __getitem__(self, line: int) -> str:
        i = bisect_left(self._lines, line)
        if i == len(self._lines) or self._lines[i] != line:
            raise KeyError(line)
        return self._values[i]

    def __iter__(self) -> Iterator[int]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


class Revocation(NamedTuple):
    """The commit that removed a grant from the grants repository (``git log`` of its file)."""

    commit: str
    date: str  # the commit date, YYYY-MM-DD
    path: str  # the grants file it was removed from, relative to the root


@dataclass(frozen=True)
class ActualAccess:
    """What the system of record holds (``permgate reconcile --actual``), read by the reconcile rules.

    ``held`` maps employee -> permission -> the export row as a ``Grant`` located at its row
    (``path``, the row's first line, the column of its ``permission`` field); values the export
    lacks are ``"?"`` (``granted_by``, ``granted_on``) or empty (``reason``).  ``problems`` are the
    rows that could not be read (``invalid-export``); ``last_used`` is by row line, for the rows
    that carry one; ``revocations`` name, for grants held in the system but absent from git, the
    commit that removed them from git (filled by the command from the history: rules stay pure).
    """

    path: str
    held: Mapping[str, Mapping[str, Grant]]
    problems: tuple[LoadProblem, ...] = ()
    last_used: Mapping[int, str] = field(default_factory=dict)
    rows: int = 0
    revocations: Mapping[tuple[str, str], Revocation] = field(default_factory=dict)
    #: row line -> the export's ``source`` value, kept only for ``permgate import``
    sources: Mapping[int, str] = field(default_factory=dict)

    def files(self) -> tuple[GrantsFile, ...]:
        """The held access as one grants file per employee (in export order), for the policy rules."""
        out = []
        for employee, grants in self.held.items():
            first = next(iter(grants.values()))
            out.append(GrantsFile(self.path, employee, first.loc, tuple(grants.values())))
        return tuple(out)


def in_force(ws: Workspace, today: str) -> list[Grant]:
    """Every effective grant of ``ws`` not expired on ``today`` (ISO date): an expired grant gives no
    access, one expiring today still does (as ``expired-grant`` judges)."""
    return [g for g in ws.iter_grants() if g.expires is None or g.expires >= today]


def held(ws: Workspace, today: str) -> set[tuple[str, str]]:
    """Every (employee, permission) held on ``today``, built by C (``permgate impact``, ``mass-change``)."""
    grants = in_force(ws, today)
    return set(zip(map(EMPLOYEE_OF, grants), map(PERMISSION_OF, grants), strict=True))
