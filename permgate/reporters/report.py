"""What every reporter renders: the findings plus the context of the run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from permgate.engine import RuleInfo
from permgate.findings import SEVERITIES, Finding


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    rules: tuple[RuleInfo, ...] = ()
    files: int = 0
    grants: int = 0
    color: bool = False
    extra_summary: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Active findings by severity; waived findings are counted apart (``waived``)."""
        c = Counter(f.severity for f in self.findings if f.waived is None)
        return {s: c.get(s, 0) for s in SEVERITIES}

    @property
    def waived(self) -> int:
        return sum(1 for f in self.findings if f.waived is not None)

    def summary(self) -> dict[str, Any]:
        """The ``summary`` object of the JSON format (docs/output-formats.md)."""
        counts = self.counts()
        out: dict[str, Any] = {
            "errors": counts["error"],
            "warnings": counts["warning"],
            "notes": counts["note"],
            "files": self.files,
            "grants": self.grants,
            "waived": self.waived,
        }
        out.update(self.extra_summary)
        return out
