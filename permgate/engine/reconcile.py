"""``permgate reconcile``'s findings: git compared with the system of record, and the policies applied
to what the system actually holds.

Two runs of the engine's rules, stamped and sorted like ``evaluate``:

1. the ``reconcile``-scope rules (``undeclared-access``, ``expired-but-active``, ``unprovisioned-grant``,
   ``unused-grant``, ``invalid-export``) on the grants repository, with the export in ``Context.actual``;
2. every policy rule (``policies/*.yaml``: ``forbidden-owner``, ``separation-of-duties``...) on a
   workspace whose grants are the export's rows, each located at its row, so a boundary violation
   that exists in the system is reported there under the rule's own id even when git is clean.

The waiver register is not applied: a waiver excuses a grant under review in git, it does not
excuse a difference between git and the system (docs/reconcile.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass

from permgate.config import Config
from permgate.engine import evaluation
from permgate.findings import Finding
from permgate.model import ActualAccess, Grant, Workspace
from permgate.rules import BUILTIN_BY_ID, BUILTIN_RULES, POLICY_KINDS, Context


def reconcile(ws: Workspace, actual: ActualAccess, config: Config, today: dt.date) -> list[Finding]:
    """Every finding of the comparison, sorted by path, line, column and rule."""
    evaluation.check_config(ws, config)
    ctx = Context(today=today, policies=ws.policies, actual=actual)
    findings = [f for job in evaluation._rule_work(ws, config, ctx, "reconcile") for f in job()]
    findings += _policy_findings(ws, actual, config, today)
    findings.sort(key=Finding.sort_key)
    return findings


def _policy_findings(ws: Workspace, actual: ActualAccess, config: Config, today: dt.date) -> list[Finding]:
    """Every policy rule on the system's access (``as_workspace``)."""
    findings: list[Finding] = []
    held = as_workspace(ws, actual)
    plain = Context(today=today, policies=ws.policies)
    for policy in ws.policies:
        kind = POLICY_KINDS[policy.kind]
        if kind.scope != "employee":
            continue  # a kind that judges a change has no change to judge here
        severity = config.severity.get(policy.id, policy.severity)
        findings.extend(evaluation._stamp(policy.id, severity, kind.check(held, policy, plain)))
    return findings


def as_workspace(ws: Workspace, actual: ActualAccess) -> Workspace:
    """``ws``'s catalog, people and policies with the system's access as its only grants."""
    return dataclasses.replace(ws, files=actual.files(), problems=(), waivers=())


#: The ``reconcile`` rules that read the grants files (judged chunk by chunk, ``in_chunk``), and those that
#: read only the export (judged once, ``export_side``); ``undeclared-access`` is judged once on the pairs the
#: chunks found undeclared.  A ``reconcile`` rule in neither list sends ``permgate reconcile`` the plain way.
GRANTS_SIDE = ("expired-but-active", "unprovisioned-grant")
EXPORT_SIDE = ("invalid-export", "unused-grant")
UNDECLARED = "undeclared-access"


def splits(ws: Workspace) -> bool:
    """Whether the rules in force are the ones ``in_chunk`` and ``export_side`` know how to divide."""
    known = {*GRANTS_SIDE, *EXPORT_SIDE, UNDECLARED}
    return all(r.id in known for r in BUILTIN_RULES if r.scope == "reconcile") \
        and all(POLICY_KINDS[p.kind].scope in evaluation.SPLIT_SCOPES for p in ws.policies if p.kind in POLICY_KINDS)


def _findings(ws: Workspace, config: Config, ctx: Context, ids: tuple[str, ...]) -> list[Finding]:
    out: list[Finding] = []
    for rule_id in ids:
        rule = BUILTIN_BY_ID[rule_id]
        severity = config.severity.get(rule.id, rule.default_severity)
        out.extend(evaluation.stamp_rule(rule.id, severity, functools.partial(rule.check, ws, ctx),
                                         rule.id in config.severity))
    return out


@dataclass(frozen=True)
class ChunkSide:
    """What a chunk of grants files gives ``reconcile_split``: its counts, the findings of the rules that read
    the grants files, and the pairs the system holds for its employees that their grants do not grant."""

    files: int
    grants: int
    findings: list[Finding]
    declared: list[str]
    undeclared: list[tuple[str, str]]


def in_chunk(actual: ActualAccess, config: Config, today: dt.date, ws: Workspace) -> ChunkSide:
    """``GRANTS_SIDE`` on an employee-closed chunk ``ws`` (the export whole), and the undeclared pairs of the
    employees its files declare: what ``reconcile`` and ``commands.reconcile.undeclared`` give in its files."""
    ctx = Context(today=today, policies=ws.policies, actual=actual)
    declared = list(dict.fromkeys(f.employee for f in ws.files))
    missing: list[tuple[str, str]] = []
    for employee in declared:
        held = actual.held.get(employee)
        if held:
            granted = {g.permission for g in ws.grants_of(employee)}
            missing += [(employee, p) for p in held if p not in granted]
    return ChunkSide(len(ws.files), sum(len(f.grants) for f in ws.files), _findings(ws, config, ctx, GRANTS_SIDE),
                     declared, missing)


def undeclared_pairs(actual: ActualAccess, sides: list[ChunkSide]) -> set[tuple[str, str]]:
    """Every pair the system holds that no grants file grants: the chunks' own, and every held pair of an
    employee no grants file declares."""
    declared = {e for side in sides for e in side.declared}
    out = {pair for side in sides for pair in side.undeclared}
    for employee, held in actual.held.items():
        if employee not in declared:
            out.update((employee, p) for p in held)
    return out


def reconcile_split(frame: Workspace, actual: ActualAccess, config: Config, today: dt.date,
                    sides: list[ChunkSide], missing: set[tuple[str, str]]) -> list[Finding]:
    """``reconcile`` of the workspace whose grants files the chunks ``sides`` judged (``frame``: its catalog,
    people and policies): their findings, ``undeclared-access`` on the ``missing`` pairs (whose rows are judged
    on a workspace with no grant: each is reported, with the revocation ``actual`` names), the export-side
    rules and the policy rules on the export, sorted.  ``check_config`` is the caller's business."""
    findings = [f for side in sides for f in side.findings]
    rows: dict[str, dict[str, Grant]] = {}
    for employee, permission in sorted(missing):
        rows.setdefault(employee, {})[permission] = actual.held[employee][permission]
    only = dataclasses.replace(actual, held=rows)
    findings += _findings(frame, config, Context(today=today, policies=frame.policies, actual=only), (UNDECLARED,))
    findings += _findings(frame, config, Context(today=today, policies=frame.policies, actual=actual), EXPORT_SIDE)
    findings += _policy_findings(frame, actual, config, today)
    findings.sort(key=Finding.sort_key)
    return findings
