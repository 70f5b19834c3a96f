"""Run every rule over a workspace: stamp ids and severities, then sort.

Rules never know their own severity: built-ins have a default, policy rules declare
one, and ``permgate.yaml`` may override either.  The result is sorted so that output
is deterministic whatever the file order on disk.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Collection, Iterable, Mapping
from itertools import repeat

from permgate.change.changeset import ChangeSet
from permgate.config import Config
from permgate.engine import baseline as baselines
from permgate.engine import waivers
from permgate.engine.roles import mark_roles
from permgate.errors import ConfigError
from permgate.findings import SEVERITY_RANK, Finding, RuleInfo, Violation
from permgate.model import PolicyRule, Workspace
from permgate.rules import BUILTIN_BY_ID, BUILTIN_RULES, POLICY_KINDS, Context, mass_change
from permgate.runtime import parallel


def rule_catalogue(ws: Workspace, config: Config) -> list[RuleInfo]:
    """Every rule in force, built-in first, each with its effective severity."""
    out = [RuleInfo(r.id, r.kind, config.severity.get(r.id, r.default_severity), r.summary, r.waivable)
           for r in BUILTIN_RULES]
    for p in ws.policies:
        out.append(RuleInfo(p.id, p.kind, config.severity.get(p.id, p.severity), p.summary, p.waivable,
                            p.loc.path, p.loc.line))
    return out


def check_unread_severities(config: Config) -> None:
    """Refuse (``ConfigError`` at its line) a ``severity:`` override that lowers a rule reporting input
    permgate could not read (``Rule.always_reported``): a note never fails the run, so an unreadable
    grants file would pass the gate unread.  ``--base`` mode checks the change's own ``permgate.yaml``
    too (the stricter-of-both merge would hide it until the next pull request)."""
    for rule_id, severity in sorted(config.severity.items()):
        rule = BUILTIN_BY_ID.get(rule_id)
        if rule is not None and rule.always_reported \
                and SEVERITY_RANK[severity] < SEVERITY_RANK[rule.default_severity]:
            line, column = config.severity_lines.get(rule_id, (1, 1))
            raise ConfigError(config.path or "permgate.yaml", line, column,
                              f"severity: `{rule_id}` reports input permgate could not read, so it cannot be "
                              f"lowered below {rule.default_severity}; fix the input instead")


def check_config(ws: Workspace, config: Config, own_policies: Collection[PolicyRule] | None = None) -> None:
    """Refuse a configuration that names unknown rules or settings (``ConfigError``).

    ``own_policies`` (``--base`` mode): the policy rules ``ws``'s own side declares; only these
    are checked against ``ws``'s catalog.  A rule of the other side that names a permission this
    side's catalog lacks (the change adds the permission and the rule together, or removes both)
    still runs here; it was checked against its own side's catalog.
    """
    known = set(BUILTIN_BY_ID) | {p.id for p in ws.policies}
    for rule_id in sorted(config.severity):
        if rule_id not in known:
            line, column = config.severity_lines.get(rule_id, (1, 1))
            raise ConfigError(config.path or "permgate.yaml", line, column,
                              f"severity: unknown rule `{rule_id}` (see `permgate rules`)")
    check_unread_severities(config)
    waivable = waivable_rules(ws)
    for rule_id in sorted(config.rules_off):
        line, column = config.rules_lines.get(rule_id, (1, 1))
        if rule_id not in waivable:
            raise ConfigError(config.path or "permgate.yaml", line, column,
                              f"rules: unknown rule `{rule_id}` (see `permgate rules`)")
        if not waivable[rule_id]:
            # the boundary must not be switchable by configuration
            raise ConfigError(config.path or "permgate.yaml", line, column,
                              f"rules: `{rule_id}` is not waivable, so it cannot be turned off")
    for p in ws.policies:
        if p.id in BUILTIN_BY_ID:
            raise ConfigError(p.loc.path, p.loc.line, p.loc.column,
                              f"rule id `{p.id}` is taken by a built-in rule; choose another")
        if p.kind not in POLICY_KINDS:  # the schema already refuses this; kept for custom schemas
            raise ConfigError(p.loc.path, p.loc.line, p.loc.column, f"unknown rule kind `{p.kind}`")
        validate = POLICY_KINDS[p.kind].validate
        if own_policies is not None and p not in own_policies:
            continue
        problem = validate(ws, p) if validate else None
        if problem:
            raise ConfigError(p.loc.path, p.loc.line, p.loc.column, problem)
    for key, section in sorted(ws.settings.items()):
        rule = BUILTIN_BY_ID.get(key)
        problem = rule.validate_settings(ws, section) if rule and rule.validate_settings else None
        if problem:
            loc = ws.settings_locs[key]
            raise ConfigError(loc.path, loc.line, loc.column, problem)


def _stamp(rule_id: str, severity: str, violations: Iterable[Violation],
           configured: bool = False) -> Iterable[Finding]:
    """Findings of one rule; a violation's own severity applies unless permgate.yaml sets one."""
    for v in violations:
        sev = v.severity if v.severity and not configured else severity
        yield Finding(rule_id, sev, v.message, v.path, v.line, v.column, v.employee, v.permission, v.related,
                      role=v.role)


