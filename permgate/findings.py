"""The one finding type every rule produces and every reporter renders.

Rules yield ``Violation`` (no id, no severity); the engine stamps the rule id and the
configured severity to make a ``Finding``.  The parts (employee, permission, related
locations) stay fields so that text, JSON and SARIF render the same data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

SEVERITIES = ("error", "warning", "note")
SEVERITY_RANK = {"error": 3, "warning": 2, "note": 1}


class Related(NamedTuple):
    """A location that explains a finding: the catalog, people or policy line behind it."""

    path: str
    line: int
    column: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column, "message": self.message}


class Violation(NamedTuple):
    """What a rule reports; the engine turns it into a ``Finding``."""

    path: str
    line: int
    column: int
    message: str
    employee: str | None = None
    permission: str | None = None
    related: tuple[Related, ...] = ()
    #: set only by rules whose severity depends on the case (``stale-after-transfer``); a
    #: severity configured for the rule in permgate.yaml still wins
    severity: str | None = None
    #: the role the finding is about (the role rules); the engine sets it on findings about
    #: grants given through a role (``engine/roles.py``)
    role: str | None = None


class Waived(NamedTuple):
    """The waiver that covers a finding: who approved it, until when, and where it is."""

    approved_by: str
    expires: str
    ticket: str
    reason: str
    path: str
    line: int
    column: int

    def to_dict(self) -> dict[str, Any]:
        return {"approved_by": self.approved_by, "expires": self.expires, "ticket": self.ticket,
                "reason": self.reason, "path": self.path, "line": self.line, "column": self.column}


class Baselined(NamedTuple):
    """The baseline entry that accepts a finding (``permgate baseline``, docs/baseline.md)."""

    path: str
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line}


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: str
    message: str
    path: str
    line: int
    column: int
    employee: str | None = None
    permission: str | None = None
    related: tuple[Related, ...] = ()
    #: the waiver in force for this finding; a waived finding never fails the run
    waived: Waived | None = None
    #: the baseline entry that accepts this finding; a baselined finding never fails the run
    baselined: Baselined | None = None
    #: the role (``roles.yaml``) through which the grant gives ``permission``; None: a direct grant
    role: str | None = None
    #: the other findings on the same grant that this one is reported with (``engine/grouping.py``):
    #: active, never more severe than this one, in their sorted order; empty for most findings
    companions: tuple[Finding, ...] = ()

    @property
    def active(self) -> bool:
        """Neither waived nor baselined: the findings that count and can fail the run."""
        return self.waived is None and self.baselined is None

    def sort_key(self) -> tuple[str, int, int, str, str, str, str]:
        return (self.path, self.line, self.column, self.rule,
                self.employee or "", self.permission or "", self.message)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape (docs/output-formats.md)."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "employee": self.employee,
            "permission": self.permission,
            "role": self.role,
            "related": [r.to_dict() for r in self.related],
            "waived": self.waived.to_dict() if self.waived else None,
            "baselined": self.baselined.to_dict() if self.baselined else None,
            "companions": [c.to_dict() for c in self.companions],
        }

    def also(self) -> str:
        """`` (also: RULE, ...)`` naming the companions' rules, or "" (the text formats' suffix)."""
        if not self.companions:
            return ""
        return " (also: " + ", ".join(c.rule for c in self.companions) + ")"

    def with_companions(self) -> tuple[Finding, ...]:
        """This finding, then each companion: every finding a grouped report holds."""
        return (self, *self.companions) if self.companions else (self,)


def at_or_above(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]


@dataclass(frozen=True)
class RuleInfo:
    """One rule as the user sees it: built-in, or declared by a policy."""

    id: str
    kind: str
    severity: str
    summary: str
    waivable: bool
    path: str | None = None
    line: int | None = None


def most_severe_first(findings: Sequence[Finding]) -> list[int]:
    """Positions of ``findings``: errors, then warnings, then notes, then waived ones, each in their
    order (what a capped report keeps first: GitHub annotations, SARIF for code scanning)."""
    return sorted(range(len(findings)), key=lambda i: (
        -SEVERITY_RANK[findings[i].severity] if findings[i].waived is None else 0, i))
