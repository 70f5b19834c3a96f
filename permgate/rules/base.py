"""What a rule is: a pure check plus the documentation that explains it.

Built-in rules are always on; policy kinds (``forbidden-owner``...) are instantiated by
rules declared in ``policies/*.yaml``.  Every rule carries a ``RuleDoc`` whose examples
are small grants repositories (the ``examples.BASE`` organisation plus the files the
example overrides); the test suite runs every example, so the docs cannot drift.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

from permgate.change.changeset import ChangeSet
from permgate.findings import Finding, Related, Violation
from permgate.model import PERMISSION_OF, ActualAccess, Grant, Permission, Person, PolicyRule, Workspace


@dataclass(frozen=True)
class Example:
    """Files laid over ``examples.BASE``, and the (path, line) findings the rule must give."""

    files: Mapping[str, str]
    expect: tuple[tuple[str, int], ...] = ()
    #: for rules that judge a change (``--base`` mode only): files laid over ``examples.BASE``
    #: to make the base commit; ``files`` then describe the working tree of the change
    base: Mapping[str, str] | None = None
    #: for rules that compare with the system of record (``permgate reconcile`` only): the file in
    #: ``files`` that is the system's export (``--actual``)
    actual: str | None = None


@dataclass(frozen=True)
class RuleDoc:
    flags: str
    why: str
    fix: str
    bad: Example
    good: Example


@dataclass(frozen=True)
class Context:
    """What a check may know beside the workspace."""

    today: dt.date
    policies: tuple[PolicyRule, ...] = ()
    #: the workspace at the base revision in ``--base`` mode (rules that judge a change use it)
    base: Workspace | None = None
    #: what the change touched in ``--base`` mode (paths, both configs, both policy sets)
    change: ChangeSet | None = None
    #: the engine's ``employee``-scope rules (this run's config, before waivers) on another
    #: workspace: lets a change rule re-judge grants under the base's catalog and people
    #: without importing the engine (which imports the rule registry)
    rejudge: Callable[[Workspace], list[Finding]] | None = None
    #: what the system of record holds (``permgate reconcile --actual``); the reconcile rules read it
    actual: ActualAccess | None = None


#: What a rule's findings depend on (``Rule.scope`` / ``PolicyKind.scope``):
#:
#: - ``employee``: the findings in an employee's grants files depend only on all of that
#:   employee's grants files, the catalog, the people directory, the policies and their
#:   settings.  Evaluated on any *employee-closed* subset of the grants files (every file of
#:   each employee in it), the rule gives exactly the full run's findings in those files.
#:   This is what lets the engine split a run over processes and ``--base`` re-evaluate only
#:   the employees a change touches (tests/rules/test_scope.py checks the claim for every rule).
#: - ``change``: judges the change itself in ``--base`` mode (reads ``Context.base`` and
#:   ``Context.change``); silent in a plain run.
#: - ``waivers``: reported by the engine's waiver step after every other rule (``check`` yields nothing).
#: - ``reviews``: judges the access reviews (``Workspace.reviews``, read with the frame: catalog,
#:   people, policies); depends on no grants file, so the split check runs it once, on the frame.
#: - ``frame``: judges what is read with the frame and no grants file (``roles.yaml`` against the
#:   catalog and the policies: the role rules); the split check runs it once, on the frame.
#: - ``reconcile``: compares the workspace with the system of record (reads ``Context.actual``);
#:   silent without it, so only ``permgate reconcile`` runs them.
SCOPES = ("employee", "change", "waivers", "reconcile", "reviews", "frame")


@dataclass(frozen=True)
class Rule:
    """A built-in rule; ``check`` yields violations, the engine adds id and severity."""

    id: str
    summary: str
    default_severity: str
    check: Callable[[Workspace, Context], Iterable[Violation]]
    doc: RuleDoc
    waivable: bool = True
    kind: str = "builtin"
    #: the keys of this rule's ``settings:`` section in policy files, with their meaning
    settings: Mapping[str, str] = field(default_factory=dict)
    #: checks a ``settings:`` section beyond its schema (a regex compiles, ids exist)
    validate_settings: Callable[[Workspace, Mapping[str, Any]], str | None] | None = None
    #: what the findings depend on: one of ``SCOPES``
    scope: str = "employee"
    #: a finding of this rule says permgate could not read an input: ``--select``/``--ignore``
    #: never leave it out (fail closed: what could not be read is never out of scope)
    always_reported: bool = False
    #: False for rules whose findings are about a change as a whole, not one employee
    #: (``mass-change``): a waiver of one names the rule and a permission, and no employee
    names_employee: bool = True


@dataclass(frozen=True)
class PolicyKind:
    """A kind of rule that policies declare with their own id and parameters."""

    name: str
    summary: str
    check: Callable[[Workspace, PolicyRule, Context], Iterable[Violation]]
    doc: RuleDoc
    params: Mapping[str, str] = field(default_factory=dict)
    #: checks what the schema cannot (ids that must exist); returns a problem or None
    validate: Callable[[Workspace, PolicyRule], str | None] | None = None
    #: what the findings depend on: one of ``SCOPES``
    scope: str = "employee"
    #: a finding of this kind says the grant must not exist at all, so removing the grant is the
    #: only fix: the report names the other rules' findings on the same grant as its companions
    #: instead of listing them again (``permgate.engine.grouping``)
    removes_grant: bool = False


def grants_of_permissions(ws: Workspace, permissions: Container[str]) -> Iterator[Grant]:
    """The grants (in file order) whose permission is in ``permissions``: picked out in C, so a
    rule about a few permissions pays nothing in Python for the millions of other grants."""
    return compress(ws.iter_grants(), map(permissions.__contains__, map(PERMISSION_OF, ws.iter_grants())))


def permission_related(ws: Workspace, perm: Permission, what: str | None = None) -> Related:
    text = what or f"{perm.label} is owned by {perm.owner_division}"
    return Related(perm.loc.path, perm.loc.line, perm.loc.column, text)


def person_related(person: Person, what: str | None = None) -> Related:
    text = what or f"{person.label} is in {person.division}"
    return Related(person.loc.path, person.loc.line, person.loc.column, text)


def policy_related(rule: PolicyRule) -> Related:
    return Related(rule.loc.path, rule.loc.line, rule.loc.column, f"rule {rule.id}: {rule.summary}")


def grant_violation(grant: Grant, message: str, related: tuple[Related, ...] = ()) -> Violation:
    # ``tuple.__new__`` is what the named tuple's own ``__new__`` ends in, without its Python frame
    # (rules call this once per finding: millions of times on an organisation adopting permgate)
    return _new(Violation, (grant.path, grant.line, grant.column, message, grant.employee, grant.permission,
                            related, *_LATER))


_new = tuple.__new__
#: the defaults of a violation's fields after ``related`` (severity, role...)
_LATER = tuple(Violation._field_defaults[name] for name in Violation._fields[7:])


def who(ws: Workspace, employee: str) -> str:
    person = ws.people.get(employee)
    return person.label if person else employee


def what(ws: Workspace, permission: str) -> str:
    perm = ws.catalog.get(permission)
    return perm.label if perm else permission


def settings_of(ws: Workspace, rule_id: str) -> Mapping[str, Any]:
    """The ``settings:`` section for ``rule_id`` from the policy files (empty when absent)."""
    return ws.settings.get(rule_id, {})


def date(text: str) -> dt.date:
    """A YYYY-MM-DD value the schema already validated."""
    return dt.date.fromisoformat(text)
