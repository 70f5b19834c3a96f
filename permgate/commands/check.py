"""``permgate check``: load, evaluate, render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from permgate.commands import EXIT_CLEAN, EXIT_FINDINGS, Outcome
from permgate.config import load_config
from permgate.engine import evaluate, rule_catalogue
from permgate.findings import Finding, at_or_above
from permgate.load.workspace import load_workspace
from permgate.reporters import REPORTERS, Report


@dataclass(frozen=True)
class CheckSettings:
    root: str = "."
    format: str = "text"
    fail_on: str = "error"
    today: dt.date | None = None
    color: bool = False


def exit_code(findings: tuple[Finding, ...] | list[Finding], fail_on: str) -> int:
    """Waived findings never fail the run."""
    return EXIT_FINDINGS if any(f.waived is None and at_or_above(f.severity, fail_on) for f in findings) \
        else EXIT_CLEAN


def run_check(settings: CheckSettings) -> Outcome:
    config = load_config(settings.root)
    ws = load_workspace(settings.root, config)
    today = settings.today or dt.date.today()
    findings = tuple(evaluate(ws, config, today))
    report = Report(
        findings=findings,
        rules=tuple(rule_catalogue(ws, config)),
        files=len(ws.files) + len({p.path for p in ws.problems} - {f.path for f in ws.files}),
        grants=sum(len(f.grants) for f in ws.files),
        color=settings.color,
    )
    return Outcome(REPORTERS[settings.format](report), exit_code(findings, settings.fail_on))
