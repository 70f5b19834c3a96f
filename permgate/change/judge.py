"""Both sides of a change evaluated under one gate, and split into new and pre-existing findings.

Both workspaces are evaluated with the union of their policy rules and the stricter of
their severities (and the working tree once more with the base's rule ``settings:`` when
they differ), so deleting or loosening a rule in the change does not switch it off for the
change.  Which head findings are new is ``compare.split_new``.  ``basemode`` (the whole of
both trees) and ``incremental`` (the employees a change touches) both end here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from permgate.change.changeset import ChangeSet
from permgate.change.compare import added_grants, split_new
from permgate.config import Config
from permgate.engine.evaluation import check_unread_severities, evaluate, rule_catalogue
from permgate.errors import ConfigError
from permgate.findings import SEVERITY_RANK, Finding, Related, RuleInfo
from permgate.git.repo import Repo
from permgate.model import Change, PolicyRule, Workspace
from permgate.rules import BUILTIN_BY_ID

T = TypeVar("T")


#: rules that describe the change itself rather than judge grants
_DESCRIBE_CHANGE = frozenset({"policy-change", "policy-changed-with-grants"})


@dataclass(frozen=True)
class BaseOutcome:
    """What ``--base`` mode found: ``new`` is reported, ``preexisting`` only counted."""

    new: tuple[Finding, ...]
    preexisting: tuple[Finding, ...]
    head: Workspace
    base: Workspace
    change: ChangeSet
    rules: tuple[RuleInfo, ...]
    #: the grants repository's root inside the git repository ("" at the top, else "sub/")
    prefix: str
    #: set when only the employees the change touches were re-evaluated (``permgate.change.incremental``)
    scope: Scope | None = None
    #: why the whole of both trees was evaluated instead (None when ``scope`` is set)
    declined: str | None = None


@dataclass(frozen=True)
class Scope:
    """What an incremental ``--base`` run re-evaluated: ``head``/``base`` hold only these files."""

    #: the employees whose findings were computed (every file of each, at both revisions)
    employees: tuple[str, ...]
    head_files: tuple[str, ...]
    base_files: tuple[str, ...]
    #: how the base's employee index was had: ``cached``, ``built`` (and stored) or ``memory`` (no cache)
    index: str


def union_policies(head: tuple[PolicyRule, ...], base: tuple[PolicyRule, ...]) -> tuple[PolicyRule, ...]:
    """The rules of both sides: head's, then every base rule whose declaration differs."""
    def same(a: PolicyRule, b: PolicyRule) -> bool:
        return (a.id, a.kind, a.severity, a.waivable, dict(a.params)) == (b.id, b.kind, b.severity, b.waivable,
                                                                         dict(b.params))
    out = list(head)
    for b in base:
        if not any(same(b, h) for h in head):
            out.append(b)
    return tuple(out)


def _stricter(a: str, b: str) -> str:
    return a if SEVERITY_RANK[a] >= SEVERITY_RANK[b] else b