#: Below this many grants the rules run in this process only (a fork costs more than it saves).
PARALLEL_MIN_GRANTS = 150_000


def _findings(rule_id: str, severity: str, check: Callable[[], Iterable[Violation]],
              configured: bool) -> list[Finding]:
    """``list(_stamp(...))`` built by C code: the violations' fields taken apart column by column and
    put together as findings by ``tuple.__new__``, no Python step per finding (on a run with
    millions of findings, stamping one by one cost as much as the rules that found them;
    ``tests/engine/test_streamed.py`` holds the two equal)."""
    violations = list(check())
    count = len(violations)
    if count < 64 or any(v.__class__ is not Violation for v in violations):
        return list(_stamp(rule_id, severity, violations, configured))
    # a violation's fields past ``severity`` (``role``) follow ``baselined`` in a finding, as in
    # ``_stamp``; ``companions`` come last (grouped for the report, later)
    path, line, column, message, employee, permission, related, own, *later = zip(*violations, strict=True)
    severities: Iterable[str] = repeat(severity, count)
    if not configured and any(own):
        severities = [mine or severity for mine in own]
    return list(map(tuple.__new__, repeat(Finding), zip(
        repeat(rule_id, count), severities, message, path, line, column, employee, permission, related,
        repeat(None, count), repeat(None, count), *later, repeat((), count), strict=True)))


def stamp_rule(rule_id: str, severity: str, check: Callable[[], Iterable[Violation]],
               configured: bool) -> list[Finding]:
    """One rule's findings, stamped (``_findings``): for callers that run a chosen few rules."""
    return _findings(rule_id, severity, check, configured)


def _rule_work(ws: Workspace, config: Config, ctx: Context,
               scope: str | tuple[str, ...] | None = None) -> list[Callable[[], list[Finding]]]:
    """One job per rule in force (built-in first, then policies), optionally of one scope only."""
    work: list[Callable[[], list[Finding]]] = []
    scopes = (scope,) if isinstance(scope, str) else scope
    for rule in BUILTIN_RULES:
        if scopes is not None and rule.scope not in scopes:
            continue
        severity = config.severity.get(rule.id, rule.default_severity)
        work.append(functools.partial(_findings, rule.id, severity, functools.partial(rule.check, ws, ctx),
                                      rule.id in config.severity))
    for policy in ws.policies:
        kind = POLICY_KINDS[policy.kind]
        if scopes is not None and kind.scope not in scopes:
            continue
        severity = config.severity.get(policy.id, policy.severity)
        work.append(functools.partial(_findings, policy.id, severity,
                                      functools.partial(kind.check, ws, policy, ctx), False))
    return work


def evaluate(ws: Workspace, config: Config, today: dt.date,
             base: Workspace | None = None, change: ChangeSet | None = None,
             jobs: int | None = None, own_policies: Collection[PolicyRule] | None = None) -> list[Finding]:
    """All findings for ``ws``, sorted by path, line, column and rule.

    ``base`` (the workspace at the base revision) and ``change`` (what the change touched)
    are given in ``--base`` mode only (see ``permgate.change.basemode``); rules that judge a change
    (``bulk-grant``'s ``max_added``, ``policy-change``...) read them from the ``Context``
    and stay silent without them.  ``jobs=1`` keeps every rule in this process.
    ``own_policies``: see ``check_config``.
    """
    check_config(ws, config, own_policies)
    ctx = Context(today=today, policies=ws.policies, base=base, change=change,
                  rejudge=functools.partial(employee_findings, config=config, today=today))
    work = _rule_work(ws, config, ctx)
    # rules are independent and pure: on a large workspace, two cores share them
    big = (jobs is None or jobs > 1) and sum(len(f.grants) for f in ws.files) >= PARALLEL_MIN_GRANTS
    if big:
        next(ws.iter_grants(), None)  # build the shared flat list once, before the fork
    findings = mark_roles(ws, [f for batch in parallel.run_jobs(work, big) for f in batch])
    involved: Callable[[], Mapping[str, Collection[str]]] | None = None
    if base is not None and any(w.employee is None for w in ws.waivers):
        # a waiver about a change as a whole (``mass-change``): who the change gives access, and who gives it
        involved = functools.partial(mass_change.involved, ws, base, today)
    return finish(ws, findings, config, today, involved=involved)


