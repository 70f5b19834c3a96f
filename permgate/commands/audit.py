"""``permgate audit``: exposure windows of policy violations, from the git history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from permgate.analysis.audit import audit
from permgate.commands import Outcome
from permgate.errors import UsageError
from permgate.git.repo import Repo
from permgate.reporters.exposures import AUDIT_FORMATS


@dataclass(frozen=True)
class AuditSettings:
    root: str = "."
    rev: str = "HEAD"
    since: dt.date | None = None
    until: dt.date | None = None
    format: str = "text"
    today: dt.date | None = None
    rules: tuple[str, ...] | None = None  # None: every policy rule
    people_at_rev: bool = False  # judge every commit by the people directory of ``rev`` (the old judge)


def run_audit(settings: AuditSettings) -> Outcome:
    if settings.since and settings.until and settings.since > settings.until:
        raise UsageError(f"--since {settings.since} is after --until {settings.until}")
    result = audit(Repo(settings.root), settings.rev, until=settings.until, since=settings.since,
                   today=settings.today, rules=settings.rules, people_at_rev=settings.people_at_rev)
    return Outcome(AUDIT_FORMATS[settings.format](result), stderr="".join(f"warning: {n}\n" for n in result.notes))