def strictest_config(head: Config, base: Config, policies: tuple[PolicyRule, ...]) -> Config:
    """``head`` with every severity override raised to the stricter of both sides' effective one, and
    only the rules both sides turn off left off."""
    merged: dict[str, str] = {}
    for rid in sorted(set(head.severity) | set(base.severity)):
        defaults = [p.severity for p in policies if p.id == rid]
        if rid in BUILTIN_BY_ID:
            defaults.append(BUILTIN_BY_ID[rid].default_severity)
        default = max(defaults, key=lambda s: SEVERITY_RANK[s], default="note")
        merged[rid] = _stricter(head.severity.get(rid, default), base.severity.get(rid, default))
    lines = dict(base.severity_lines)
    lines.update(head.severity_lines)
    # a rule is off only where both sides turn it off: a change cannot switch off its own gate
    return dataclasses.replace(head, severity=merged, severity_lines=lines,
                               rules_off=head.rules_off & base.rules_off)


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per place, rule and message (two versions of a rule may both flag it): the strictest."""
    best: dict[tuple[Any, ...], Finding] = {}
    for f in findings:
        k = (f.rule, f.path, f.line, f.column, f.employee, f.permission, f.message)
        if k not in best or SEVERITY_RANK[f.severity] > SEVERITY_RANK[best[k].severity]:
            best[k] = f
    return sorted(best.values(), key=Finding.sort_key)


class _Changed:
    """What ``_explain_change`` asks of both sides per finding, answered once per permission and role
    (20,000 findings through one changed role ask the same two questions)."""

    def __init__(self, head: Workspace, base: Workspace) -> None:
        self.head, self.base = head, base
        self._permissions: dict[str, bool] = {}
        self._roles: dict[str, bool] = {}

    def permission(self, pid: str) -> bool:
        """Whether the catalog entry of ``pid`` differs but for where it sits (both sides have it)."""
        known = self._permissions.get(pid)
        if known is None:
            after_c, before_c = self.head.catalog.get(pid), self.base.catalog.get(pid)
            known = self._permissions[pid] = after_c is not None and before_c is not None \
                and after_c != dataclasses.replace(before_c, loc=after_c.loc)
        return known

    def role(self, rid: str) -> bool:
        """Whether the permissions role ``rid`` reaches differ (the head has it)."""
        known = self._roles.get(rid)
        if known is None:
            after_r = {r.permission for r in self.head.role_reach().get(rid, ())}
            before_r = {r.permission for r in self.base.role_reach().get(rid, ())}
            known = self._roles[rid] = rid in self.head.roles and after_r != before_r
        return known


def _explain_change(f: Finding, head: Workspace, base: Workspace, changed: frozenset[str],
                    differs: _Changed | None = None) -> Finding:
    """Add the directory or catalog line a finding in an untouched file owes to the change."""
    if f.path in changed:
        return f
    differs = differs or _Changed(head, base)
    notes: dict[tuple[str, int], tuple[Related, str]] = {}
    after_p = head.people.get(f.employee or "")
    before_p = base.people.get(f.employee or "")
    if after_p is not None and before_p is not None and (after_p.division, after_p.manager) != (
            before_p.division, before_p.manager):
        text = (f"{after_p.label} moves from {before_p.division} to {after_p.division} in this change"
                if before_p.division != after_p.division else f"{after_p.label}'s manager changes in this change")
        loc = after_p.loc
        notes[(loc.path, loc.line)] = (Related(loc.path, loc.line, loc.column, text), text)
    if differs.permission(f.permission or ""):
        after_c, before_c = head.catalog[f.permission or ""], base.catalog[f.permission or ""]
        text = (f"{after_c.label} changes in this change (owner_division {before_c.owner_division} -> "
                f"{after_c.owner_division})")
        loc = after_c.loc
        notes[(loc.path, loc.line)] = (Related(loc.path, loc.line, loc.column, text), text)
    if f.role is not None and differs.role(f.role):
        role = head.roles[f.role]
        text = f"role {f.role} changes in this change"
        notes[(role.loc.path, role.loc.line)] = (Related(role.loc.path, role.loc.line, role.loc.column, text), text)
    if not notes:
        return f
    related = []
    for r in f.related:  # a line the rule already cites gets the change said next to it
        note = notes.pop((r.path, r.line), None)
        related.append(r._replace(message=f"{r.message}; {note[1]}") if note else r)
    related.extend(rel for rel, _ in notes.values())
    return f._replace(related=tuple(related))


def _escalate_role_changes(new: list[Finding], head: Workspace) -> list[Finding]:
    """A ``role-change`` finding is an error when a holder has a new error through the role."""
    changes = [f for f in new if f.rule == "role-change" and f.severity != "error"]
    if not changes:
        return new
    reach = head.role_reach()
    # (permission, role on the way) of every new error given through a role
    through = {(f.permission, r) for f in new if f.role is not None and f.severity == "error" and f.active
               for x in reach.get(f.role, ()) if x.permission == f.permission for r in x.chain}
    return [f._replace(severity="error") if f.rule == "role-change" and f.severity != "error"
            and (f.permission, f.role) in through else f for f in new]


def judge(repo: Repo, commit: str, ref: str, changes: tuple[Change, ...], head_ws: Workspace, base_ws: Workspace,
          head_config: Config, base_config: Config, base_empty: bool, today: dt.date,
          scope: Scope | None = None, declined: str | None = None) -> BaseOutcome:
    """Both workspaces (whole, or employee-closed parts of them) evaluated and split into new and pre-existing."""
    change = ChangeSet(
        base_ref=ref, base_commit=commit, changes=changes,
        base_config=base_config, head_config=head_config,
        base_policies=base_ws.policies, head_policies=head_ws.policies, base_empty=base_empty,
    )
    policies = union_policies(head_ws.policies, base_ws.policies)
    if not policies:
        raise ConfigError(head_config.policies, 1, 1, f"no policy rules are declared, here or at {ref}; "
                          "without them nothing guards the boundary")
    check_unread_severities(head_config)  # the merge below would raise it back: refuse it where it is
    config = strictest_config(head_config, base_config, policies)
    # the same workspace when its rules are already the union (no gate change: every incremental
    # run), so its grants are not expanded through roles again
    head_eval = head_ws if policies == head_ws.policies else dataclasses.replace(head_ws, policies=policies)
    base_eval = base_ws if policies == base_ws.policies else dataclasses.replace(base_ws, policies=policies)
    # each side's own rules are checked against its own catalog (a rule the change adds may name a
    # permission the change adds); the other side's rules run all the same
    head_all = evaluate(head_eval, config, today, base=base_ws, change=change, own_policies=head_ws.policies)
    if dict(head_ws.settings) != dict(base_ws.settings):
        # the rules' settings as the base has them still apply: a finding under either counts
        with_base_settings = dataclasses.replace(head_eval, settings=base_ws.settings,
                                                 settings_locs=base_ws.settings_locs)
        # if the base's settings no longer fit the data (a delegate left), the change's own apply
        with contextlib.suppress(ConfigError):
            # the gate-change rules describe the real change, once, from the first pass
            head_all += [f for f in evaluate(with_base_settings, config, today, base=base_ws, change=change,
                                             own_policies=head_ws.policies)
                         if f.rule not in _DESCRIBE_CHANGE]
    head_findings = _dedupe(head_all)
    base_findings = _dedupe(evaluate(base_eval, config, today, own_policies=base_ws.policies))
    changed = change.paths()
    fresh = {(g.path, g.line) for g in added_grants(head_ws, base_ws, changed)}
    new, old = split_new(head_findings, base_findings, changed, fresh=fresh)
    # the baseline accepts findings the base had; a finding the change brings is never baselined
    # (the change's own copy of the register cannot accept it, nor can a stale entry of the base's)
    new = [f._replace(baselined=None) if f.baselined is not None else f for f in new]
    differs = _Changed(head_ws, base_ws)
    new = [_explain_change(f, head_ws, base_ws, changed, differs) for f in new]
    new = _escalate_role_changes(new, head_ws)
    seen: set[str] = set()
    rules = []
    for info in rule_catalogue(head_eval, config):
        if info.id not in seen:
            seen.add(info.id)
            rules.append(info)
    return BaseOutcome(tuple(new), tuple(old), head_ws, base_ws, change, tuple(rules), repo.prefix,
                       scope=scope, declined=declined)