#: The scopes the split check (``permgate.engine.chunked``) knows how to divide: a rule of any other
#: scope (a future ``global`` rule) sends ``check`` back to evaluating the whole workspace at once.
SPLIT_SCOPES = ("employee", "change", "waivers", "reconcile", "reviews", "frame")


def splittable(ws: Workspace) -> bool:
    """Whether every rule in force has a scope the split check can divide the run by."""
    return all(r.scope in SPLIT_SCOPES for r in BUILTIN_RULES) \
        and all(POLICY_KINDS[p.kind].scope in SPLIT_SCOPES for p in ws.policies if p.kind in POLICY_KINDS)


def employee_findings(ws: Workspace, config: Config, today: dt.date) -> list[Finding]:
    """The findings of the ``employee``-scope rules on ``ws`` (no ``--base``), stamped with their
    severity, in rule order, before waivers and unsorted: ``finish`` does the rest.

    On an employee-closed ``ws`` (every file of each employee in it) these are exactly the
    findings ``evaluate`` gives in those files before waivers (rules/base.py, ``SCOPES``).
    ``check_config`` is the caller's business (once per run, not once per chunk).
    """
    ctx = Context(today=today, policies=ws.policies)
    return mark_roles(ws, [f for job in _rule_work(ws, config, ctx, "employee") for f in job()])


def review_findings(frame: Workspace, config: Config, today: dt.date) -> list[Finding]:
    """The findings of the ``reviews``- and ``frame``-scope rules (the access review files and ``roles.yaml``,
    read with the frame), stamped and unsorted: the split check runs them once, on the frame, as
    ``evaluate`` runs them on the whole."""
    ctx = Context(today=today, policies=frame.policies)
    return [f for job in _rule_work(frame, config, ctx, ("reviews", "frame")) for f in job()]


def waivable_rules(ws: Workspace) -> dict[str, bool]:
    """Every rule id in force (built-in and declared by the policies), and whether it may be waived."""
    return {r.id: r.waivable for r in BUILTIN_RULES} | {p.id: p.waivable for p in ws.policies}


def employee_free_rules() -> set[str]:
    """The rules whose findings name no employee (``Rule.names_employee``): waived by rule and permission."""
    return {r.id for r in BUILTIN_RULES if not r.names_employee}


def finish(ws: Workspace, findings: list[Finding], config: Config, today: dt.date,
           baseline_used: Mapping[int, int] | None = None, waivers_used: Collection[int] = (),
           involved: Callable[[], Mapping[str, Collection[str]]] | None = None) -> list[Finding]:
    """The last steps of ``evaluate``: apply the waiver register, add its own findings, drop the
    findings of the rules ``permgate.yaml`` turns off (``rules: {ID: off}``), sort.

    Of the grants, the waiver step reads only ``ws.grants_of`` for the employees the register
    names: ``ws`` may hold only those employees' files.  ``baseline_used``: what each baseline
    entry covered in findings marked elsewhere (the streamed check's chunks: ``baseline.mark``);
    ``waivers_used``: the waivers (positions in ``ws.waivers``) that matched findings there;
    ``involved``: ``--base`` mode, who may not approve a change's reach (``waivers.apply``).
    """
    waivable = waivable_rules(ws)
    if ws.waivers:
        outcome = waivers.apply(ws, findings, waivable, today, employee_free_rules(), waivers_used, involved)
        findings = outcome.findings
        for rule_id, violations in (("waiver-invalid", outcome.invalid), ("waiver-unused", outcome.unused)):
            severity = config.severity.get(rule_id, BUILTIN_BY_ID[rule_id].default_severity)
            findings.extend(_stamp(rule_id, severity, violations))
    if ws.baseline is not None:  # the findings accepted at adoption, counted down (engine/baseline.py)
        accepted = baselines.apply(ws.baseline, findings, waivable, today, baselines.max_days_of(ws.settings),
                                   baseline_used)
        findings = accepted.findings
        for rule_id, violations in (("baseline-invalid", accepted.invalid), ("baseline-unused", accepted.unused)):
            severity = config.severity.get(rule_id, BUILTIN_BY_ID[rule_id].default_severity)
            findings.extend(_stamp(rule_id, severity, violations))
    if config.rules_off:  # after waivers and baseline, so their entries for such a rule still count as used
        findings = [f for f in findings if f.rule not in config.rules_off]
    findings.sort(key=Finding.sort_key)
    return findings
