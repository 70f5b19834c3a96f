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

from permgate.config import Config
from permgate.engine import evaluation
from permgate.findings import Finding
from permgate.model import ActualAccess, Workspace
from permgate.rules import POLICY_KINDS, Context


def reconcile(ws: Workspace, actual: ActualAccess, config: Config, today: dt.date) -> list[Finding]:
    """Every finding of the comparison, sorted by path, line, column and rule."""
    evaluation.check_config(ws, config)
    ctx = Context(today=today, policies=ws.policies, actual=actual)
    findings = [f for job in evaluation._rule_work(ws, config, ctx, "reconcile") for f in job()]
    held = as_workspace(ws, actual)
    plain = Context(today=today, policies=ws.policies)
    for policy in ws.policies:
        kind = POLICY_KINDS[policy.kind]
        if kind.scope != "employee":
            continue  # a kind that judges a change has no change to judge here
        severity = config.severity.get(policy.id, policy.severity)
        findings.extend(evaluation._stamp(policy.id, severity, kind.check(held, policy, plain)))
    findings.sort(key=Finding.sort_key)
    return findings


def as_workspace(ws: Workspace, actual: ActualAccess) -> Workspace:
    """``ws``'s catalog, people and policies with the system's access as its only grants."""
    return dataclasses.replace(ws, files=actual.files(), problems=(), waivers=())
